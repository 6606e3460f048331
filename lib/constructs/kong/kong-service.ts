import { createHash } from 'crypto';
import type { Construct } from 'constructs';
import { Token, type ITerraformDependable } from 'cdktf';
import { DataAwsSecretsmanagerSecret } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret';
import { EcrPullThroughCacheRule } from '@cdktf/provider-aws/lib/ecr-pull-through-cache-rule';
import { EcrRepositoryCreationTemplate } from '@cdktf/provider-aws/lib/ecr-repository-creation-template';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import type { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { ComputePlatform } from '../compute-platform/compute-platform';
import { connect, type Connections } from '../shared/connections';
import { FargateServiceBase, type AwsApiEndpoints } from '../shared/fargate-service';
import type { ContainerSecret, InjectedSecrets } from '../shared/injected-secrets';
import {
  CONTAINERS,
  DECK_CONFIG_ENV,
  DOCKER_HUB_REGISTRY,
  CREDENTIAL_VERSIONS_ENV,
  KONG_PORTS,
  KONG_PREFIX,
  MIGRATIONS_SCRIPT,
  VOLUME_INIT_SCRIPT,
  configSyncScript,
  databaseEnvironmentProblems,
  deckEnvReferences,
  envVaultReferences,
  kongDatabaseEnvironment,
  kongEnvironment,
  credentialVersionsDigest,
  resolveImage,
  type PullThroughCache,
} from './kong-containers';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';

/** ECS refuses task definitions larger than 64 KiB; keep a margin for the fields around them. */
export const CONTAINER_DEFINITIONS_MAX_BYTES = 60 * 1024;
/** The most a Fargate container may take to stop after the stop signal. */
const STOP_TIMEOUT_SECONDS = 120;
/** Default name of the Docker Hub credential the pull-through cache rule uses. */
export const DEFAULT_DOCKER_HUB_CREDENTIAL = 'ecr-pullthroughcache/docker-hub';

/**
 * Kong's database as Kong sees it: its non-secret settings and its password secret. The database
 * construct produces both (`KongDatabase.kongEnvironment()` and `.injectedSecrets`).
 */
export interface KongDatabaseConnection {
  /**
   * Non-secret Kong settings: `KONG_DATABASE=postgres`, `KONG_PG_HOST`, `KONG_PG_PORT`,
   * `KONG_PG_DATABASE`, `KONG_PG_USER`, `KONG_PG_SSL=on`, `KONG_PG_SSL_VERIFY`, and with
   * verification on, `KONG_LUA_SSL_TRUSTED_CERTIFICATE` (`system,<bundle>`). Given to the
   * migrations and Kong containers.
   */
  readonly environment: Readonly<Record<string, string>>;
  /** The password as ECS secrets: exactly one entry, named `KONG_PG_PASSWORD`. */
  readonly password: InjectedSecrets;
}

/** What the config-sync container applies and with which values. */
export interface KongConfigSync {
  /** The rendered decK file for this stage (`renderKongConfig(stage)`): YAML without secrets. */
  readonly deckConfig: string;
  /** Secrets the decK file references (consumer keys: `DECK_CONSUMER_<STEM>_KEY`, ...). */
  readonly secrets: readonly InjectedSecrets[];
  /** The LLM upstream, set as `DECK_LLM_UPSTREAM_HOST` / `DECK_LLM_UPSTREAM_PORT`. */
  readonly upstream: { readonly host: string; readonly port: number };
  /**
   * The generation of every credential the task reads at start, by name (`consumer/<name>`,
   * `database/password`; numbers only, never a value). Their digest goes into the config-sync
   * container's environment (`KONG_GATEWAY_CREDENTIAL_VERSIONS_SHA256`), so raising any of them changes
   * the task definition and the deploy rolls the service: the new tasks read the new values and
   * their sync puts the new keys into Kong's database. Required: without it a rotated key would
   * reach no task.
   */
  readonly credentialVersions: Readonly<Record<string, number>>;
  /**
   * Further plain values the decK file references, names starting `DECK_` (e.g. the rate-limit
   * store's `DECK_REDIS_HOST` / `DECK_REDIS_PORT`).
   * @default none
   */
  readonly environment?: Readonly<Record<string, string>>;
}

/** What Kong needs from the load balancer in front of it. */
export interface KongLoadBalancerAttachment {
  /** The ALB's rules: it may reach Kong on the proxy and status ports, and Kong admits it there only. */
  readonly connections: Connections;
  /** The target group the service registers its tasks in (port 8000). */
  readonly targetGroup: LbTargetGroup;
  /** Listeners that use the target group; the service waits for them. */
  readonly listeners: readonly LbListener[];
  /** The ALB's idle timeout; Kong's keepalive is set above it. */
  readonly idleTimeoutSeconds: number;
  /** Label of the ALBRequestCountPerTarget metric (`app/.../targetgroup/...`). */
  readonly requestCountResourceLabel: string;
}

/** A security group owner that admits peers on its own port (database, Redis, upstream). */
export interface SecurityGroupPeer {
  /** The peer's security group. */
  readonly securityGroup: SecurityGroup;
  /** Adds one ingress rule that admits `peer` on the owner's port. */
  allowFrom(peer: SecurityGroup, description: string): void;
}

/** Props of {@link KongService}. */
export interface KongServiceProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, region and partition for ARNs and the pull-through registry. */
  readonly environment: AwsEnvironment;
  /** Where the task's log group comes from (encrypted, with retention). */
  readonly logging: Logging;
  /** Private subnets for the tasks; the public (ALB) subnets become Kong's trusted IPs. */
  readonly network: Network;
  /** The ECS cluster. */
  readonly platform: ComputePlatform;
  /** The Kong image on Docker Hub, pinned by tag or digest (e.g. `kong:3.9.3`). */
  readonly image: string;
  /** The decK image on Docker Hub that syncs the configuration (e.g. `kong/deck:v1.49.0`). */
  readonly deckImage: string;
  /** CPU units of one task (a Fargate size; also Kong's worker count, one per vCPU). */
  readonly cpu: number;
  /** Memory of one task in MiB (must fit the CPU size). */
  readonly memoryMiB: number;
  /** Tasks the service starts with (autoscaling owns the count afterwards). */
  readonly desiredCount: number;
  /** Autoscaling floor. */
  readonly minCount: number;
  /** Autoscaling ceiling. */
  readonly maxCount: number;
  /**
   * Average CPU autoscaling holds, in percent.
   * @default 60
   */
  readonly cpuTargetPercent?: number;
  /**
   * ALB requests per task per minute autoscaling holds.
   * @default 6000
   */
  readonly requestsPerTargetPerMinute?: number;
  /**
   * Largest request body, in MiB: nginx's `client_max_body_size` (the decK file's
   * `request-size-limiting` takes the same value).
   * @default 8
   */
  readonly maxRequestBodyMiB?: number;
  /**
   * Pull both images through an ECR pull-through cache of Docker Hub (no Docker Hub rate limit,
   * and no internet egress from the tasks). Required with {@link awsApiEndpoints}.
   * @default false
   */
  readonly pullThroughCache?: boolean;
  /**
   * The stage's VPC endpoints. With them, Kong's HTTPS egress goes only to the endpoints and the S3
   * prefix list, never to the internet (see {@link FargateServiceBaseProps.awsApiEndpoints}).
   * @default none: HTTPS to 0.0.0.0/0 through NAT
   */
  readonly awsApiEndpoints?: AwsApiEndpoints;
  /** Kong's Postgres. */
  readonly database: KongDatabaseConnection;
  /** The configuration applied after Kong is healthy. */
  readonly configSync: KongConfigSync;
  /** The ALB in front of the service. */
  readonly loadBalancer: KongLoadBalancerAttachment;
  /**
   * Further secrets for the Kong container itself (e.g. `RATE_LIMIT_REDIS_PASSWORD`, read by the
   * env vault reference in the rate-limiting plugin).
   * @default none
   */
  readonly kongSecrets?: readonly InjectedSecrets[];
  /**
   * Secrets Manager secret (name starting `ecr-pullthroughcache/`) holding the Docker Hub user
   * and access token the pull-through cache rule authenticates with. Created by the operator,
   * see docs/runbooks/upgrade-kong.md. Only read when {@link pullThroughCache} is on.
   * @default "ecr-pullthroughcache/docker-hub"
   */
  readonly dockerHubCredentialSecretName?: string;
  /**
   * Retention of the task's log group.
   * @default the stage's default retention
   */
  readonly logRetentionDays?: number;
}

/**
 * Kong on Fargate, on the {@link FargateServiceBase}: one task definition with four containers
 * (volume-init -> migrations -> Kong -> config-sync) behind the ALB, Kong's images (through the
 * pull-through cache when on), an empty task role, exactly the given secrets granted to the
 * execution role, and a one-off migrations task definition for `kong migrations finish`. The
 * migrations run in Kong's task or in that one-off task, both with Kong's security group, so they
 * reach the database through Kong's rules and no others.
 */
export class KongService extends FargateServiceBase {
  /** The service's task definition. */
  readonly taskDefinition: EcsTaskDefinition;
  /** The one-off migrations task definition (`kong migrations list` unless overridden). */
  readonly migrationsTaskDefinition: EcsTaskDefinition;
  /** Role the containers run as: no permissions. */
  readonly taskRole: IamRole;
  /** The Kong image the task pulls (through the pull-through cache when on). */
  readonly kongImage: string;
  /** The decK image the task pulls. */
  readonly deckImage: string;
  /** The pull-through cache rule, when on. */
  readonly pullThroughCacheRule?: EcrPullThroughCacheRule;

  private readonly runTaskBase: string;

  constructor(scope: Construct, id: string, props: KongServiceProps) {
    validateProps(props);
    const { naming, environment: env, network } = props;
    super(scope, id, {
      ...props,
      name: 'kong',
      displayName: 'Kong',
      securityGroupDescription: `Kong tasks of ${naming.prefix}: proxy and status from the ALB only`,
      executionRoleDescription:
        'ECS agent for Kong tasks: pull images, write logs, resolve the injected secrets',
      logGroupName: naming.path('kong'),
      logStreamPrefix: naming.stage,
      launchMode: 'launch-type',
    });

    // --- Network -------------------------------------------------------------------------------
    // Egress: HTTPS to AWS APIs (the base: VPC endpoints, or NAT without them); PostgreSQL, Redis
    // and the upstream through connectTo. Kong calls nothing else: the config-sync container talks
    // to Kong on 127.0.0.1, and DNS goes to the VPC resolver, which security groups do not filter.
    const alb = props.loadBalancer;
    for (const [what, port] of [
      ['proxy', KONG_PORTS.proxy],
      ['status (ALB health checks)', KONG_PORTS.status],
    ] as const) {
      connect(alb.connections, this.connections, port, {
        egress: `Kong ${what}`,
        ingress: `Kong ${what} from the ALB`,
      });
    }

    // --- Images --------------------------------------------------------------------------------
    let cache: PullThroughCache | undefined;
    if (props.pullThroughCache) {
      const prefix = `${naming.shortPrefix}-hub`;
      const credential = new DataAwsSecretsmanagerSecret(this, 'docker-hub-credential', {
        name: props.dockerHubCredentialSecretName ?? DEFAULT_DOCKER_HUB_CREDENTIAL,
      });
      this.pullThroughCacheRule = new EcrPullThroughCacheRule(this, 'docker-hub-cache', {
        ecrRepositoryPrefix: prefix,
        upstreamRegistryUrl: DOCKER_HUB_REGISTRY,
        credentialArn: credential.arn,
      });
      // Repositories the cache creates on first pull: encrypted and pruned. Tags stay mutable so the
      // cache can refresh them; a digest in the image reference is immune to that.
      new EcrRepositoryCreationTemplate(this, 'docker-hub-cache-template', {
        prefix,
        appliedFor: ['PULL_THROUGH_CACHE'],
        description: `Docker Hub images cached for ${naming.prefix}`,
        imageTagMutability: 'MUTABLE',
        encryptionConfiguration: [{ encryptionType: 'AES256' }],
        lifecyclePolicy: JSON.stringify({
          rules: [
            {
              rulePriority: 1,
              description: 'Keep the 20 most recent images',
              selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 20 },
              action: { type: 'expire' },
            },
          ],
        }),
      });
      cache = { registryHost: `${env.accountId}.dkr.ecr.${env.region}.amazonaws.com`, prefix };
      // The first pull of an image creates its repository and imports it from Docker Hub.
      this.allowPull(
        [env.arn('ecr', `repository/${prefix}/*`)],
        ['ecr:CreateRepository', 'ecr:BatchImportUpstreamImage'],
      );
    }
    this.kongImage = resolveImage(props.image, cache);
    this.deckImage = resolveImage(props.deckImage, cache);

    // --- Roles ---------------------------------------------------------------------------------
    this.grantSecrets([props.database.password, ...(props.kongSecrets ?? []), ...props.configSync.secrets]);
    this.taskRole = new IamRole(this, 'task-role', {
      name: naming.name('kong-task'),
      description: 'Kong containers: no AWS permissions',
      assumeRolePolicy: this.ecsTasksTrust('task-role-trust'),
    });

    // --- Containers ----------------------------------------------------------------------------
    const envOptions = {
      database: props.database.environment,
      trustedCidrs: network.publicSubnetCidrs, // the ALB's subnets (LoadBalancer puts it there)
      cpu: props.cpu,
      maxRequestBodyMiB: props.maxRequestBodyMiB ?? 8,
      loadBalancerIdleTimeoutSeconds: alb.idleTimeoutSeconds,
      workerShutdownTimeoutSeconds: STOP_TIMEOUT_SECONDS - 10,
    };
    const dbSecrets = props.database.password.containerSecrets;
    const kongSecrets = [...dbSecrets, ...(props.kongSecrets ?? []).flatMap((s) => s.containerSecrets)];
    const syncSecrets = props.configSync.secrets.flatMap((s) => s.containerSecrets);

    const volumeInit = this.containerDefinition(CONTAINERS.volumeInit, this.kongImage, {
      essential: false,
      user: '0',
      entryPoint: ['/bin/sh', '-c'],
      command: [VOLUME_INIT_SCRIPT],
      mountPoints: [
        { sourceVolume: 'kong-prefix', containerPath: KONG_PREFIX, readOnly: false },
        { sourceVolume: 'kong-tmp', containerPath: '/tmp', readOnly: false },
        { sourceVolume: 'deck-tmp', containerPath: '/deck-tmp', readOnly: false },
      ],
    });
    const migrations = (essential: boolean, command: string[]) =>
      this.containerDefinition(CONTAINERS.migrations, this.kongImage, {
        essential,
        entryPoint: ['/bin/sh', '-c'],
        command,
        environment: toKeyValue(kongDatabaseEnvironment(envOptions)),
        secrets: dbSecrets.map(toSecretEntry),
        dependsOn: [{ containerName: CONTAINERS.volumeInit, condition: 'SUCCESS' }],
        mountPoints: [
          { sourceVolume: 'kong-prefix', containerPath: KONG_PREFIX, readOnly: false },
          { sourceVolume: 'kong-tmp', containerPath: '/tmp', readOnly: false },
        ],
      });
    const kongContainer = this.containerDefinition(CONTAINERS.kong, this.kongImage, {
      essential: true,
      environment: toKeyValue(kongEnvironment(envOptions)),
      secrets: kongSecrets.map(toSecretEntry),
      portMappings: [
        { containerPort: KONG_PORTS.proxy, protocol: 'tcp', name: 'proxy' },
        { containerPort: KONG_PORTS.status, protocol: 'tcp', name: 'status' },
      ],
      dependsOn: [
        { containerName: CONTAINERS.volumeInit, condition: 'SUCCESS' },
        { containerName: CONTAINERS.migrations, condition: 'SUCCESS' },
      ],
      healthCheck: {
        command: ['CMD', 'kong', 'health'],
        interval: 15,
        timeout: 10,
        retries: 4,
        startPeriod: 60,
      },
      stopTimeout: STOP_TIMEOUT_SECONDS,
      mountPoints: [
        { sourceVolume: 'kong-prefix', containerPath: KONG_PREFIX, readOnly: false },
        { sourceVolume: 'kong-tmp', containerPath: '/tmp', readOnly: false },
      ],
      ulimits: [{ name: 'nofile', softLimit: 65536, hardLimit: 65536 }],
    });
    const deckConfigB64 = Buffer.from(props.configSync.deckConfig, 'utf8').toString('base64');
    const syncEnv: Record<string, string> = {
      [DECK_CONFIG_ENV]: deckConfigB64,
      KONG_GATEWAY_DECK_CONFIG_SHA256: createHash('sha256').update(props.configSync.deckConfig).digest('hex'),
      [CREDENTIAL_VERSIONS_ENV]: credentialVersionsDigest(props.configSync.credentialVersions),
      DECK_LLM_UPSTREAM_HOST: props.configSync.upstream.host,
      DECK_LLM_UPSTREAM_PORT: Token.asString(props.configSync.upstream.port),
      HOME: '/tmp',
    };
    Object.assign(syncEnv, props.configSync.environment ?? {});
    const configSync = this.containerDefinition(CONTAINERS.configSync, this.deckImage, {
      essential: false,
      entryPoint: ['/bin/sh', '-c'],
      command: [configSyncScript(`http://127.0.0.1:${KONG_PORTS.admin}`)],
      environment: toKeyValue(syncEnv),
      secrets: syncSecrets.map(toSecretEntry),
      dependsOn: [{ containerName: CONTAINERS.kong, condition: 'HEALTHY' }],
      mountPoints: [{ sourceVolume: 'deck-tmp', containerPath: '/tmp', readOnly: false }],
    });

    const containerDefinitions = JSON.stringify([
      volumeInit,
      migrations(false, [MIGRATIONS_SCRIPT]),
      kongContainer,
      configSync,
    ]);
    if (Buffer.byteLength(containerDefinitions) > CONTAINER_DEFINITIONS_MAX_BYTES) {
      throw new Error(
        `KongService: the container definitions take ${Buffer.byteLength(containerDefinitions)} bytes, above ` +
          `${CONTAINER_DEFINITIONS_MAX_BYTES} (ECS allows 64 KiB per task definition); the decK file is ` +
          `${props.configSync.deckConfig.length} characters: deliver it through an SSM parameter instead`,
      );
    }

    const taskBase = {
      ...this.taskDefinitionBase(props.cpu, props.memoryMiB),
      taskRoleArn: this.taskRole.arn,
    };
    this.taskDefinition = new EcsTaskDefinition(this, 'task', {
      ...taskBase,
      family: naming.name('kong'),
      containerDefinitions,
      volume: [{ name: 'kong-prefix' }, { name: 'kong-tmp' }, { name: 'deck-tmp' }],
      // A new revision (a raised key or password generation) is registered, and the service rolled
      // to it, only once the new values are stored: its tasks must not read the old ones.
      dependsOn: injectedValueWriters(props),
    });
    // The one-off task for `finish` (and for inspecting with `list`, its default command).
    this.migrationsTaskDefinition = new EcsTaskDefinition(this, 'migrations-task', {
      ...taskBase,
      family: naming.name('kong-migrations'),
      containerDefinitions: JSON.stringify([volumeInit, migrations(true, ['kong migrations list'])]),
      volume: [{ name: 'kong-prefix' }, { name: 'kong-tmp' }, { name: 'deck-tmp' }],
    });

    // --- Service -------------------------------------------------------------------------------
    this.createService({
      serviceName: naming.name('kong'),
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount,
      loadBalancer: [
        {
          targetGroupArn: alb.targetGroup.arn,
          containerName: CONTAINERS.kong,
          containerPort: KONG_PORTS.proxy,
        },
      ],
      // Room for migrations and Kong's start before ALB checks count.
      healthCheckGracePeriodSeconds: 180,
      autoscaling: {
        minCount: props.minCount,
        maxCount: props.maxCount,
        cpuTargetPercent: props.cpuTargetPercent ?? 60,
        requestsPerTarget: {
          resourceLabel: alb.requestCountResourceLabel,
          perMinute: props.requestsPerTargetPerMinute ?? 6000,
        },
      },
      dependsOn: alb.listeners,
    });

    const subnets = network.privateSubnets.map((s) => s.id);
    this.runTaskBase = [
      'aws ecs run-task',
      `--region ${env.region}`,
      `--cluster ${props.platform.cluster.name}`,
      `--task-definition ${this.migrationsTaskDefinition.family}`,
      '--launch-type FARGATE',
      '--started-by kong-migrations-runbook',
      `--network-configuration 'awsvpcConfiguration={subnets=[${subnets.join(',')}],securityGroups=[${this.securityGroup.id}],assignPublicIp=DISABLED}'`,
    ].join(' ');
  }

  /**
   * A ready `aws ecs run-task` command that runs `kong migrations <subcommand>` once in the
   * one-off migrations task and prints the task ARN (docs/runbooks/upgrade-kong.md).
   */
  migrationsCommand(subcommand: 'list' | 'finish'): string {
    const overrides = JSON.stringify({
      containerOverrides: [{ name: CONTAINERS.migrations, command: [`kong migrations ${subcommand}`] }],
    });
    return `${this.runTaskBase} --overrides '${overrides}' --query 'tasks[0].taskArn' --output text`;
  }

  /**
   * Opens Kong's egress to `peer` on `port` and asks the peer to admit Kong's group: one call per
   * dependency (database 5432, Redis 6379, upstream 8080).
   */
  connectTo(peer: SecurityGroupPeer, port: number, description: string): void {
    this.connections.allowTo(peer.securityGroup, port, description);
    peer.allowFrom(this.securityGroup, `${description} from Kong`);
  }
}

function toKeyValue(env: Record<string, string>): { name: string; value: string }[] {
  return Object.entries(env).map(([name, value]) => ({ name, value }));
}

function toSecretEntry(s: ContainerSecret): { name: string; valueFrom: string } {
  return { name: s.name, valueFrom: s.valueFrom };
}

/** The secret versions this task injects (`InjectedSecrets.versions`). */
function injectedValueWriters(props: KongServiceProps): ITerraformDependable[] {
  return [props.database.password, ...(props.kongSecrets ?? []), ...props.configSync.secrets].flatMap(
    (s) => s.versions,
  );
}

function validateProps(props: KongServiceProps): void {
  const pw = props.database.password.containerSecrets;
  if (pw.length !== 1 || pw[0]!.name !== 'KONG_PG_PASSWORD') {
    throw new Error(
      `KongService: database.password must inject exactly one secret named KONG_PG_PASSWORD, got [${pw
        .map((s) => s.name)
        .join(', ')}]`,
    );
  }
  const names = [
    ...pw,
    ...(props.kongSecrets ?? []).flatMap((s) => s.containerSecrets),
    ...props.configSync.secrets.flatMap((s) => s.containerSecrets),
  ].map((s) => s.name);
  const duplicates = names.filter((n, i) => names.indexOf(n) !== i);
  if (duplicates.length > 0) {
    throw new Error(
      `KongService: secrets injected twice under the same name: ${[...new Set(duplicates)].join(', ')}`,
    );
  }
  const { minCount, desiredCount, maxCount } = props;
  if (![minCount, desiredCount, maxCount].every((n) => Number.isInteger(n) && n >= 1)) {
    throw new Error(
      `KongService: minCount, desiredCount and maxCount must be integers >= 1, got ${minCount}, ${desiredCount}, ${maxCount}`,
    );
  }
  if (!(minCount <= desiredCount && desiredCount <= maxCount)) {
    throw new Error(
      `KongService: expected minCount <= desiredCount <= maxCount, got ${minCount} <= ${desiredCount} <= ${maxCount}`,
    );
  }
  const prefix = `${props.naming.shortPrefix}-hub`;
  if (props.pullThroughCache && prefix.length > 30) {
    throw new Error(`KongService: pull-through prefix "${prefix}" exceeds 30 characters`);
  }
  if (props.awsApiEndpoints && !props.pullThroughCache) {
    throw new Error(
      'KongService: awsApiEndpoints limits HTTPS egress to the VPC endpoints, so Docker Hub is out of reach: ' +
        'set pullThroughCache to pull the Kong and decK images through ECR',
    );
  }
  if (Token.isUnresolved(props.configSync.deckConfig)) {
    throw new Error('KongService: configSync.deckConfig must be the rendered text, not a token');
  }
  const dbProblems = databaseEnvironmentProblems(props.database.environment);
  if (dbProblems.length > 0) {
    throw new Error(`KongService: database.environment is not usable:\n  - ${dbProblems.join('\n  - ')}`);
  }
  for (const name of Object.keys(props.configSync.environment ?? {})) {
    if (!name.startsWith('DECK_') || /PASSWORD|KEY|TOKEN|SECRET/.test(name)) {
      throw new Error(
        `KongService: configSync.environment may hold plain DECK_* values only; "${name}" is not one (secrets go to configSync.secrets)`,
      );
    }
  }
  // Fail at synth, not in a task at 3 a.m.: every value the decK file substitutes must be given.
  const syncNames = new Set([
    'DECK_LLM_UPSTREAM_HOST',
    'DECK_LLM_UPSTREAM_PORT',
    ...Object.keys(props.configSync.environment ?? {}),
    ...props.configSync.secrets.flatMap((s) => s.containerSecrets.map((c) => c.name)),
  ]);
  const missing = deckEnvReferences(props.configSync.deckConfig).filter((n) => !syncNames.has(n));
  if (missing.length > 0) {
    throw new Error(
      `KongService: the decK file references ${missing.join(', ')}, which the config-sync container does not receive (configSync.secrets or configSync.environment)`,
    );
  }
  const kongNames = new Set((props.kongSecrets ?? []).flatMap((s) => s.containerSecrets.map((c) => c.name)));
  const missingVault = envVaultReferences(props.configSync.deckConfig).filter((n) => !kongNames.has(n));
  if (missingVault.length > 0) {
    throw new Error(
      `KongService: the decK file reads ${missingVault.join(', ')} through Kong's env vault, but the Kong container does not receive it (kongSecrets)`,
    );
  }
}
