import { ingressPermissions, loadBalancerSecurityGroups } from '../network-permissions';
import type { StackRule } from '../stack-rule';

const WORLD_V4 = '0.0.0.0/0';
const WORLD_V6 = '::/0';
const PUBLIC_PORTS = new Set([80, 443]);

/**
 * Nothing is reachable from the internet but ports 80 and 443 of an internet-facing load
 * balancer's security group.
 *
 * Why: Kong, the database, Redis and the upstream must only be reached through the chain of
 * security groups (ALB -> Kong -> peers). Reads every ingress permission of the synthesized JSON,
 * whichever resource type expresses it (lib/policy/network-permissions.ts), because a permission
 * is a property of the whole stack (which group sits on the ALB), not of one construct.
 */
export const onlyLoadBalancerIsWorldReachable: StackRule = {
  id: 'only-load-balancer-is-world-reachable',
  name: "nothing is world-reachable but the public ALB's 80/443",
  why: 'Kong, the database and the upstream must only be reached through the chain of security groups',
  check(stack) {
    const albGroups = loadBalancerSecurityGroups(stack);
    return ingressPermissions(stack)
      .filter((p) => p.cidrs.some((c) => c === WORLD_V4 || c === WORLD_V6))
      .filter((p) => {
        const onAlb = albGroups.has(p.securityGroup);
        const publicPortOnly = p.fromPort === p.toPort && PUBLIC_PORTS.has(p.fromPort);
        return !(onAlb && publicPortOnly);
      })
      .map((p) => `${p.where} opens ports ${p.fromPort}-${p.toPort} to the internet`);
  },
};
