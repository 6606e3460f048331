import { Construct } from 'constructs';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { Naming } from '../../contracts/naming';
import { Connections, Peers, type Peer } from '../shared/connections';
import type { Network } from './network';

/** The interface endpoints a Fargate task needs to start without NAT: images, logs, secrets. */
export const DEFAULT_INTERFACE_ENDPOINTS = ['ecr.api', 'ecr.dkr', 'logs', 'secretsmanager', 'ssm'] as const;

/** Props of {@link VpcEndpoints}. */
export interface VpcEndpointsProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** The region, for the service names. */
  readonly environment: AwsEnvironment;
  /** The VPC: interface endpoints go into the private subnets, the S3 route into its route tables. */
  readonly network: Network;
  /**
   * Interface endpoints to create (service name after `com.amazonaws.<region>.`).
   * @default ["ecr.api", "ecr.dkr", "logs", "secretsmanager", "ssm"]
   */
  readonly interfaceServices?: readonly string[];
}

/**
 * Private paths to the AWS APIs Fargate tasks use at start and while running: interface endpoints
 * with private DNS in every private subnet (each costs per AZ-hour plus per GB), and the free S3
 * gateway endpoint (ECR stores image layers in S3). Their security group admits HTTPS only from the
 * groups given to {@link allowFrom}.
 */
export class VpcEndpoints extends Construct {
  /** The endpoints' security group (443 from admitted peers only). */
  readonly securityGroup: SecurityGroup;
  /** Interface endpoints by service name. */
  readonly interfaceEndpoints: Record<string, VpcEndpoint> = {};
  /** The S3 gateway endpoint. */
  readonly s3Gateway: VpcEndpoint;
  /** The rules of {@link securityGroup}. */
  readonly connections: Connections;
  /** The S3 gateway endpoint's prefix list, the peer of an egress rule for image layers. */
  readonly s3PrefixList: Peer;

  constructor(scope: Construct, id: string, props: VpcEndpointsProps) {
    super(scope, id);
    const { naming, network, environment: env } = props;

    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: naming.name('vpc-endpoints'),
      description: `Interface VPC endpoints of ${naming.prefix}: HTTPS from admitted tasks`,
      vpcId: network.vpc.id,
      tags: { Name: naming.name('vpc-endpoints') },
    });
    this.connections = new Connections(this, this.securityGroup);

    for (const service of props.interfaceServices ?? DEFAULT_INTERFACE_ENDPOINTS) {
      this.interfaceEndpoints[service] = new VpcEndpoint(this, `endpoint-${service.replace(/\./g, '-')}`, {
        vpcId: network.vpc.id,
        serviceName: `com.amazonaws.${env.region}.${service}`,
        vpcEndpointType: 'Interface',
        privateDnsEnabled: true,
        subnetIds: network.privateSubnets.map((s) => s.id),
        securityGroupIds: [this.securityGroup.id],
        tags: { Name: naming.name(`endpoint-${service}`) },
      });
    }
    this.s3Gateway = new VpcEndpoint(this, 'endpoint-s3', {
      vpcId: network.vpc.id,
      serviceName: `com.amazonaws.${env.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: network.internalRouteTables.map((t) => t.id),
      tags: { Name: naming.name('endpoint-s3') },
    });
    this.s3PrefixList = Peers.prefixList(this.s3Gateway, this.s3Gateway.prefixListId);
  }

  /** Admits `peer` on 443 to every interface endpoint (rule `ingress-443-<peer label>`). */
  allowFrom(peer: SecurityGroup, description: string): void {
    this.connections.allowFrom(peer, 443, description);
  }
}
