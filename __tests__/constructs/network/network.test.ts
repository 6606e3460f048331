import { Network } from '../../../lib/constructs/network/network';
import { synthConstruct, type SynthesizedStack } from '../../support/synth';

function synthNetwork(azCount: number, natGateways: 'one-per-az' | 'single'): SynthesizedStack {
  return synthConstruct(({ naming, environment, logging, stack }) => {
    new Network(stack, 'network', {
      naming,
      environment,
      logging,
      cidr: '10.40.0.0/16',
      azCount,
      natGateways,
      flowLogRetentionDays: 90,
    });
  });
}

describe('Network with 3 AZs and a NAT gateway per AZ', () => {
  const synth = synthNetwork(3, 'one-per-az');
  const subnets = synth.resources('aws_subnet').map((s) => s.values);
  const tier = (t: string) => subnets.filter((s) => s.tags.Tier === t);

  it('creates a VPC with DNS support for Cloud Map and endpoints', () => {
    expect(synth.resource('aws_vpc')).toMatchObject({
      cidr_block: '10.40.0.0/16',
      enable_dns_hostnames: true,
      enable_dns_support: true,
    });
  });

  it('creates a public, private and isolated subnet per AZ with disjoint blocks', () => {
    expect(tier('public')).toHaveLength(3);
    expect(tier('private')).toHaveLength(3);
    expect(tier('isolated')).toHaveLength(3);
    const blocks = subnets.map((s) => s.cidr_block);
    expect(new Set(blocks).size).toBe(9);
    expect(tier('public').map((s) => s.cidr_block)).toEqual([
      '10.40.0.0/20',
      '10.40.16.0/20',
      '10.40.32.0/20',
    ]);
    expect(tier('private').map((s) => s.cidr_block)).toEqual([
      '10.40.64.0/20',
      '10.40.80.0/20',
      '10.40.96.0/20',
    ]);
    expect(tier('isolated').map((s) => s.cidr_block)).toEqual([
      '10.40.128.0/20',
      '10.40.144.0/20',
      '10.40.160.0/20',
    ]);
  });

  it('spreads each tier over distinct availability zones', () => {
    for (const t of ['public', 'private', 'isolated']) {
      const azs = tier(t).map((s) => s.availability_zone);
      expect(new Set(azs).size).toBe(3);
    }
    expect(synth.dataSources('aws_availability_zones')[0]!.values.state).toBe('available');
  });

  it('picks zones from a pinned list of names, so a new AZ in the region never shifts subnets', () => {
    const zones = synth.dataSources('aws_availability_zones')[0]!.values;
    expect(zones.filter).toContainEqual({
      name: 'zone-name',
      values: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c', 'eu-west-1d'],
    });
  });

  it('never maps public IPs on launch', () => {
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
  });

  it('puts one NAT gateway in each public subnet', () => {
    const nats = synth.resources('aws_nat_gateway').map((n) => n.values);
    expect(nats).toHaveLength(3);
    const publicSubnetRefs = synth
      .resources('aws_subnet')
      .filter((s) => s.values.tags.Tier === 'public')
      .map((s) => `\${aws_subnet.${s.name}.id}`);
    expect(nats.map((n) => n.subnet_id).sort()).toEqual(publicSubnetRefs.sort());
  });

  it("routes each private subnet through its own AZ's NAT gateway", () => {
    const privateRoutes = synth.resources('aws_route').filter((r) => r.values.nat_gateway_id);
    expect(new Set(privateRoutes.map((r) => r.values.nat_gateway_id)).size).toBe(3);
    expect(privateRoutes.every((r) => r.values.destination_cidr_block === '0.0.0.0/0')).toBe(true);
  });

  it('gives only the public route table an internet gateway route', () => {
    const igwRoutes = synth.resources('aws_route').filter((r) => r.values.gateway_id);
    expect(igwRoutes).toHaveLength(1);
    const publicTable = synth
      .resources('aws_route_table')
      .find((t) => t.values.tags.Name.endsWith('-public'));
    expect(igwRoutes[0]!.values.route_table_id).toBe(`\${aws_route_table.${publicTable!.name}.id}`);
  });

  it('gives the isolated subnets a route table with no route out of the VPC', () => {
    const isolated = synth
      .resources('aws_route_table')
      .find((t) => t.values.tags.Name.endsWith('-isolated'))!;
    const ref = `\${aws_route_table.${isolated.name}.id}`;
    expect(synth.resources('aws_route').filter((r) => r.values.route_table_id === ref)).toEqual([]);
    const isolatedAssociations = synth
      .resources('aws_route_table_association')
      .filter((a) => a.values.route_table_id === ref);
    expect(isolatedAssociations).toHaveLength(3);
  });

  it('owns the default security group and leaves it without rules', () => {
    const sg = synth.resource('aws_default_security_group');
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
  });

  it('logs all VPC traffic to an encrypted CloudWatch log group with retention', () => {
    const flowLog = synth.resource('aws_flow_log');
    expect(flowLog).toMatchObject({ traffic_type: 'ALL', log_destination_type: 'cloud-watch-logs' });
    const group = synth.deref(flowLog.log_destination);
    expect(group?.type).toBe('aws_cloudwatch_log_group');
    expect(group?.values).toMatchObject({ name: '/kong-gateway/test/vpc-flow-logs', retention_in_days: 90 });
    expect(group?.values.kms_key_id).toMatch(/aws_kms_key/);
  });

  it('lets the flow-log role write only to its log group, assumed only from this account', () => {
    const write = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('flow-logs-write'))!;
    expect(write.values.statement[0].resources).toEqual([
      expect.stringMatching(/aws_cloudwatch_log_group\..*\.arn\}:\*$/),
    ]);
    const trust = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('flow-logs-trust'))!;
    expect(trust.values.statement[0].condition[0]).toMatchObject({ variable: 'aws:SourceAccount' });
  });
});

describe('Network with 2 AZs and a single NAT gateway', () => {
  const synth = synthNetwork(2, 'single');

  it('creates one NAT gateway that both private route tables use', () => {
    expect(synth.resources('aws_nat_gateway')).toHaveLength(1);
    const privateRoutes = synth.resources('aws_route').filter((r) => r.values.nat_gateway_id);
    expect(privateRoutes).toHaveLength(2);
    expect(new Set(privateRoutes.map((r) => r.values.nat_gateway_id)).size).toBe(1);
  });

  it('creates subnets in two AZs only', () => {
    expect(synth.resources('aws_subnet')).toHaveLength(6);
  });
});

describe('Network input checks', () => {
  it('refuses a single AZ even when called without the stage schema', () => {
    expect(() => synthNetwork(1, 'single')).toThrow(/azCount must be 2\.\.4, got 1/);
  });
});

describe('Network zone allowlist', () => {
  it('rejects fewer zone names than AZs', () => {
    expect(() =>
      synthConstruct(({ naming, environment, logging, stack }) => {
        new Network(stack, 'network', {
          naming,
          environment,
          logging,
          cidr: '10.40.0.0/16',
          azCount: 3,
          flowLogRetentionDays: 90,
          zoneNames: ['eu-west-1a', 'eu-west-1b'],
        });
      }),
    ).toThrow(/azCount 3 needs at least as many zoneNames/);
  });
});
