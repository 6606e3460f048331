/**
 * `moved` blocks from the addresses of the deployed d51df54 stacks to where those resources live
 * now, so `terraform plan` on a deployed stage moves them instead of destroying and recreating
 * them (docs/adr/0014 lists each move and why). A `from` address that a stage never had is
 * ignored by Terraform, so the blocks are harmless on a new stage.
 */
import type { Construct } from 'constructs';
import type { TerraformResource } from 'cdktf';
// cdktf's own logical-ID function: a construct path below the stack -> its Terraform name. The old
// construct paths are readable here, and the address test checks the result against the baseline.
import { makeUniqueId } from 'cdktf/lib/private/unique';
import type { Stage } from '../settings/load';
import { Peers } from '../constructs/shared/connections';
import type { GatewayStack } from './gateway-stack';

/** Moves the resource `scope/newId` from the d51df54 construct path `oldPath` (below the stack). */
function moveFrom(scope: Construct, newId: string, oldPath: string[]): void {
  const resource = scope.node.findChild(newId) as TerraformResource;
  resource.moveFromId(`${resource.terraformResourceType}.${makeUniqueId(oldPath)}`);
}

/** Adds every move of the security-group rule scheme and the Fargate service base (ADR 0014). */
export function moveBaselineAddresses(stack: GatewayStack, stage: Stage): void {
  const { kong, upstream, loadBalancer, database, rateLimitStore, vpcEndpoints } = stack;
  // Rules that named a peer by the stack's path (`kong-gateway-<stage>/kong/sg`).
  const kongSgPath = kong.securityGroup.node.path;
  const https = vpcEndpoints ? 'egress-443-vpc-endpoints-sg' : `egress-443-${Peers.anyIpv4().label}`;

  // One rule scheme, `<direction>-<port>-<peer label>` (shared/connections.ts).
  moveFrom(kong, 'ingress-8000-load-balancer-sg', ['kong', 'ingress-alb-8000']);
  moveFrom(kong, 'ingress-8100-load-balancer-sg', ['kong', 'ingress-alb-8100']);
  moveFrom(kong, https, ['kong', 'egress-https']);
  moveFrom(upstream, https, ['upstream', 'egress-https']);
  // The upstream's group is `upstream/sg` now, as every service base's group is.
  moveFrom(kong, 'egress-8080-upstream-sg', ['kong', 'egress-8080-upstream-security-group']);
  moveFrom(database, 'ingress-5432-kong-sg', [
    'database',
    `allow-${kongSgPath.replace(/[^A-Za-z0-9]+/g, '-')}`,
  ]);
  if (rateLimitStore) {
    moveFrom(rateLimitStore, 'ingress-6379-kong-sg', [
      'rate-limit-store',
      `from-${kongSgPath.replace(/\//g, '-')}`,
    ]);
  }
  moveFrom(upstream, 'ingress-8080-kong-sg', [
    'upstream',
    `ingress-from-${kongSgPath.replace(/[^A-Za-z0-9-]/g, '-')}`,
  ]);
  if (vpcEndpoints) moveFrom(vpcEndpoints, 'ingress-443-kong-sg', ['vpc-endpoints', 'ingress-kong-sg']);
  // ALB ingress was keyed by list position; the stage file's order is the deployed one.
  const publicPorts = loadBalancer.https ? [80, 443] : [80];
  stage.settings.loadBalancer.allowedCidrs.forEach((cidr, i) => {
    for (const port of publicPorts) {
      moveFrom(loadBalancer, `ingress-${port}-${Peers.ipv4(cidr).label}`, [
        'load-balancer',
        `ingress-${port}-${i}`,
      ]);
    }
  });

  // The service base's IDs for what the placeholder named otherwise.
  moveFrom(upstream, 'sg', ['upstream', 'security-group']);
  moveFrom(upstream, 'logs', ['upstream', 'log-group']);

  // Secret grants were `execution-secrets-<index>` in the order [database, rate-limit store,
  // consumer keys]; they are `execution-role/read-<subject>` now, granted in that same order.
  kong.secretGrants.forEach((grant, i) => {
    grant.moveFromId(`aws_iam_role_policy.${makeUniqueId(['kong', `execution-secrets-${i}`])}`);
  });
}
