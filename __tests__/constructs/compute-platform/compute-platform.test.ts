import { ComputePlatform } from '../../../lib/constructs/compute-platform/compute-platform';
import { synthConstruct, testNetwork } from '../../support/synth';

function synthPlatform(containerInsights?: boolean) {
  let platform: ComputePlatform | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.1.0.0/16', azCount: 2, flowLogRetentionDays: 7 },
    );
    platform = new ComputePlatform(stack, 'platform', {
      naming,
      network,
      ...(containerInsights === undefined ? {} : { containerInsights }),
    });
  });
  return { synth, platform: platform! };
}

describe('ComputePlatform', () => {
  const { synth, platform } = synthPlatform();

  it('creates a Fargate-only cluster with Container Insights on by default', () => {
    expect(synth.resource('aws_ecs_cluster')).toMatchObject({
      name: 'kong-gateway-test',
      setting: [{ name: 'containerInsights', value: 'enabled' }],
    });
    expect(synth.resource('aws_ecs_cluster_capacity_providers').capacity_providers).toEqual(['FARGATE']);
  });

  it('creates a private DNS namespace attached to the VPC', () => {
    const ns = synth.resource('aws_service_discovery_private_dns_namespace');
    expect(ns.name).toBe('test.kong-gateway.internal');
    expect(ns.vpc).toMatch(/^\$\{aws_vpc\..*\.id\}$/);
  });

  it('names services inside the namespace', () => {
    expect(platform.dnsName('llm-gateway')).toBe('llm-gateway.test.kong-gateway.internal');
  });

  it('can turn Container Insights off', () => {
    const { synth: off } = synthPlatform(false);
    expect(off.resource('aws_ecs_cluster').setting).toEqual([
      { name: 'containerInsights', value: 'disabled' },
    ]);
  });
});
