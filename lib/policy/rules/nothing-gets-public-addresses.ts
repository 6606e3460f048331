import type { StackRule } from '../stack-rule';

/**
 * No subnet maps public IPs on launch, no database is publicly accessible, no ECS service assigns
 * public IPs.
 *
 * Why: only the load balancer and the NAT gateways face the internet; a public address on a task or
 * database bypasses the security-group chain the moment a rule is widened. Reads the synthesized
 * attributes, which is where a default or an override would show.
 */
export const nothingGetsPublicAddresses: StackRule = {
  id: 'nothing-gets-public-addresses',
  name: 'no subnet, task or database gets a public address',
  why: 'only the load balancer and NAT gateways face the internet',
  check(stack) {
    const problems: string[] = [];
    for (const r of stack.resources('aws_subnet')) {
      if (r.values.map_public_ip_on_launch === true)
        problems.push(`aws_subnet.${r.name} maps public IPs on launch`);
    }
    for (const r of stack.resources('aws_db_instance')) {
      if (r.values.publicly_accessible === true)
        problems.push(`aws_db_instance.${r.name} is publicly accessible`);
    }
    for (const r of stack.resources('aws_ecs_service')) {
      if (r.values.network_configuration?.assign_public_ip === true) {
        problems.push(`aws_ecs_service.${r.name} assigns public IPs`);
      }
    }
    return problems;
  },
};
