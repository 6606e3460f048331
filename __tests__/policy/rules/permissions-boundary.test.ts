/**
 * Every IAM role of a gateway stack carries its stage's permissions boundary (rule
 * every-role-has-permissions-boundary, set by PermissionsBoundaryAspect), and that boundary allows
 * everything the gateway's roles are granted: the deploy role can create them, and they still work.
 */
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { everyRoleHasPermissionsBoundary } from '../../../lib/policy/rules';
import { boundaryPolicy } from '../../../lib/constructs/delivery-identity/policies';
import { boundaryPolicyName } from '../../../lib/contracts/delivery-identity';
import { extractPolicies, PLACEHOLDER_ACCOUNT } from '../../../scripts/scan/iam-policies';
import { evaluate } from '../../support/iam-eval';
import { Testing } from 'cdktf';
import { GatewayStack } from '../../../lib/stacks/gateway-stack';
import { SynthesizedStack, synthGateway, synthScope, testStage, type Json } from '../../support/synth';

const trust = JSON.stringify({ Version: '2012-10-17', Statement: [] });

describe('every-role-has-permissions-boundary', () => {
  it('accepts roles with a boundary and reports each role without one', () => {
    const stack = synthScope((scope) => {
      new AwsProvider(scope, 'aws', { region: 'eu-west-1' });
      new IamRole(scope, 'bounded', {
        assumeRolePolicy: trust,
        permissionsBoundary: 'arn:aws:iam::1:policy/b',
      });
      new IamRole(scope, 'unbounded', { assumeRolePolicy: trust });
    });
    expect(everyRoleHasPermissionsBoundary.check(stack)).toEqual([
      expect.stringMatching(/^aws_iam_role\.unbounded\S* has no permissions_boundary/),
    ]);
  });
});

describe.each(['dev', 'prod'])('the roles of kong-gateway-%s', (stage) => {
  const { synth } = synthGateway(stage);
  const roles = synth.resources('aws_iam_role');

  it("all carry the stage's boundary from the bootstrap stack", () => {
    expect(roles.length).toBeGreaterThan(0);
    for (const r of roles)
      expect(r.values.permissions_boundary).toMatch(
        new RegExp(
          `^arn:\\$\\{data\\.aws_partition\\.[^}]+\\}:iam::\\$\\{data\\.aws_caller_identity\\.[^}]+\\}:policy/${boundaryPolicyName(stage)}$`,
        ),
      );
    expect(everyRoleHasPermissionsBoundary.check(synth)).toEqual([]);
  });

  it('are granted nothing their boundary does not allow', () => {
    const boundary = boundaryPolicy({
      partition: 'aws',
      region: 'eu-west-1',
      accountId: PLACEHOLDER_ACCOUNT,
      stage,
      stateBucket: 'unused',
      stateKeyArn: 'unused',
      stateObjectKey: 'unused',
      boundaryArn: 'unused',
      ciRoleArns: [],
      oidcProviderArn: 'unused',
    });
    const grants = extractPolicies(`kong-gateway-${stage}`, synth.json)
      .filter((p) => p.kind === 'identity')
      .flatMap((p) =>
        (p.document.Statement as Json[]).filter((s) => s.Effect === 'Allow').map((s) => ({ p, s })),
      );
    expect(grants.length).toBeGreaterThan(5);
    const outside = grants.flatMap(({ p, s }) =>
      (s.Action as string[]).flatMap((action) =>
        (s.Resource as string[])
          // The stage's keys carry its Stage tag (provider default tags).
          .filter(
            (resource) =>
              evaluate([boundary], { action, resource, context: { 'aws:ResourceTag/Stage': stage } }) !==
              'allow',
          )
          .map((resource) => `${p.address}: ${action} ${resource}`),
      ),
    );
    expect(outside).toEqual([]);
    // Broken: a grant beyond the boundary is found.
    expect(evaluate([boundary], { action: 'iam:PutRolePolicy', resource: '*' })).toBe('implicit-deny');
  });

  it('take another boundary when the stack is given one', () => {
    const stack = new GatewayStack(Testing.app(), `kong-gateway-${stage}`, {
      stage: testStage(stage),
      permissionsBoundaryArn: 'arn:aws:iam::123456789012:policy/org-boundary',
    });
    const other = new SynthesizedStack(JSON.parse(Testing.synth(stack)));
    const boundaries = other.resources('aws_iam_role').map((r) => r.values.permissions_boundary);
    expect(boundaries).toEqual(roles.map(() => 'arn:aws:iam::123456789012:policy/org-boundary'));
  });
});
