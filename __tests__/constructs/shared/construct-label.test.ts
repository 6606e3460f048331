import { Construct } from 'constructs';
import { Testing, TerraformStack } from 'cdktf';
import { ownerLabel } from '../../../lib/constructs/shared/construct-label';

describe('ownerLabel', () => {
  const stack = new TerraformStack(Testing.app(), 'kong-gateway-dev');
  const kong = new Construct(stack, 'kong');
  const sg = new Construct(kong, 'sg');

  it('names a construct by its parent and its own ID, without the stack', () => {
    expect(ownerLabel(sg)).toBe('kong-sg');
  });

  // Fails if the label took the stack name: every rule ID would then differ per stage.
  it('is the same in every stage', () => {
    const other = new Construct(
      new Construct(new TerraformStack(Testing.app(), 'kong-gateway-prod'), 'kong'),
      'sg',
    );
    expect(ownerLabel(other)).toBe(ownerLabel(sg));
  });

  it('changes only when the referenced construct moves', () => {
    const moved = new Construct(new Construct(stack, 'upstream'), 'sg');
    expect(ownerLabel(moved)).toBe('upstream-sg');
  });
});
