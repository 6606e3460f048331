import type { Json } from '../stack-json';
import type { StackRule } from '../stack-rule';

/** Each resource type that can get a public address, how it shows, and what to say. */
const PUBLIC_ADDRESSES: [type: string, isPublic: (values: Json) => boolean, what: string][] = [
  ['aws_subnet', (v) => v.map_public_ip_on_launch === true, 'maps public IPs on launch'],
  ['aws_db_instance', (v) => v.publicly_accessible === true, 'is publicly accessible'],
  ['aws_ecs_service', (v) => v.network_configuration?.assign_public_ip === true, 'assigns public IPs'],
];

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
    return PUBLIC_ADDRESSES.flatMap(([type, isPublic, what]) =>
      stack
        .resources(type)
        .filter((r) => isPublic(r.values))
        .map((r) => `${type}.${r.name} ${what}`),
    );
  },
};
