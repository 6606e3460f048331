/**
 * What every Fargate service of the gateway shares, written once (docs/adr/0014): its security
 * group and HTTPS egress, the execution role and its trust, secret grants, the log group and the
 * awslogs options, and the ECS service with its platform version, circuit breaker, deployment
 * limits and optional autoscaling. A service construct extends {@link FargateServiceBase} and keeps
 * only what is its own (images, containers, task definitions, load balancer or service discovery).
 */
import { Construct } from 'constructs';
import type { ITerraformDependable } from 'cdktf';
import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import {
  DataAwsIamPolicyDocument,
  type DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import {
  EcsService,
  type EcsServiceLoadBalancer,
  type EcsServiceServiceRegistries,
} from '@cdktf/provider-aws/lib/ecs-service';
import type { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { AwsEnvironment } from './aws-environment';
import { connect, Connections, Peers, type Peer } from './connections';
import type { InjectedSecrets } from './injected-secrets';
import { skipCheckov } from '../../policy/checkov';
import type { ComputePlatform } from '../compute-platform/compute-platform';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';

/**
 * The Fargate platform version every service runs on: pinned, so a platform change arrives as a
 * reviewed diff (1.4.0 is the current Linux platform; `LATEST` would move under a running stage).
 */
export const FARGATE_PLATFORM_VERSION = '1.4.0';

/**
 * awslogs options every container shares: a slow CloudWatch must never stall a request, so the
 * driver buffers (25 MiB, AWS's documented example for non-blocking mode) and drops when full.
 */
export const AWSLOGS_BUFFER = { mode: 'non-blocking', 'max-buffer-size': '25m' } as const;

/**
 * How ECS places the service's tasks. Terraform replaces a service when this changes (a
 * `launch_type` and a `capacity_provider_strategy` cannot be swapped in place), so each service
 * states its own and keeps it:
 * - `launch-type`: `launch_type = FARGATE`;
 * - `capacity-provider`: `capacity_provider_strategy = [{ FARGATE, weight 1 }]` (room for
 *   FARGATE_SPOT later without a replacement).
 */
export type FargateLaunchMode = 'launch-type' | 'capacity-provider';

/** Private paths to the AWS APIs a task needs at start (VPC endpoints). */
export interface AwsApiEndpoints {
  /** The interface endpoints' rules: the service's group is admitted on 443. */
  readonly connections: Connections;
  /** The S3 gateway endpoint's prefix list (ECR image layers live in S3). */
  readonly s3PrefixList: Peer;
}

/** Props of {@link FargateServiceBase}. */
export interface FargateServiceBaseProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, region and partition: trust conditions, ARNs, the awslogs region. */
  readonly environment: AwsEnvironment;
  /** Creates the service's log group (KMS, retention). */
  readonly logging: Logging;
  /** The VPC: tasks run in its private subnets, without public addresses. */
  readonly network: Network;
  /** The ECS cluster (referenced by ARN). */
  readonly platform: ComputePlatform;
  /**
   * Short name: security group `<prefix>-<name>`, execution role `<prefix>-<name>-execution`,
   * scaling policies `<prefix>-<name>-cpu` / `-requests`.
   */
  readonly name: string;
  /** What the tasks are called in rule descriptions, e.g. "Kong". */
  readonly displayName: string;
  /** The security group's description (Terraform replaces the group when it changes). */
  readonly securityGroupDescription: string;
  /** The execution role's description. */
  readonly executionRoleDescription: string;
  /** Name of the log group (`naming.path(...)`). */
  readonly logGroupName: string;
  /**
   * Retention of the log group.
   * @default the stage's default retention (Logging)
   */
  readonly logRetentionDays?: number;
  /** The `awslogs-stream-prefix` of every container. */
  readonly logStreamPrefix: string;
  /** How ECS places the tasks; see {@link FargateLaunchMode}. No default: changing it replaces the service. */
  readonly launchMode: FargateLaunchMode;
  /**
   * VPC endpoints of the stage. With them, the service's HTTPS egress goes only to the endpoints'
   * security group and the S3 prefix list (the group is admitted there); without them, HTTPS goes
   * to `0.0.0.0/0` through NAT. Other egress (a database, Redis, an upstream) is the service's own.
   * @default none: HTTPS to 0.0.0.0/0
   */
  readonly awsApiEndpoints?: AwsApiEndpoints;
}

/** Target-tracking autoscaling of a service (after creation, autoscaling owns the task count). */
export interface FargateAutoscaling {
  /** Fewest tasks. */
  readonly minCount: number;
  /** Most tasks. */
  readonly maxCount: number;
  /** Average CPU to hold, in percent (policy `<prefix>-<name>-cpu`). */
  readonly cpuTargetPercent: number;
  /**
   * ALB requests per task per minute to hold (policy `<prefix>-<name>-requests`).
   * @default no request-count policy
   */
  readonly requestsPerTarget?: {
    /** `app/<lb>/<id>/targetgroup/<tg>/<id>`, the ALBRequestCountPerTarget label. */
    readonly resourceLabel: string;
    /** Requests per task per minute. */
    readonly perMinute: number;
  };
}

/** What {@link FargateServiceBase.createService} needs from the service construct. */
export interface FargateServiceOptions {
  /** The ECS service's name (Terraform replaces the service when it changes). */
  readonly serviceName: string;
  /** The task definition the service runs. */
  readonly taskDefinition: EcsTaskDefinition;
  /** Tasks at creation. */
  readonly desiredCount: number;
  /**
   * Target groups the tasks register in.
   * @default none
   */
  readonly loadBalancer?: EcsServiceLoadBalancer[];
  /**
   * Seconds before load-balancer health checks count.
   * @default none (ECS default)
   */
  readonly healthCheckGracePeriodSeconds?: number;
  /**
   * Cloud Map registration.
   * @default none
   */
  readonly serviceRegistries?: EcsServiceServiceRegistries;
  /**
   * Autoscaling; with it, Terraform ignores `desired_count` after creation.
   * @default a fixed count
   */
  readonly autoscaling?: FargateAutoscaling;
  /**
   * Further resources the service waits for (e.g. the listeners of its target group). The
   * execution-role policies and the injected secret versions are always waited for.
   * @default none
   */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/**
 * Base of a Fargate service (the role aws-cdk's ecs-patterns `FargateServiceBase` plays). The
 * constructor creates the security group (`sg`) with its HTTPS egress, the log group (`logs`) and
 * the execution role (`execution-role`, trusted by `ecs-tasks.amazonaws.com` only for this account's
 * ECS, with `aws:SourceAccount` and `aws:SourceArn`). The subclass then adds pull permissions and
 * secret grants, builds its containers with {@link containerDefinition} and its task definition,
 * and calls {@link createService} once.
 */
export abstract class FargateServiceBase extends Construct {
  /** The tasks' security group. */
  readonly securityGroup: SecurityGroup;
  /** The rules of {@link securityGroup}. */
  readonly connections: Connections;
  /** The log group every container writes to. */
  readonly logGroup: CloudwatchLogGroup;
  /** Role ECS uses to pull images, write logs and resolve injected secrets. */
  readonly executionRole: IamRole;
  /** The execution role's secret grants, in the order {@link grantSecrets} received them. */
  readonly secretGrants: IamRolePolicy[] = [];

  private readonly base: FargateServiceBaseProps;
  private readonly executionStatements: DataAwsIamPolicyDocumentStatement[];
  private readonly executionDependencies: ITerraformDependable[] = [];
  private ecsService?: EcsService;

  constructor(scope: Construct, id: string, props: FargateServiceBaseProps) {
    super(scope, id);
    this.base = props;
    const { naming, network } = props;

    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: naming.name(props.name),
      description: props.securityGroupDescription,
      vpcId: network.vpc.id,
      // Rules referencing other groups must not keep this one from being deleted.
      revokeRulesOnDelete: true,
      tags: { Name: naming.name(props.name) },
    });
    this.connections = new Connections(this, this.securityGroup);
    this.allowAwsApis(props.awsApiEndpoints);

    this.logGroup = props.logging.logGroup(this, 'logs', {
      name: props.logGroupName,
      ...(props.logRetentionDays !== undefined ? { retentionDays: props.logRetentionDays } : {}),
    });
    this.executionRole = new IamRole(this, 'execution-role', {
      name: naming.name(`${props.name}-execution`),
      description: props.executionRoleDescription,
      assumeRolePolicy: this.ecsTasksTrust('execution-role-trust'),
    });
    this.executionStatements = [
      {
        sid: 'WriteLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.arn}:*`],
      },
    ];
  }

  /** The service, once {@link createService} has run. */
  get service(): EcsService {
    if (!this.ecsService) throw new Error(`${this.node.path}: createService has not run yet`);
    return this.ecsService;
  }

  /** The dimensions of the service's `AWS/ECS` and `ECS/ContainerInsights` metrics. */
  get metricDimensions(): { readonly ClusterName: string; readonly ServiceName: string } {
    return { ClusterName: this.base.platform.cluster.name, ServiceName: this.service.name };
  }

  /**
   * Lets the execution role resolve `secrets` (one inline policy per owner, `read-<subject>`); the
   * service will depend on those policies and on the secret versions.
   */
  grantSecrets(secrets: readonly InjectedSecrets[]): IamRolePolicy[] {
    this.assertNoService('grantSecrets');
    return secrets.map((s) => {
      const policy = s.grantRead(this.executionRole);
      this.secretGrants.push(policy);
      this.executionDependencies.push(policy, ...s.versions);
      return policy;
    });
  }

  /**
   * A trust policy for `ecs-tasks.amazonaws.com` limited to this account's ECS: `aws:SourceAccount`
   * and `aws:SourceArn` (ECS documents both for execution and task roles, against the confused
   * deputy problem).
   */
  protected ecsTasksTrust(id: string): string {
    const env = this.base.environment;
    return new DataAwsIamPolicyDocument(this, id, {
      statement: [
        {
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['ecs-tasks.amazonaws.com'] }],
          condition: [
            { test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] },
            { test: 'ArnLike', variable: 'aws:SourceArn', values: [env.arn('ecs', '*')] },
          ],
        },
      ],
    }).json;
  }

  /**
   * Lets the execution role pull images from `repositoryArns` (plus `ecr:GetAuthorizationToken`,
   * which takes no resource); `extraActions` adds e.g. what a pull-through cache's first pull needs.
   */
  protected allowPull(repositoryArns: string[], extraActions: readonly string[] = []): void {
    this.assertNoService('allowPull');
    this.executionStatements.push(
      { sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
      {
        sid: 'PullImages',
        actions: [
          'ecr:BatchCheckLayerAvailability',
          'ecr:GetDownloadUrlForLayer',
          'ecr:BatchGetImage',
          ...extraActions,
        ],
        resources: repositoryArns,
      },
    );
  }

  /**
   * The task definition fields every service shares: awsvpc, Fargate, Linux on x86-64, this
   * execution role, and the task size.
   */
  protected taskDefinitionBase(cpu: number, memoryMiB: number) {
    return {
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: String(cpu),
      memory: String(memoryMiB),
      executionRoleArn: this.executionRole.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
    };
  }

  /**
   * One container definition with what every container shares: a read-only root filesystem and
   * awslogs to the service's log group ({@link AWSLOGS_BUFFER}); `extra` adds the container's own.
   */
  protected containerDefinition(
    name: string,
    image: string,
    extra: Record<string, unknown>,
  ): Record<string, unknown> {
    return {
      name,
      image,
      readonlyRootFilesystem: true,
      logConfiguration: {
        logDriver: 'awslogs',
        options: {
          'awslogs-group': this.logGroup.name,
          'awslogs-region': this.base.environment.region,
          'awslogs-stream-prefix': this.base.logStreamPrefix,
          ...AWSLOGS_BUFFER,
        },
      },
      ...extra,
    };
  }

  /**
   * Creates the execution role's pull-and-log policy and the ECS service: private subnets, no
   * public IP, the pinned platform version, circuit breaker with rollback, 100/200 % deployments,
   * AZ rebalancing, managed tags, no ECS Exec, and optional autoscaling. Call once.
   */
  protected createService(o: FargateServiceOptions): EcsService {
    if (this.ecsService) throw new Error(`${this.node.path}: createService runs once per service`);
    const { naming, platform, network } = this.base;
    const policy = new IamRolePolicy(this, 'execution-policy', {
      name: 'pull-and-log',
      role: this.executionRole.id,
      policy: new DataAwsIamPolicyDocument(this, 'execution-policy-document', {
        statement: this.executionStatements,
      }).json,
      // Renaming the policy replaces it: the new one exists before the old one goes.
      lifecycle: { createBeforeDestroy: true },
    });
    const service = new EcsService(this, 'service', {
      name: o.serviceName,
      cluster: platform.cluster.arn,
      taskDefinition: o.taskDefinition.arn,
      desiredCount: o.desiredCount,
      ...(this.base.launchMode === 'launch-type'
        ? { launchType: 'FARGATE' }
        : { capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }] }),
      platformVersion: FARGATE_PLATFORM_VERSION,
      // Tasks spread over the private subnets of every AZ; ECS rebalances after an AZ recovers.
      networkConfiguration: {
        subnets: network.privateSubnets.map((s) => s.id),
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      availabilityZoneRebalancing: 'ENABLED',
      ...(o.loadBalancer ? { loadBalancer: o.loadBalancer } : {}),
      ...(o.healthCheckGracePeriodSeconds !== undefined
        ? { healthCheckGracePeriodSeconds: o.healthCheckGracePeriodSeconds }
        : {}),
      ...(o.serviceRegistries ? { serviceRegistries: o.serviceRegistries } : {}),
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      enableExecuteCommand: false,
      waitForSteadyState: false,
      ...(o.autoscaling ? { lifecycle: { ignoreChanges: ['desired_count'] } } : {}),
      // Terraform orders nothing else between them: without these, a first apply could start
      // tasks before the role may read their secrets or before the secret values exist.
      dependsOn: [...(o.dependsOn ?? []), policy, ...this.executionDependencies],
      tags: { Name: naming.name(this.base.name) },
    });
    // CKV_AWS_332 wants `LATEST` on a service with `launch_type`; it does not look at a service
    // that uses a capacity-provider strategy, where a skip would be stale (the scan fails on those).
    if (this.base.launchMode === 'launch-type') {
      skipCheckov(
        service,
        'CKV_AWS_332',
        `pinned to ${FARGATE_PLATFORM_VERSION}, the current Linux Fargate platform, so a platform change arrives as a reviewed diff`,
      );
    }
    this.ecsService = service;
    if (o.autoscaling) this.createAutoscaling(o.autoscaling);
    return service;
  }

  private allowAwsApis(endpoints: AwsApiEndpoints | undefined): void {
    if (!endpoints) {
      this.connections.allowTo(Peers.anyIpv4(), 443, 'HTTPS to AWS APIs and image registries, through NAT');
      return;
    }
    const { egress } = connect(this.connections, endpoints.connections, 443, {
      egress: 'HTTPS to the interface VPC endpoints (ECR, Logs, Secrets Manager, SSM)',
      ingress: `${this.base.displayName} tasks`,
    });
    this.connections.allowTo(
      endpoints.s3PrefixList,
      443,
      'HTTPS to S3 (image layers) through the gateway endpoint',
    );
    // A stage that had HTTPS to 0.0.0.0/0 gets this rule in place of that one: a rule cannot change
    // its kind of peer in place, so Terraform replaces it; create the new one first, so logs and
    // secrets never lose their path during the apply.
    egress.lifecycle = { createBeforeDestroy: true };
  }

  private createAutoscaling(a: FargateAutoscaling): void {
    const { naming, platform } = this.base;
    const target = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId: `service/${platform.cluster.name}/${this.service.name}`,
      minCapacity: a.minCount,
      maxCapacity: a.maxCount,
    });
    const policy = (
      id: string,
      suffix: string,
      metric: { predefinedMetricType: string; resourceLabel?: string },
      targetValue: number,
    ) =>
      new AppautoscalingPolicy(this, id, {
        name: naming.name(`${this.base.name}-${suffix}`),
        policyType: 'TargetTrackingScaling',
        serviceNamespace: target.serviceNamespace,
        scalableDimension: target.scalableDimension,
        resourceId: target.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: metric,
          targetValue,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      });
    policy(
      'scale-on-cpu',
      'cpu',
      { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      a.cpuTargetPercent,
    );
    if (a.requestsPerTarget) {
      policy(
        'scale-on-requests',
        'requests',
        {
          predefinedMetricType: 'ALBRequestCountPerTarget',
          resourceLabel: a.requestsPerTarget.resourceLabel,
        },
        a.requestsPerTarget.perMinute,
      );
    }
  }

  private assertNoService(what: string): void {
    if (this.ecsService) throw new Error(`${this.node.path}: ${what} must run before createService`);
  }
}
