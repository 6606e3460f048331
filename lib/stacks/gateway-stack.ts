import { Construct } from 'constructs';
import { Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { AwsEnvironment } from '../constructs/shared/aws-environment';
import { ComputePlatform } from '../constructs/compute-platform/compute-platform';
import type { Stage } from '../settings/load';
import type { StageSettings } from '../settings/stage-settings';
import { SMOKE_CONSUMER } from '../contracts/consumers';
import { ConsumerKeys } from '../constructs/consumer-keys/consumer-keys';
import { EdgeProtection } from '../constructs/edge-protection/edge-protection';
import { KongDatabase } from '../constructs/database/database';
import { REPOSITORY_ROOT, stageCaBundle } from '../settings/ca-bundle';
import { configureBackend } from './backend';
import { stageTags } from './tags';
import { renderKongConfig } from '../kong-config/render';
import { KongService, type KongServiceProps } from '../constructs/kong/kong-service';
import { LoadBalancer } from '../constructs/load-balancer/load-balancer';
import { forbidOptOutSkips, skipCheckovOptOut } from '../policy/checkov';
import { everyRoleHasPermissionsBoundary, stackRules } from '../policy/rules';
import { PermissionsBoundaryAspect, stageBoundaryArn } from './permissions-boundary';
import { applyStackPolicy } from '../policy/stack-policy-aspect';
import { Logging } from '../constructs/logging/logging';
import { consumerSecretName, Naming } from '../contracts/naming';
import { Network } from '../constructs/network/network';
import { Observability } from '../constructs/observability/observability';
import { RateLimitStore } from '../constructs/rate-limit-store/rate-limit-store';
import { UpstreamService, upstreamStopTimeoutSeconds } from '../constructs/upstream/upstream-service';
import { VpcEndpoints } from '../constructs/network/vpc-endpoints';
import { moveBaselineAddresses } from './baseline-moves';

/** The props of {@link KongService} that come straight from the stage's `kong` settings. */
export type KongServiceSettings = Pick<
  KongServiceProps,
  | 'image'
  | 'deckImage'
  | 'cpu'
  | 'memoryMiB'
  | 'desiredCount'
  | 'minCount'
  | 'maxCount'
  | 'cpuTargetPercent'
  | 'requestsPerTargetPerMinute'
  | 'maxRequestBodyMiB'
  | 'pullThroughCache'
>;

/** Maps the stage's `kong` settings to Kong's service props (the one place that does). */
export function kongServiceSettings(k: StageSettings['kong']): KongServiceSettings {
  return {
    image: k.image,
    deckImage: k.deckImage,
    cpu: k.cpu,
    memoryMiB: k.memoryMiB,
    desiredCount: k.desiredCount,
    minCount: k.minCount,
    maxCount: k.maxCount,
    cpuTargetPercent: k.cpuTargetPercent,
    requestsPerTargetPerMinute: k.requestsPerTargetPerMinute,
    maxRequestBodyMiB: k.maxRequestBodyMiB,
    // The schema requires the cache in a stage with VPC endpoints: Docker Hub is out of reach there.
    pullThroughCache: k.pullThroughCache,
  };
}

/** Props of {@link GatewayStack}. */
export interface GatewayStackProps {
  /** The stage this stack deploys, with its validated settings. */
  readonly stage: Stage;
  /**
   * Directory that relative paths in the stage settings (the database CA bundle) resolve against.
   * @default the repository root
   */
  readonly repositoryRoot?: string;
  /**
   * Permissions boundary of every IAM role the stack creates (the deploy role may create roles
   * only with it).
   * @default the stage's boundary from the bootstrap stack, `kong-gateway-bootstrap-boundary-<stage>`
   */
  readonly permissionsBoundaryArn?: string;
}

/**
 * One stage of the gateway: providers and state backend, then the constructs, each owning one
 * concern and handed the others' handles. Construct IDs are Terraform addresses: keep them stable.
 */
export class GatewayStack extends TerraformStack {
  readonly naming: Naming;
  readonly environment: AwsEnvironment;
  readonly logging: Logging;
  readonly network: Network;
  readonly platform: ComputePlatform;
  /** Kong's PostgreSQL database; the Kong service calls `database.allowFrom(kongSg, ...)`. */
  readonly database: KongDatabase;
  /** The consumers' API key secrets. */
  readonly consumerKeys: ConsumerKeys;
  /** Counters of the `redis` rate-limiting policy; absent with `local` or `cluster`. */
  readonly rateLimitStore?: RateLimitStore;
  /** The placeholder LLM gateway Kong forwards to (Cloud Map: `llm-gateway.<namespace>`). */
  readonly upstream: UpstreamService;
  /** Interface and S3 gateway endpoints, when `network.vpcEndpoints` is on. */
  readonly vpcEndpoints?: VpcEndpoints;
  /** The public ALB in front of Kong. */
  readonly loadBalancer: LoadBalancer;
  /** Kong on Fargate: migrations gate, proxy, decK config sync. */
  readonly kong: KongService;
  /** AWS WAF on the ALB, when `waf.enabled`. */
  readonly edgeProtection?: EdgeProtection;
  /** Alarms, their topic, the 401/429 metric filters and the dashboard. */
  readonly observability: Observability;

  constructor(scope: Construct, id: string, props: GatewayStackProps) {
    super(scope, id);
    const { stage } = props;
    const settings = stage.settings;
    this.naming = new Naming(stage.name);
    const tags = stageTags(stage);

    new AwsProvider(this, 'aws', {
      region: settings.region,
      defaultTags: [{ tags }],
    });
    new RandomProvider(this, 'random');
    configureBackend(this, stage.name, settings.backend);

    this.environment = new AwsEnvironment(this, 'environment', { region: settings.region });
    const production = settings.profile === 'production';
    // A production scan must be clean without skips that a setting switched on (issue 13).
    if (production) forbidOptOutSkips(this, `${stage.file} is a production stage`);
    // A production key waits the longest before deletion; a disposable stage's keys go quickly.
    const keyDeletionWindowDays = production ? 30 : 7;
    this.logging = new Logging(this, 'logging', {
      environment: this.environment,
      naming: this.naming,
      defaultRetentionDays: settings.logRetentionDays,
      keyDeletionWindowDays,
      // Only a development stage may keep logs for less than a year without failing the scan.
      ...(production
        ? {}
        : { shortRetentionReason: `development stage, retention chosen in config/${stage.name}.json` }),
    });

    this.network = new Network(this, 'network', {
      naming: this.naming,
      environment: this.environment,
      logging: this.logging,
      cidr: settings.network.vpcCidr,
      azCount: settings.network.azCount,
      natGateways: settings.network.natGateways,
      flowLogRetentionDays: settings.network.flowLogRetentionDays,
    });
    this.platform = new ComputePlatform(this, 'platform', { naming: this.naming, network: this.network });
    // The handles most constructs take: naming, the account and region, log groups, the VPC.
    const handles = {
      naming: this.naming,
      environment: this.environment,
      logging: this.logging,
      network: this.network,
    };

    const db = settings.database;
    // The committed root of the region unless the settings name a file (production verifies).
    const caBundlePem = stageCaBundle(stage, props.repositoryRoot ?? REPOSITORY_ROOT);
    this.database = new KongDatabase(this, 'database', {
      ...handles,
      engineMajorVersion: db.engineMajorVersion,
      instanceClass: db.instanceClass,
      allocatedStorageGiB: db.allocatedStorageGiB,
      maxAllocatedStorageGiB: db.maxAllocatedStorageGiB,
      multiAz: db.multiAz,
      backupRetentionDays: db.backupRetentionDays,
      deletionProtection: db.deletionProtection,
      finalSnapshot: db.finalSnapshot,
      performanceInsights: db.performanceInsights,
      passwordVersion: db.passwordVersion,
      secretRecoveryWindowDays: settings.consumerSecrets.recoveryWindowDays,
      keyDeletionWindowDays,
      verifyTls: db.tls.verify,
      ...(caBundlePem !== undefined ? { caBundlePem } : {}),
    });

    this.consumerKeys = new ConsumerKeys(this, 'consumer-keys', {
      naming: this.naming,
      environment: this.environment,
      consumers: settings.consumers,
      recoveryWindowDays: settings.consumerSecrets.recoveryWindowDays,
      keyDeletionWindowDays,
    });

    if (settings.rateLimiting.policy === 'redis') {
      this.rateLimitStore = new RateLimitStore(this, 'rate-limit-store', {
        ...handles,
        nodeType: settings.rateLimiting.redisNodeType,
        replicas: settings.rateLimiting.redisReplicas,
        secretRecoveryWindowDays: settings.consumerSecrets.recoveryWindowDays,
        keyDeletionWindowDays,
      });
    }

    // With endpoints, the Fargate services send HTTPS only to them and to S3 (ADR 0014).
    if (settings.network.vpcEndpoints) {
      this.vpcEndpoints = new VpcEndpoints(this, 'vpc-endpoints', {
        naming: this.naming,
        environment: this.environment,
        network: this.network,
      });
    }

    const up = settings.upstream;
    this.upstream = new UpstreamService(this, 'upstream', {
      ...handles,
      platform: this.platform,
      imageTag: up.imageTag,
      cpu: up.cpu,
      memoryMiB: up.memoryMiB,
      desiredCount: up.desiredCount,
      // CONTRACTS: Kong's body limit >= what the placeholder accepts.
      maxBodyBytes: settings.kong.maxRequestBodyMiB * 1024 * 1024,
      // One setting sizes both drains: this stop timeout and Kong's deregistration delay below.
      stopTimeoutSeconds: upstreamStopTimeoutSeconds(up.longestStreamSeconds),
      allowDelayOverride: up.allowDelayOverride,
      forceDeleteRepository: !production,
      ...(this.vpcEndpoints ? { awsApiEndpoints: this.vpcEndpoints } : {}),
    });

    const lb = settings.loadBalancer;
    this.loadBalancer = new LoadBalancer(this, 'load-balancer', {
      naming: this.naming,
      environment: this.environment,
      network: this.network,
      ...(lb.domain ? { domain: lb.domain } : {}),
      allowedCidrs: lb.allowedCidrs,
      idleTimeoutSeconds: lb.idleTimeoutSeconds,
      // A deregistered Kong task keeps serving its streams this long before ECS stops it.
      deregistrationDelaySeconds: up.longestStreamSeconds,
      deletionProtection: lb.deletionProtection,
      accessLogs: lb.accessLogs,
      accessLogRetentionDays: settings.logRetentionDays,
    });

    this.kong = new KongService(this, 'kong', {
      ...handles,
      platform: this.platform,
      ...kongServiceSettings(settings.kong),
      ...(this.vpcEndpoints ? { awsApiEndpoints: this.vpcEndpoints } : {}),
      loadBalancer: this.loadBalancer,
      database: { environment: this.database.kongEnvironment(), password: this.database.injectedSecrets },
      configSync: {
        deckConfig: renderKongConfig(stage),
        secrets: [this.consumerKeys.injectedSecrets],
        upstream: { host: this.upstream.dnsName, port: this.upstream.port },
        // Numbers only: a raised key or password generation changes the task definition, so the
        // deploy rolls Kong and the new tasks read the new values (rotate-consumer-key.md).
        credentialVersions: {
          'database/password': db.passwordVersion,
          ...Object.fromEntries(settings.consumers.map((c) => [`consumer/${c.name}`, c.keyVersion])),
        },
        ...(this.rateLimitStore ? { environment: this.rateLimitStore.configSyncEnvironment } : {}),
      },
      kongSecrets: this.rateLimitStore ? [this.rateLimitStore.injectedSecrets] : [],
    });
    // The chain of security groups: ALB -> Kong (inside KongService) -> database, Redis, upstream.
    this.kong.connectTo(this.database, this.database.port, 'PostgreSQL');
    if (this.rateLimitStore) this.kong.connectTo(this.rateLimitStore, this.rateLimitStore.port, 'Redis');
    this.kong.connectTo(this.upstream, this.upstream.port, 'LLM upstream');

    const waf = settings.waf;
    if (waf.enabled) {
      this.edgeProtection = new EdgeProtection(this, 'edge-protection', {
        naming: this.naming,
        environment: this.environment,
        logging: this.logging,
        loadBalancer: this.loadBalancer.alb,
        ratePerIpPer5Minutes: waf.ratePerIpPer5Minutes,
        unauthenticatedRatePerIpPer5Minutes: waf.unauthenticatedRatePerIpPer5Minutes,
        promptBodyRules: waf.promptBodyRules,
        blockedCidrs: waf.blockedCidrs,
        ...(waf.logRetentionDays !== undefined ? { logRetentionDays: waf.logRetentionDays } : {}),
      });
    } else {
      skipCheckovOptOut(
        this.loadBalancer.alb,
        'CKV2_AWS_28',
        'WAF turned off by the stage settings (waf.enabled: false), which the production profile forbids',
      );
    }

    const alarms = settings.alarms;
    this.observability = new Observability(this, 'observability', {
      naming: this.naming,
      environment: this.environment,
      alarmEmails: alarms.emails,
      ...(alarms.topicArn !== undefined ? { alarmTopicArn: alarms.topicArn } : {}),
      thresholds: alarms.thresholds,
      loadBalancer: this.loadBalancer,
      kong: this.kong,
      database: this.database,
      ...(this.rateLimitStore ? { rateLimitStore: this.rateLimitStore } : {}),
      ...(this.edgeProtection ? { edge: this.edgeProtection } : {}),
      keyDeletionWindowDays,
    });

    this.createKongOutputs(stage);

    // Names and ARNs only: never a key or password.
    new TerraformOutput(this, 'consumer_key_secret_names', {
      description:
        'Secrets Manager secret holding each consumer key (read: README "Consumers and their keys")',
      value: this.consumerKeys.secretNames,
    });
    new TerraformOutput(this, 'consumer_key_secret_arns', {
      description: 'ARN of each consumer key secret',
      value: this.consumerKeys.secretArns,
    });
    new TerraformOutput(this, 'database_endpoint', {
      description: "Host name of Kong's PostgreSQL database (reachable from admitted security groups only)",
      value: this.database.host,
    });
    new TerraformOutput(this, 'upstream_repository_url', {
      description: 'ECR repository the delivery workflow pushes the placeholder image to',
      value: this.upstream.repository.repositoryUrl,
    });
    new TerraformOutput(this, 'database_secret_arn', {
      description: 'ARN of the database master credentials secret',
      value: this.database.secret.arn,
    });

    // Addresses the d51df54 stacks had that now live elsewhere: moved, never destroyed.
    moveBaselineAddresses(this, stage);

    Aspects.of(this).add(
      new PermissionsBoundaryAspect(
        this,
        props.permissionsBoundaryArn ?? stageBoundaryArn(this.environment, stage.name),
      ),
    );
    // Last, so the stack rules see everything above; a violation fails the synth (lib/policy).
    applyStackPolicy(this, [...stackRules(Object.keys(tags)), everyRoleHasPermissionsBoundary]);
  }

  private createKongOutputs(stage: Stage): void {
    const front = this.loadBalancer;
    new TerraformOutput(this, 'alb_dns_name', {
      description: "The load balancer's DNS name",
      value: front.alb.dnsName,
    });
    new TerraformOutput(this, 'base_url', {
      description: front.https
        ? 'Base URL of the gateway'
        : 'Base URL of the gateway (plain HTTP: keys travel in clear)',
      value: front.baseUrl,
    });
    new TerraformOutput(this, 'smoke_key_command', {
      description:
        "Prints the smoke consumer's key from Secrets Manager (needs secretsmanager:GetSecretValue)",
      value:
        `aws secretsmanager get-secret-value --region ${stage.settings.region} ` +
        `--secret-id ${consumerSecretName(stage.name, SMOKE_CONSUMER)} --query SecretString --output text | jq -r .current`,
    });
    new TerraformOutput(this, 'curl_example', {
      description: 'A request through the gateway; set KEY to a consumer key first',
      value: `curl -sS -H "apikey: $KEY" ${front.baseUrl}/llm/v1/models`,
    });
    new TerraformOutput(this, 'kong_migrations_list_command', {
      description: 'Runs `kong migrations list` once (docs/runbooks/upgrade-kong.md)',
      value: this.kong.migrationsCommand('list'),
    });
    new TerraformOutput(this, 'kong_migrations_finish_command', {
      description:
        'Runs `kong migrations finish` once, after an upgrade rollout (docs/runbooks/upgrade-kong.md)',
      value: this.kong.migrationsCommand('finish'),
    });
  }
}
