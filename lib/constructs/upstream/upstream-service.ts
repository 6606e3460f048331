import { Construct } from 'constructs';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { ServiceDiscoveryService } from '@cdktf/provider-aws/lib/service-discovery-service';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { ComputePlatform } from '../compute-platform/compute-platform';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';

/** Props of {@link UpstreamService}. */
export interface UpstreamServiceProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, partition and region, for the execution role's trust conditions. */
  readonly environment: AwsEnvironment;
  /** Creates the service's log group (retention + KMS). */
  readonly logging: Logging;
  /** The VPC; tasks run in its private subnets. */
  readonly network: Network;
  /** The ECS cluster and the Cloud Map namespace Kong resolves the upstream in. */
  readonly platform: ComputePlatform;
  /**
   * Tag of the image to run, in this construct's ECR repository (pushed by the delivery workflow).
   * Tags are immutable there, so a tag always names the same image.
   */
  readonly imageTag: string;
  /** CPU units of one task (a Fargate size, e.g. 256). */
  readonly cpu: number;
  /** Memory of one task in MiB (must fit the CPU size). */
  readonly memoryMiB: number;
  /**
   * Tasks to run; two spread the service over two AZs.
   * @default 2
   */
  readonly desiredCount?: number;
  /**
   * Largest request body the placeholder accepts, in bytes (`PLACEHOLDER_MAX_BODY_BYTES`). Keep it
   * <= Kong's `request-size-limiting` limit, so Kong answers 413 first.
   * @default 8388608 (8 MiB)
   */
  readonly maxBodyBytes?: number;
  /**
   * Seconds ECS waits after SIGTERM before killing the container (Fargate allows at most 120).
   * The placeholder drains in-flight streams for this long minus 5 seconds.
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * Let requests set their own delays (`X-Placeholder-Latency-Ms`), which is how tests provoke
   * Kong's upstream timeouts. Requests reach the placeholder only through Kong's key-auth.
   * @default true
   */
  readonly allowDelayOverride?: boolean;
  /**
   * Name in the Cloud Map namespace. It is the name Kong's service URL uses, and stays the same
   * when the real LLM gateway replaces the placeholder.
   * @default "llm-gateway"
   */
  readonly serviceName?: string;
  /**
   * Images the repository keeps (the newest); untagged images are removed after a day.
   * @default 30
   */
  readonly keepImages?: number;
  /**
   * Delete the repository together with its images on destroy (a disposable stage).
   * @default false
   */
  readonly forceDeleteRepository?: boolean;
}

/** The port the placeholder listens on inside its task. */
export const UPSTREAM_PORT = 8080;
/** The container's name in the task definition. */
export const UPSTREAM_CONTAINER = 'llm-gateway-placeholder';

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MIB = 1024 * 1024;

/**
 * The placeholder LLM gateway on Fargate: its ECR repository (immutable tags, scan on push,
 * lifecycle), a service in the private subnets registered in Cloud Map private DNS, its log group,
 * its own execution role, and a security group that admits nobody until `allowFrom` names a peer.
 * The tasks get no task role: the placeholder calls no AWS API, so it holds no credentials.
 */
export class UpstreamService extends Construct {
  /** Where the image is pushed. */
  readonly repository: EcrRepository;
  /** The service's security group (ingress only through {@link allowFrom}). */
  readonly securityGroup: SecurityGroup;
  /** The log group of the placeholder's container. */
  readonly logGroup: CloudwatchLogGroup;
  /** Role ECS uses to pull the image and write logs; the tasks themselves get none. */
  readonly executionRole: IamRole;
  readonly taskDefinition: EcsTaskDefinition;
  readonly service: EcsService;
  /** The Cloud Map service behind {@link dnsName}. */
  readonly discovery: ServiceDiscoveryService;
  /** The private DNS name Kong resolves, e.g. `llm-gateway.dev.kong-gateway.internal`. */
  readonly dnsName: string;
  /** Listening port. */
  readonly port = UPSTREAM_PORT;
  /** The URL Kong's service points at: `http://<dnsName>:8080`. */
  readonly url: string;
  /** The image the task runs: `<repository URL>:<tag>`. */
  readonly imageUri: string;

  constructor(scope: Construct, id: string, props: UpstreamServiceProps) {
    super(scope, id);
    validate(props);
    const { naming, environment: env, network, platform } = props;
    const serviceName = props.serviceName ?? 'llm-gateway';
    const stopTimeoutSeconds = props.stopTimeoutSeconds ?? 30;

    this.repository = new EcrRepository(this, 'repository', {
      name: naming.scoped('llm-gateway-placeholder'),
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      // KMS with the AWS-managed aws/ecr key: pulls and pushes need no key grant of their own.
      encryptionConfiguration: [{ encryptionType: 'KMS' }],
      forceDelete: props.forceDeleteRepository ?? false,
    });
    new EcrLifecyclePolicy(this, 'repository-lifecycle', {
      repository: this.repository.name,
      policy: JSON.stringify({
        rules: [
          {
            rulePriority: 1,
            description: 'Remove untagged images after a day',
            selection: {
              tagStatus: 'untagged',
              countType: 'sinceImagePushed',
              countUnit: 'days',
              countNumber: 1,
            },
            action: { type: 'expire' },
          },
          {
            rulePriority: 2,
            description: `Keep the newest ${props.keepImages ?? 30} images`,
            selection: {
              tagStatus: 'any',
              countType: 'imageCountMoreThan',
              countNumber: props.keepImages ?? 30,
            },
            action: { type: 'expire' },
          },
        ],
      }),
    });
    this.imageUri = `${this.repository.repositoryUrl}:${props.imageTag}`;

    this.logGroup = props.logging.logGroup(this, 'log-group', {
      name: naming.path('llm-gateway-placeholder'),
    });

    // Execution role: pull this repository's images and write this log group, nothing else.
    const trust = new DataAwsIamPolicyDocument(this, 'execution-trust', {
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
    });
    this.executionRole = new IamRole(this, 'execution-role', {
      name: naming.name('upstream-execution'),
      description: 'Pulls the placeholder image and writes its logs',
      assumeRolePolicy: trust.json,
    });
    const permissions = new DataAwsIamPolicyDocument(this, 'execution-permissions', {
      statement: [
        { sid: 'EcrLogin', actions: ['ecr:GetAuthorizationToken'], resources: ['*'] },
        {
          sid: 'PullImage',
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchGetImage'],
          resources: [this.repository.arn],
        },
        {
          sid: 'WriteLogs',
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [`${this.logGroup.arn}:*`],
        },
      ],
    });
    new IamRolePolicy(this, 'execution-policy', {
      name: 'pull-image-write-logs',
      role: this.executionRole.id,
      policy: permissions.json,
    });

    // Security group: no inline rules; ingress only from peers named through allowFrom.
    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: naming.name('upstream'),
      description: 'LLM gateway placeholder tasks: ingress from Kong only',
      vpcId: network.vpc.id,
      revokeRulesOnDelete: true,
    });
    new VpcSecurityGroupEgressRule(this, 'egress-https', {
      securityGroupId: this.securityGroup.id,
      description: 'HTTPS to ECR, S3 (image layers) and CloudWatch Logs, through NAT or VPC endpoints',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });

    this.discovery = new ServiceDiscoveryService(this, 'discovery', {
      name: serviceName,
      description: 'LLM gateway (placeholder) for Kong',
      dnsConfig: {
        namespaceId: platform.namespace.id,
        routingPolicy: 'MULTIVALUE',
        dnsRecords: [{ type: 'A', ttl: 10 }],
      },
      // ECS reports task health to Cloud Map: only healthy tasks are answered.
      healthCheckCustomConfig: {},
    });
    this.dnsName = platform.dnsName(serviceName);
    this.url = `http://${this.dnsName}:${UPSTREAM_PORT}`;

    this.taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      family: naming.name('llm-gateway-placeholder'),
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(props.cpu),
      memory: String(props.memoryMiB),
      executionRoleArn: this.executionRole.arn,
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      containerDefinitions: JSON.stringify([
        {
          name: UPSTREAM_CONTAINER,
          image: this.imageUri,
          essential: true,
          user: '1000:1000',
          readonlyRootFilesystem: true,
          privileged: false,
          portMappings: [{ name: 'http', containerPort: UPSTREAM_PORT, protocol: 'tcp' }],
          // Tuning only: this service has no secrets.
          environment: [
            { name: 'HOST', value: '0.0.0.0' },
            { name: 'PORT', value: String(UPSTREAM_PORT) },
            { name: 'PLACEHOLDER_MAX_BODY_BYTES', value: String(props.maxBodyBytes ?? 8 * MIB) },
            { name: 'PLACEHOLDER_SHUTDOWN_TIMEOUT_MS', value: String((stopTimeoutSeconds - 5) * 1000) },
            { name: 'PLACEHOLDER_ALLOW_DELAY_OVERRIDE', value: String(props.allowDelayOverride ?? true) },
          ],
          healthCheck: {
            command: ['CMD', 'node', 'dist/healthcheck.js'],
            interval: 15,
            timeout: 5,
            retries: 3,
            startPeriod: 10,
          },
          stopTimeout: stopTimeoutSeconds,
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': this.logGroup.name,
              'awslogs-region': env.region,
              'awslogs-stream-prefix': 'placeholder',
              mode: 'non-blocking',
              'max-buffer-size': '4m',
            },
          },
        },
      ]),
    });

    this.service = new EcsService(this, 'service', {
      name: 'llm-gateway-placeholder',
      cluster: platform.cluster.id,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: props.desiredCount ?? 2,
      capacityProviderStrategy: [{ capacityProvider: 'FARGATE', weight: 1 }],
      platformVersion: 'LATEST',
      networkConfiguration: {
        subnets: network.privateSubnets.map((s) => s.id),
        securityGroups: [this.securityGroup.id],
        assignPublicIp: false,
      },
      serviceRegistries: { registryArn: this.discovery.arn },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      deploymentCircuitBreaker: { enable: true, rollback: true },
      enableEcsManagedTags: true,
      propagateTags: 'SERVICE',
      enableExecuteCommand: false,
    });
  }

  /** Admits `peer` (Kong's security group) to the placeholder's port. */
  allowFrom(
    peer: SecurityGroup,
    description = 'Kong to the LLM gateway placeholder',
  ): VpcSecurityGroupIngressRule {
    const id = `ingress-from-${peer.node.path.replace(/[^A-Za-z0-9-]/g, '-')}`;
    return new VpcSecurityGroupIngressRule(this, id, {
      securityGroupId: this.securityGroup.id,
      referencedSecurityGroupId: peer.id,
      description,
      ipProtocol: 'tcp',
      fromPort: UPSTREAM_PORT,
      toPort: UPSTREAM_PORT,
    });
  }
}

function validate(props: UpstreamServiceProps): void {
  const fail = (prop: string, value: unknown, expected: string): never => {
    throw new Error(`UpstreamService: ${prop} ${JSON.stringify(value)} is invalid: ${expected}`);
  };
  if (!IMAGE_TAG.test(props.imageTag) || props.imageTag === 'latest') {
    fail('imageTag', props.imageTag, 'expected an image tag other than "latest" (tags are immutable)');
  }
  const desired = props.desiredCount ?? 2;
  if (!Number.isInteger(desired) || desired < 1) fail('desiredCount', desired, 'expected an integer >= 1');
  const stop = props.stopTimeoutSeconds ?? 30;
  if (!Number.isInteger(stop) || stop < 6 || stop > 120) {
    fail('stopTimeoutSeconds', stop, 'expected 6..120 (Fargate allows at most 120 s)');
  }
  const body = props.maxBodyBytes ?? 8 * MIB;
  if (!Number.isInteger(body) || body < 1024 || body > 1024 * MIB) {
    fail('maxBodyBytes', body, 'expected 1024..1073741824 bytes');
  }
  const keep = props.keepImages ?? 30;
  if (!Number.isInteger(keep) || keep < 1 || keep > 1000) fail('keepImages', keep, 'expected 1..1000');
  if (props.serviceName !== undefined && !/^[a-z][a-z0-9-]{0,62}$/.test(props.serviceName)) {
    fail('serviceName', props.serviceName, 'expected a DNS label (lower case letters, digits, -)');
  }
}
