import type { Construct } from 'constructs';
import { EcrLifecyclePolicy } from '@cdktf/provider-aws/lib/ecr-lifecycle-policy';
import { EcrRepository } from '@cdktf/provider-aws/lib/ecr-repository';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { ServiceDiscoveryService } from '@cdktf/provider-aws/lib/service-discovery-service';
import type { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import type { AwsEnvironment } from '../shared/aws-environment';
import { FargateServiceBase, type AwsApiEndpoints } from '../shared/fargate-service';
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
   * Seconds ECS waits after SIGTERM before killing the container (Fargate allows at most 120;
   * at least {@link UPSTREAM_SHUTDOWN_ACCEPT_SECONDS} + 6). The placeholder serves new requests for
   * {@link UPSTREAM_SHUTDOWN_ACCEPT_SECONDS}, then drains in-flight streams until this minus 5
   * seconds. Size it from the longest stream with {@link upstreamStopTimeoutSeconds}.
   * @default 30
   */
  readonly stopTimeoutSeconds?: number;
  /**
   * Let requests set their own delays (`X-Placeholder-Latency-Ms`), which is how tests provoke
   * Kong's upstream timeouts, and how any consumer could hold a connection open for minutes.
   * @default false
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
  /**
   * The stage's VPC endpoints. With them, the tasks' HTTPS egress goes only to the endpoints and
   * the S3 prefix list (the image is in this construct's ECR repository, so nothing else is needed).
   * @default none: HTTPS to 0.0.0.0/0 through NAT
   */
  readonly awsApiEndpoints?: AwsApiEndpoints;
}

/** The port the placeholder listens on inside its task. */
export const UPSTREAM_PORT = 8080;
/** The container's name in the task definition. */
export const UPSTREAM_CONTAINER = 'llm-gateway-placeholder';
/** TTL of the Cloud Map A records: how long a client may keep a stopped task's address. */
export const UPSTREAM_DNS_TTL_SECONDS = 10;
/**
 * After SIGTERM the placeholder keeps serving new requests this long: the DNS TTL plus a margin
 * for Route 53 to drop the deregistered record and for resolvers (Kong's refreshes in the
 * background) to fetch the new answer.
 */
export const UPSTREAM_SHUTDOWN_ACCEPT_SECONDS = UPSTREAM_DNS_TTL_SECONDS + 5;
/** Seconds between the drain limit and the stop timeout: the process logs and exits before SIGKILL. */
const EXIT_MARGIN_SECONDS = 5;
/** Fargate's ceiling on a container's stop timeout. */
export const FARGATE_MAX_STOP_TIMEOUT_SECONDS = 120;
const MIN_STOP_TIMEOUT_SECONDS = UPSTREAM_SHUTDOWN_ACCEPT_SECONDS + EXIT_MARGIN_SECONDS + 1;

/**
 * The stop timeout that lets a stream of `longestStreamSeconds` accepted at the last moment of the
 * accept window still finish: window + stream + exit margin, at most Fargate's 120 s. Longer
 * streams are cut at the drain limit (stop timeout - 5 s) during a placeholder deploy.
 */
export function upstreamStopTimeoutSeconds(longestStreamSeconds: number): number {
  const wanted = UPSTREAM_SHUTDOWN_ACCEPT_SECONDS + Math.ceil(longestStreamSeconds) + EXIT_MARGIN_SECONDS;
  return Math.max(MIN_STOP_TIMEOUT_SECONDS, Math.min(FARGATE_MAX_STOP_TIMEOUT_SECONDS, wanted));
}

const IMAGE_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const MIB = 1024 * 1024;

/**
 * The placeholder LLM gateway on Fargate, on the {@link FargateServiceBase}: its ECR repository
 * (immutable tags, scan on push, lifecycle), a service in the private subnets registered in Cloud
 * Map private DNS, and a security group that admits nobody until `allowFrom` names a peer. The
 * tasks get no task role: the placeholder calls no AWS API, so it holds no credentials; its
 * execution role may pull this repository's images and write its log group, nothing else.
 */
export class UpstreamService extends FargateServiceBase {
  /** Where the image is pushed. */
  readonly repository: EcrRepository;
  /** The placeholder's task definition. */
  readonly taskDefinition: EcsTaskDefinition;
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
    validate(props);
    const { naming, platform } = props;
    super(scope, id, {
      ...props,
      name: 'upstream',
      displayName: 'LLM gateway placeholder',
      securityGroupDescription: 'LLM gateway placeholder tasks: ingress from Kong only',
      executionRoleDescription: 'Pulls the placeholder image and writes its logs',
      logGroupName: naming.path('llm-gateway-placeholder'),
      logStreamPrefix: 'placeholder',
      // Kept from before the base: switching to launch_type would replace the service.
      launchMode: 'capacity-provider',
    });
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

    this.allowPull([this.repository.arn]);

    this.discovery = new ServiceDiscoveryService(this, 'discovery', {
      name: serviceName,
      description: 'LLM gateway (placeholder) for Kong',
      dnsConfig: {
        namespaceId: platform.namespace.id,
        routingPolicy: 'MULTIVALUE',
        dnsRecords: [{ type: 'A', ttl: UPSTREAM_DNS_TTL_SECONDS }],
      },
      // ECS reports task health to Cloud Map: only healthy tasks are answered.
      healthCheckCustomConfig: {},
    });
    this.dnsName = platform.dnsName(serviceName);
    this.url = `http://${this.dnsName}:${UPSTREAM_PORT}`;

    this.taskDefinition = new EcsTaskDefinition(this, 'task-definition', {
      ...this.taskDefinitionBase(props.cpu, props.memoryMiB),
      family: naming.name('llm-gateway-placeholder'),
      containerDefinitions: JSON.stringify([
        this.containerDefinition(UPSTREAM_CONTAINER, this.imageUri, {
          essential: true,
          user: '1000:1000',
          privileged: false,
          portMappings: [{ name: 'http', containerPort: UPSTREAM_PORT, protocol: 'tcp' }],
          // Tuning only: this service has no secrets.
          environment: [
            { name: 'HOST', value: '0.0.0.0' },
            { name: 'PORT', value: String(UPSTREAM_PORT) },
            { name: 'PLACEHOLDER_MAX_BODY_BYTES', value: String(props.maxBodyBytes ?? 8 * MIB) },
            // The drain (README "Deploys and long streams"): serve new requests while DNS caches
            // still point here, then finish in-flight streams until the drain limit.
            {
              name: 'PLACEHOLDER_SHUTDOWN_TIMEOUT_MS',
              value: String((stopTimeoutSeconds - EXIT_MARGIN_SECONDS) * 1000),
            },
            {
              name: 'PLACEHOLDER_SHUTDOWN_ACCEPT_MS',
              value: String(UPSTREAM_SHUTDOWN_ACCEPT_SECONDS * 1000),
            },
            { name: 'PLACEHOLDER_ALLOW_DELAY_OVERRIDE', value: String(props.allowDelayOverride ?? false) },
          ],
          healthCheck: {
            command: ['CMD', 'node', 'dist/healthcheck.js'],
            interval: 15,
            timeout: 5,
            retries: 3,
            startPeriod: 10,
          },
          stopTimeout: stopTimeoutSeconds,
        }),
      ]),
    });

    this.createService({
      serviceName: 'llm-gateway-placeholder',
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 2,
      serviceRegistries: { registryArn: this.discovery.arn },
    });
  }

  /** Admits `peer` (Kong's security group) to the placeholder's port. */
  allowFrom(
    peer: SecurityGroup,
    description = 'Kong to the LLM gateway placeholder',
  ): VpcSecurityGroupIngressRule {
    return this.connections.allowFrom(peer, UPSTREAM_PORT, description);
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
  if (!Number.isInteger(stop) || stop < MIN_STOP_TIMEOUT_SECONDS || stop > FARGATE_MAX_STOP_TIMEOUT_SECONDS) {
    fail(
      'stopTimeoutSeconds',
      stop,
      `expected ${MIN_STOP_TIMEOUT_SECONDS}..${FARGATE_MAX_STOP_TIMEOUT_SECONDS} (the drain outlasts the ${UPSTREAM_SHUTDOWN_ACCEPT_SECONDS} s accept window; Fargate allows at most 120 s)`,
    );
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
