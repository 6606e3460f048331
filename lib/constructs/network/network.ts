import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import { DataAwsAvailabilityZones } from '@cdktf/provider-aws/lib/data-aws-availability-zones';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { Eip } from '@cdktf/provider-aws/lib/eip';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { InternetGateway } from '@cdktf/provider-aws/lib/internet-gateway';
import { NatGateway } from '@cdktf/provider-aws/lib/nat-gateway';
import { Route } from '@cdktf/provider-aws/lib/route';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import { cidrPrefixLength, cidrSubnet } from '../../util/cidr';

/** The subnet tiers, in the order their address blocks are carved from the VPC CIDR. */
export const SUBNET_TIERS = ['public', 'private', 'isolated'] as const;
/** A subnet tier: `public` (ALB, NAT), `private` (tasks; egress via NAT), `isolated` (databases). */
export type SubnetTier = (typeof SUBNET_TIERS)[number];

/** Each tier owns 4 consecutive 1/16th slices of the VPC block (one per AZ, at most 4 AZs). */
const SUBNET_NEW_BITS = 4;
const SLOTS_PER_TIER = 4;

/** Props of {@link Network}. */
export interface NetworkProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account and region for the flow-log role's conditions. */
  readonly environment: AwsEnvironment;
  /** Where the flow logs go (encrypted, with retention). */
  readonly logging: Logging;
  /** The VPC's IPv4 block (/16../24, validated by the stage settings). */
  readonly cidr: string;
  /** Availability zones to use (2..4). */
  readonly azCount: number;
  /**
   * `one-per-az`: each AZ's private subnet leaves through its own NAT gateway, so losing an AZ does
   * not cut the others' egress. `single`: one NAT gateway in the first AZ (cheaper).
   * @default "one-per-az"
   */
  readonly natGateways?: 'one-per-az' | 'single';
  /** Retention of the VPC flow logs, in days. */
  readonly flowLogRetentionDays: number;
  /**
   * The availability zones subnets may use, by name; the first `azCount` of them that are
   * available (sorted by name) are used. Pinning the set keeps subnets where they are when AWS
   * opens a new zone in the region.
   * @default the region's zones `a` to `d` (e.g. `eu-west-1a` .. `eu-west-1d`)
   */
  readonly zoneNames?: readonly string[];
}

/** Zone letters of the default allowlist: every region has at least two of them. */
const ZONE_LETTERS = ['a', 'b', 'c', 'd'] as const;

/**
 * The stage's VPC: public subnets for the load balancer and NAT gateways, private subnets for
 * Fargate tasks (outbound through NAT, no inbound route), isolated subnets for data stores (no
 * route out of the VPC at all), flow logs for every interface, and the default security group
 * stripped of its rules so nothing can use it by accident.
 */
export class Network extends Construct {
  /** The VPC. */
  readonly vpc: Vpc;
  /** The VPC's CIDR block (a literal). */
  readonly vpcCidr: string;
  /** Names of the availability zones in use, by index (tokens). */
  readonly availabilityZones: string[];
  /** Public subnets, one per AZ: internet-facing load balancer and NAT gateways only. */
  readonly publicSubnets: Subnet[];
  /**
   * The public subnets' CIDR blocks as plain strings (known at synth): where the ALB's nodes take
   * their addresses, so the only peers allowed to set X-Forwarded-For for Kong.
   */
  readonly publicSubnetCidrs: readonly string[];
  /** Private subnets, one per AZ: Fargate tasks; outbound through NAT. */
  readonly privateSubnets: Subnet[];
  /** Isolated subnets, one per AZ: RDS and ElastiCache; no route out of the VPC. */
  readonly isolatedSubnets: Subnet[];
  /** The NAT gateways (one, or one per AZ). */
  readonly natGateways: NatGateway[];
  /** Route tables of the private and isolated tiers (for gateway endpoints such as S3). */
  readonly internalRouteTables: RouteTable[] = [];

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    const { naming, azCount } = props;
    if (azCount < 2 || azCount > SLOTS_PER_TIER) {
      throw new Error(`Network: azCount must be 2..${SLOTS_PER_TIER}, got ${azCount}`);
    }
    if (cidrPrefixLength(props.cidr) + SUBNET_NEW_BITS > 28) {
      throw new Error(`Network: ${props.cidr} is too small to hold /${SUBNET_NEW_BITS}-longer subnets`);
    }
    this.vpcCidr = props.cidr;

    this.vpc = new Vpc(this, 'vpc', {
      cidrBlock: props.cidr,
      enableDnsHostnames: true, // Cloud Map private DNS and interface endpoints need both
      enableDnsSupport: true,
      tags: { Name: naming.name('vpc') },
    });

    // The default security group cannot be deleted; owning it with no rules leaves it empty.
    new DefaultSecurityGroup(this, 'default-sg', {
      vpcId: this.vpc.id,
      tags: { Name: naming.name('default-do-not-use') },
    });

    // The candidate zones are an allowlist of names, not "whatever the region has": subnets are
    // placed on zones by index, so a zone AWS adds later must never shift them (Checkov CKV_AWS_394).
    const zoneNames = props.zoneNames ?? ZONE_LETTERS.map((letter) => `${props.environment.region}${letter}`);
    if (zoneNames.length < azCount) {
      throw new Error(
        `Network: azCount ${azCount} needs at least as many zoneNames, got ${zoneNames.join(', ')}`,
      );
    }
    const zones = new DataAwsAvailabilityZones(this, 'azs', {
      state: 'available',
      filter: [
        { name: 'zone-name', values: [...zoneNames] },
        { name: 'opt-in-status', values: ['opt-in-not-required'] },
      ],
    });
    this.availabilityZones = Array.from({ length: azCount }, (_, i) => Fn.element(zones.names, i));

    const cidrOf = (tier: SubnetTier, i: number): string =>
      cidrSubnet(props.cidr, SUBNET_NEW_BITS, SUBNET_TIERS.indexOf(tier) * SLOTS_PER_TIER + i);
    const subnetsOf = (tier: SubnetTier): Subnet[] =>
      this.availabilityZones.map((az, i) => {
        return new Subnet(this, `${tier}-${i}`, {
          vpcId: this.vpc.id,
          availabilityZone: az,
          cidrBlock: cidrOf(tier, i),
          mapPublicIpOnLaunch: false, // the ALB and NAT get addresses explicitly; nothing else should
          tags: { Name: naming.name(`${tier}-${i}`), Tier: tier },
        });
      });
    this.publicSubnets = subnetsOf('public');
    this.publicSubnetCidrs = this.publicSubnets.map((_, i) => cidrOf('public', i));
    this.privateSubnets = subnetsOf('private');
    this.isolatedSubnets = subnetsOf('isolated');

    // Public tier: one route table with the internet gateway as default route.
    const igw = new InternetGateway(this, 'igw', { vpcId: this.vpc.id, tags: { Name: naming.name('igw') } });
    const publicRoutes = new RouteTable(this, 'public-rt', {
      vpcId: this.vpc.id,
      tags: { Name: naming.name('public') },
    });
    new Route(this, 'public-default-route', {
      routeTableId: publicRoutes.id,
      destinationCidrBlock: '0.0.0.0/0',
      gatewayId: igw.id,
    });
    this.publicSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `public-rta-${i}`, {
        subnetId: subnet.id,
        routeTableId: publicRoutes.id,
      });
    });

    // Private tier: a route table per AZ whose default route is that AZ's NAT (or the single one).
    const natCount = (props.natGateways ?? 'one-per-az') === 'one-per-az' ? azCount : 1;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new Eip(this, `nat-eip-${i}`, { domain: 'vpc', tags: { Name: naming.name(`nat-${i}`) } });
      return new NatGateway(this, `nat-${i}`, {
        allocationId: eip.allocationId,
        subnetId: this.publicSubnets[i]!.id,
        tags: { Name: naming.name(`nat-${i}`) },
        dependsOn: [igw],
      });
    });
    this.privateSubnets.forEach((subnet, i) => {
      const table = new RouteTable(this, `private-rt-${i}`, {
        vpcId: this.vpc.id,
        tags: { Name: naming.name(`private-${i}`) },
      });
      new Route(this, `private-default-route-${i}`, {
        routeTableId: table.id,
        destinationCidrBlock: '0.0.0.0/0',
        natGatewayId: this.natGateways[i % natCount]!.id,
      });
      new RouteTableAssociation(this, `private-rta-${i}`, { subnetId: subnet.id, routeTableId: table.id });
      this.internalRouteTables.push(table);
    });

    // Isolated tier: a route table with only the implicit local route.
    const isolatedRoutes = new RouteTable(this, 'isolated-rt', {
      vpcId: this.vpc.id,
      tags: { Name: naming.name('isolated') },
    });
    this.internalRouteTables.push(isolatedRoutes);
    this.isolatedSubnets.forEach((subnet, i) => {
      new RouteTableAssociation(this, `isolated-rta-${i}`, {
        subnetId: subnet.id,
        routeTableId: isolatedRoutes.id,
      });
    });

    this.createFlowLogs(props);
  }

  private createFlowLogs(props: NetworkProps): void {
    const { naming, environment: env } = props;
    const logGroup = props.logging.logGroup(this, 'flow-logs', {
      name: naming.path('vpc-flow-logs'),
      retentionDays: props.flowLogRetentionDays,
    });

    const trust = new DataAwsIamPolicyDocument(this, 'flow-logs-trust', {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['vpc-flow-logs.amazonaws.com'] }],
          // Confused-deputy guard: only flow logs of this account may assume the role.
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] }],
        },
      ],
    });
    const role = new IamRole(this, 'flow-logs-role', {
      name: naming.name('vpc-flow-logs'),
      assumeRolePolicy: trust.json,
    });
    const write = new DataAwsIamPolicyDocument(this, 'flow-logs-write', {
      statement: [
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
          resources: [`${logGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'flow-logs-policy', { role: role.id, policy: write.json });

    new FlowLog(this, 'flow-log', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 'cloud-watch-logs',
      logDestination: logGroup.arn,
      iamRoleArn: role.arn,
      maxAggregationInterval: 60,
      tags: { Name: naming.name('vpc-flow-log') },
    });
  }
}
