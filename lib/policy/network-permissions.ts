/**
 * The ports a stack opens, read from every resource type that can express a security group rule
 * (the standalone ingress/egress rule resources, `aws_security_group_rule` and inline blocks), so a
 * rule cannot be bypassed by writing the permission another way.
 */
import type { Json, StackJson } from './stack-json';

/** One ingress permission: which group it opens, to which CIDRs, on which ports. */
export interface IngressPermission {
  /** The block, as `type.name` (with `.ingress[i]` for an inline rule). */
  readonly where: string;
  /** The security group, as a `${aws_security_group.x.id}` reference or an ID. */
  readonly securityGroup: string;
  readonly cidrs: string[];
  readonly fromPort: number;
  readonly toPort: number;
}

/** One egress permission with explicit ports (all-protocol egress is not a port exposure). */
export interface EgressPortRange {
  readonly where: string;
  readonly fromPort: number;
  readonly toPort: number;
}

/** `[from, to]` of a rule; protocol `-1` (all traffic) covers every port. */
function portRange(protocol: unknown, from: number, to: number): { fromPort: number; toPort: number } {
  return protocol === '-1' ? { fromPort: 0, toPort: 65535 } : { fromPort: from, toPort: to };
}

/** Security group IDs (as `${aws_security_group.x.id}` references) attached to an internet-facing load balancer. */
export function loadBalancerSecurityGroups(stack: StackJson): Set<string> {
  const refs = new Set<string>();
  for (const lb of stack.resources('aws_lb')) {
    if (lb.values.internal === true) continue;
    for (const sg of (lb.values.security_groups ?? []) as string[]) refs.add(sg);
  }
  return refs;
}

/** Every ingress permission in the stack, whichever resource type expresses it. */
export function ingressPermissions(stack: StackJson): IngressPermission[] {
  const out: IngressPermission[] = [];
  for (const r of stack.resources('aws_vpc_security_group_ingress_rule')) {
    const v = r.values;
    out.push({
      where: `aws_vpc_security_group_ingress_rule.${r.name}`,
      securityGroup: v.security_group_id,
      cidrs: [v.cidr_ipv4, v.cidr_ipv6].filter(Boolean),
      ...portRange(v.ip_protocol, v.from_port, v.to_port),
    });
  }
  for (const r of stack.resources('aws_security_group_rule')) {
    const v = r.values;
    if (v.type !== 'ingress') continue;
    out.push({
      where: `aws_security_group_rule.${r.name}`,
      securityGroup: v.security_group_id,
      cidrs: [...(v.cidr_blocks ?? []), ...(v.ipv6_cidr_blocks ?? [])],
      ...portRange(v.protocol, v.from_port, v.to_port),
    });
  }
  for (const r of stack.resources('aws_security_group')) {
    for (const [i, rule] of ((r.values.ingress ?? []) as Json[]).entries()) {
      out.push({
        where: `aws_security_group.${r.name}.ingress[${i}]`,
        securityGroup: `\${aws_security_group.${r.name}.id}`,
        cidrs: [...(rule.cidr_blocks ?? []), ...(rule.ipv6_cidr_blocks ?? [])],
        ...portRange(rule.protocol, rule.from_port, rule.to_port),
      });
    }
  }
  return out;
}

/** Every egress permission with explicit ports, whichever resource type expresses it. */
export function egressPortRanges(stack: StackJson): EgressPortRange[] {
  const out: EgressPortRange[] = [];
  for (const r of stack.resources('aws_vpc_security_group_egress_rule')) {
    if (r.values.ip_protocol === '-1') continue;
    out.push({
      where: `aws_vpc_security_group_egress_rule.${r.name}`,
      fromPort: r.values.from_port,
      toPort: r.values.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group_rule')) {
    if (r.values.type !== 'egress' || r.values.protocol === '-1') continue;
    out.push({
      where: `aws_security_group_rule.${r.name}`,
      fromPort: r.values.from_port,
      toPort: r.values.to_port,
    });
  }
  for (const r of stack.resources('aws_security_group')) {
    for (const [i, rule] of ((r.values.egress ?? []) as Json[]).entries()) {
      if (rule.protocol === '-1') continue;
      out.push({
        where: `aws_security_group.${r.name}.egress[${i}]`,
        fromPort: rule.from_port,
        toPort: rule.to_port,
      });
    }
  }
  return out;
}
