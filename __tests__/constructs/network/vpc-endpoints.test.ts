import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { DEFAULT_INTERFACE_ENDPOINTS, VpcEndpoints } from '../../../lib/constructs/network/vpc-endpoints';
import { synthConstruct, committedStack, testStage, testNetwork } from '../../support/synth';

describe('VpcEndpoints', () => {
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.1.0.0/16', azCount: 3, flowLogRetentionDays: 7 },
    );
    const endpoints = new VpcEndpoints(stack, 'endpoints', { naming, environment, network });
    const tasks = new SecurityGroup(stack, 'tasks', { name: 'tasks', vpcId: network.vpc.id });
    endpoints.allowFrom(tasks, 'Kong tasks');
  });
  const endpoints = synth.resources('aws_vpc_endpoint').map((r) => r.values);

  it('creates private-DNS interface endpoints for ECR, Logs, Secrets Manager and SSM in every private subnet', () => {
    const iface = endpoints.filter((e) => e.vpc_endpoint_type === 'Interface');
    expect(iface.map((e) => e.service_name).sort()).toEqual(
      DEFAULT_INTERFACE_ENDPOINTS.map((s) => `com.amazonaws.eu-west-1.${s}`).sort(),
    );
    for (const e of iface) {
      expect(e.private_dns_enabled).toBe(true);
      expect(e.subnet_ids).toHaveLength(3);
      for (const s of e.subnet_ids) expect(s).toMatch(/network_private-/);
    }
  });

  it('adds an S3 gateway endpoint (image layers) to the private and isolated route tables', () => {
    const s3 = endpoints.find((e) => e.vpc_endpoint_type === 'Gateway');
    expect(s3.service_name).toBe('com.amazonaws.eu-west-1.s3');
    expect(s3.route_table_ids).toHaveLength(4);
  });

  it('admits HTTPS only from the groups it is given', () => {
    const ingress = synth.resources('aws_vpc_security_group_ingress_rule').map((r) => r.values);
    expect(ingress).toEqual([
      expect.objectContaining({
        from_port: 443,
        to_port: 443,
        ip_protocol: 'tcp',
        referenced_security_group_id: '${aws_security_group.tasks.id}',
      }),
    ]);
    expect(ingress[0].cidr_ipv4).toBeUndefined();
  });
});

describe('VpcEndpoints per stage', () => {
  it.each([
    ['prod', 6],
    ['dev', 0],
  ] as const)('stage %s has %d endpoints (network.vpcEndpoints)', (stage, count) => {
    const settings = testStage(stage).settings;
    expect(settings.network.vpcEndpoints).toBe(count > 0);
    expect(committedStack(stage).resources('aws_vpc_endpoint')).toHaveLength(count);
  });
});
