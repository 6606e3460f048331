import type { StackRule } from '../stack-rule';

/**
 * Every IAM role of a gateway stack carries a permissions boundary (`permissions_boundary`).
 *
 * Why: the deploy role may create roles only with its stage's boundary attached
 * (`iam:PermissionsBoundary`, docs/iam/README.md). A role without it fails the deploy with
 * AccessDenied at apply time; this rule fails it at synth, naming the role. The boundary also caps
 * what any role of the stage can ever do, whatever its own policies grant.
 */
export const everyRoleHasPermissionsBoundary: StackRule = {
  id: 'every-role-has-permissions-boundary',
  name: 'every IAM role carries the permissions boundary',
  why: 'the deploy role may create only roles that carry its stage boundary; the boundary caps every role',
  check(stack) {
    return stack
      .resources('aws_iam_role')
      .filter(
        (r) => typeof r.values.permissions_boundary !== 'string' || r.values.permissions_boundary === '',
      )
      .map(
        (r) =>
          `aws_iam_role.${r.name} has no permissions_boundary: set it (GatewayStackProps.permissionsBoundaryArn)`,
      );
  },
};
