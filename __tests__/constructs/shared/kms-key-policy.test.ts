import { accountAdministeredKeyPolicy } from '../../../lib/constructs/shared/kms-key-policy';
import { synthConstruct, type Json } from '../../support/synth';

describe('the account-administered key policy', () => {
  const synth = synthConstruct(({ stack, environment }) => {
    accountAdministeredKeyPolicy(stack, environment);
  });
  const doc = synth.dataSources('aws_iam_policy_document').find((d) => d.name === 'key-policy')!.values;

  it('names only the account root: no service principal that would need a confused-deputy condition', () => {
    const statements = doc.statement as Json[];
    expect(statements).toHaveLength(1);
    expect(statements[0]).toMatchObject({
      sid: 'AccountAdministration',
      principals: [
        { type: 'AWS', identifiers: [expect.stringMatching(/^arn:\$\{data\.aws_partition\..*:root$/)] },
      ],
      actions: ['kms:*'],
    });
    expect(JSON.stringify(doc)).not.toMatch(/"Service"/);
  });
});
