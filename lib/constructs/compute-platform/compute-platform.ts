import { Construct } from 'constructs';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsClusterCapacityProviders } from '@cdktf/provider-aws/lib/ecs-cluster-capacity-providers';
import { ServiceDiscoveryPrivateDnsNamespace } from '@cdktf/provider-aws/lib/service-discovery-private-dns-namespace';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';

/** Props of {@link ComputePlatform}. */
export interface ComputePlatformProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** The VPC the private DNS namespace is attached to. */
  readonly network: Network;
  /**
   * Collect Container Insights metrics (per-task CPU, memory, network) for the cluster.
   * @default true
   */
  readonly containerInsights?: boolean;
}

/**
 * What every Fargate service of the stage shares: the ECS cluster and the Cloud Map private DNS
 * namespace through which Kong finds its upstream (`<service>.<namespace>`).
 */
export class ComputePlatform extends Construct {
  /** The ECS cluster (Fargate only). */
  readonly cluster: EcsCluster;
  /** Private DNS namespace, visible only inside the VPC. */
  readonly namespace: ServiceDiscoveryPrivateDnsNamespace;
  /** The namespace's DNS name (a literal), e.g. `dev.kong-gateway.internal`. */
  readonly namespaceName: string;

  constructor(scope: Construct, id: string, props: ComputePlatformProps) {
    super(scope, id);
    const { naming } = props;

    this.cluster = new EcsCluster(this, 'cluster', {
      name: naming.prefix,
      setting: [
        { name: 'containerInsights', value: (props.containerInsights ?? true) ? 'enabled' : 'disabled' },
      ],
    });
    new EcsClusterCapacityProviders(this, 'capacity-providers', {
      clusterName: this.cluster.name,
      capacityProviders: ['FARGATE'],
      defaultCapacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1, base: 0 }],
    });

    this.namespaceName = `${naming.stage}.kong-gateway.internal`;
    this.namespace = new ServiceDiscoveryPrivateDnsNamespace(this, 'namespace', {
      name: this.namespaceName,
      description: `Service discovery for ${naming.prefix}`,
      vpc: props.network.vpc.id,
    });
  }

  /** The DNS name a service registered as `serviceName` answers to inside the VPC. */
  dnsName(serviceName: string): string {
    return `${serviceName}.${this.namespaceName}`;
  }
}
