/**
 * The stack rules every stack of this project satisfies, one rule per file (cdk-nag style). Each
 * reads the stack's synthesized Terraform JSON; `StackPolicyAspect` runs them at every synth and
 * turns a violation into an error annotation, so `cdktf synth` fails on it.
 */
import type { StackRule } from '../stack-rule';
import { adminApiIsNeverExposed } from './admin-api-is-never-exposed';
import { everyContainerLogsToCloudWatch } from './every-container-logs-to-cloudwatch';
import { everyRoleHasPermissionsBoundary } from './every-role-has-permissions-boundary';
import { generatedSecretsStayInSecretStores } from './generated-secrets-stay-in-secret-stores';
import { logGroupsHaveRetention } from './log-groups-have-retention';
import { noLiteralSecrets } from './no-literal-secrets';
import { noSecretsInContainerEnvironment } from './no-secrets-in-container-environment';
import { noWildcardSecretGrants } from './no-wildcard-secret-grants';
import { nothingGetsPublicAddresses } from './nothing-gets-public-addresses';
import { onlyLoadBalancerIsWorldReachable } from './only-load-balancer-is-world-reachable';
import { providersApplyDefaultTags } from './providers-apply-default-tags';

export {
  adminApiIsNeverExposed,
  everyContainerLogsToCloudWatch,
  everyRoleHasPermissionsBoundary,
  generatedSecretsStayInSecretStores,
  logGroupsHaveRetention,
  noLiteralSecrets,
  noSecretsInContainerEnvironment,
  noWildcardSecretGrants,
  nothingGetsPublicAddresses,
  onlyLoadBalancerIsWorldReachable,
  providersApplyDefaultTags,
};

/**
 * Every stack rule, with the tag keys each AWS provider must apply by default. The gateway stacks
 * add `everyRoleHasPermissionsBoundary` (their roles are created by a deploy role; the bootstrap
 * stack's CI roles are created by an administrator and are the ones the boundary protects against).
 */
export function stackRules(requiredTagKeys: readonly string[]): StackRule[] {
  return [
    logGroupsHaveRetention,
    onlyLoadBalancerIsWorldReachable,
    nothingGetsPublicAddresses,
    providersApplyDefaultTags(requiredTagKeys),
    noLiteralSecrets,
    generatedSecretsStayInSecretStores,
    noWildcardSecretGrants,
    adminApiIsNeverExposed,
    noSecretsInContainerEnvironment,
    everyContainerLogsToCloudWatch,
  ];
}
