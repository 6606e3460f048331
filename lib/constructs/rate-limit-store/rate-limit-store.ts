import { generatedSecret } from '../shared/generated-secret';
import { Construct } from 'constructs';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { ElasticacheSubnetGroup } from '@cdktf/provider-aws/lib/elasticache-subnet-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { Password } from '@cdktf/provider-random/lib/password';
import type { AwsEnvironment } from '../shared/aws-environment';
import { skipCheckovOptOut } from '../../policy/checkov';
import { accountAdministeredKeyPolicy, customerManagedKey } from '../shared/kms-key-policy';
import { injectableSecrets, type InjectedSecrets } from '../shared/injected-secrets';
import { Connections } from '../shared/connections';
import { REDIS_HOST_VAR, REDIS_PASSWORD_KONG_ENV_VAR, REDIS_PORT_VAR } from '../../contracts/deck-env-names';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';
import { replicationGroupMemberIds } from './member-ids';

/** The port the store listens on (Redis/Valkey default). */
export const RATE_LIMIT_STORE_PORT = 6379;
/**
 * Length of the generated AUTH token. ElastiCache accepts 16..128 printable characters without
 * `/`, `"`, `@` or spaces; letters and digits only (64 of them, ~380 bits) fit every place the token
 * travels (ECS secrets, a shell in a runbook) without escaping.
 */
export const AUTH_TOKEN_LENGTH = 64;

/** Props of {@link RateLimitStore}. */
export interface RateLimitStoreProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account and region for the key policy and the read policy. */
  readonly environment: AwsEnvironment;
  /** Where the slow and engine logs go (encrypted, with retention). */
  readonly logging: Logging;
  /** The VPC; the store lives in its isolated subnets (no route out of the VPC). */
  readonly network: Network;
  /** ElastiCache node type, e.g. `cache.t4g.small`. */
  readonly nodeType: string;
  /**
   * Replicas beside the primary. At least 1 turns on automatic failover and Multi-AZ, so losing
   * the primary's AZ costs a failover (seconds), not the counters' availability.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Valkey major.minor version; minor patches apply automatically in the maintenance window.
   * @default "8.0"
   */
  readonly engineVersion?: string;
  /**
   * Days a deleted AUTH-token secret stays recoverable: 0 deletes it at once (a stage meant to be
   * destroyed and recreated), else 7..30.
   * @default 30
   */
  readonly secretRecoveryWindowDays?: number;
  /**
   * Days a scheduled deletion of the encryption key waits (7..30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
  /**
   * Retention of the slow and engine logs.
   * @default the stage's default log retention
   */
  readonly logRetentionDays?: number;
}

/**
 * The counter store of Kong's `redis` rate-limiting policy: an ElastiCache for Valkey replication
 * group in the isolated subnets, TLS required in transit, encrypted at rest with its own KMS key,
 * an AUTH token generated here and kept in Secrets Manager (Kong reads it through ECS `secrets` as
 * `RATE_LIMIT_REDIS_PASSWORD` and its env vault), its own security group that admits only the
 * security groups given to {@link allowFrom}, and slow/engine logs in CloudWatch.
 *
 * Valkey speaks the Redis protocol Kong's rate-limiting uses, and costs less than Redis OSS on
 * ElastiCache. Counters are short-lived, so there are no snapshots: a lost store resets the
 * current windows (docs/adr/0007).
 */
export class RateLimitStore extends Construct {
  /** The replication group. */
  readonly replicationGroup: ElasticacheReplicationGroup;
  /** The store's own security group (no rules but those added by {@link allowFrom}). */
  readonly securityGroup: SecurityGroup;
  /** The rules of {@link securityGroup}. */
  readonly connections: Connections;
  /** Key for at-rest encryption and the AUTH-token secret. */
  readonly key: KmsKey;
  /** The secret holding the AUTH token (the raw token as its string value). */
  readonly authTokenSecret: SecretsmanagerSecret;
  /** The primary endpoint's DNS name (a token); it follows failovers. */
  readonly host: string;
  /** The port ({@link RATE_LIMIT_STORE_PORT}). */
  readonly port: number;
  /**
   * For the Kong container: `RATE_LIMIT_REDIS_PASSWORD` from the secret, and the policy the task's
   * EXECUTION role needs to resolve it.
   */
  readonly injectedSecrets: InjectedSecrets;
  /**
   * Plain environment for the decK config-sync container: `DECK_REDIS_HOST`, `DECK_REDIS_PORT`
   * (addresses, not secrets).
   */
  readonly configSyncEnvironment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: RateLimitStoreProps) {
    super(scope, id);
    const { naming, environment: env, network } = props;
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 5) {
      throw new Error(
        `RateLimitStore: replicas must be an integer 0..5 (ElastiCache allows 5), got ${replicas}`,
      );
    }
    const groupId = `${naming.shortPrefix}-ratelimit`;
    if (groupId.length > 40 || /--|-$/.test(groupId)) {
      throw new Error(
        `RateLimitStore: "${groupId}" is not a valid replication group ID (<= 40 characters, no "--", no trailing "-"); shorten the stage name`,
      );
    }
    this.port = RATE_LIMIT_STORE_PORT;

    this.key = customerManagedKey(this, {
      description: `Rate-limit store (ElastiCache at rest, AUTH-token secret) of ${naming.prefix}`,
      aliasName: naming.name('rate-limit-store'),
      deletionWindowDays: props.keyDeletionWindowDays ?? 30,
      policyJson: accountAdministeredKeyPolicy(this, env),
    });

    const token = new Password(this, 'auth-token', { length: AUTH_TOKEN_LENGTH, special: false });
    const authToken = generatedSecret(this, {
      id: 'auth-token-secret',
      valueId: 'auth-token-value',
      name: naming.scoped('rate-limit-store/auth-token'),
      description: 'AUTH token of the rate-limit store (Kong reads it as RATE_LIMIT_REDIS_PASSWORD)',
      kmsKeyArn: this.key.arn,
      recoveryWindowDays: props.secretRecoveryWindowDays ?? 30,
      value: token.result,
      rotation:
        'Terraform owns the token: rotate by replacing it in a deploy (ElastiCache ROTATE strategy), not by a rotation Lambda',
    });
    this.authTokenSecret = authToken.secret;

    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: naming.name('rate-limit-store'),
      description: 'Rate-limit store: admits only the security groups allowed by allowFrom on its port',
      vpcId: network.vpc.id,
      tags: { Name: naming.name('rate-limit-store') },
    });
    this.connections = new Connections(this, this.securityGroup);

    const subnets = new ElasticacheSubnetGroup(this, 'subnets', {
      name: naming.name('rate-limit-store'),
      description: 'Isolated subnets of the rate-limit store',
      subnetIds: network.isolatedSubnets.map((s) => s.id),
    });

    const logs = (['slow-log', 'engine-log'] as const).map((logType) => ({
      logType,
      group: props.logging.logGroup(this, logType, {
        name: naming.path(`rate-limit-store/${logType}`),
        ...(props.logRetentionDays !== undefined ? { retentionDays: props.logRetentionDays } : {}),
      }),
    }));

    const highlyAvailable = replicas >= 1;
    this.replicationGroup = new ElasticacheReplicationGroup(this, 'replication-group', {
      replicationGroupId: groupId,
      description: `Kong rate-limit counters of ${naming.prefix}`,
      engine: 'valkey',
      engineVersion: props.engineVersion ?? '8.0',
      autoMinorVersionUpgrade: 'true',
      nodeType: props.nodeType,
      numCacheClusters: 1 + replicas,
      automaticFailoverEnabled: highlyAvailable,
      multiAzEnabled: highlyAvailable,
      port: RATE_LIMIT_STORE_PORT,
      subnetGroupName: subnets.name,
      securityGroupIds: [this.securityGroup.id],
      transitEncryptionEnabled: true,
      transitEncryptionMode: 'required',
      atRestEncryptionEnabled: 'true',
      kmsKeyId: this.key.arn,
      authToken: token.result,
      authTokenUpdateStrategy: 'ROTATE',
      snapshotRetentionLimit: 0, // counters are short-lived; a restore would be stale anyway
      logDeliveryConfiguration: logs.map(({ logType, group }) => ({
        destination: group.name,
        destinationType: 'cloudwatch-logs',
        logFormat: 'json',
        logType,
      })),
    });
    if (!highlyAvailable) {
      skipCheckovOptOut(
        this.replicationGroup,
        'CKV2_AWS_50',
        'single node by the stage settings (rateLimiting.redisReplicas 0): no replica to fail over to',
      );
    }
    this.host = this.replicationGroup.primaryEndpointAddress;

    this.injectedSecrets = injectableSecrets(this, 'auth-token-read', {
      subject: 'RateLimitStoreAuthToken',
      secretArns: [this.authTokenSecret.arn],
      keyArn: this.key.arn,
      region: env.region,
      containerSecrets: [{ name: REDIS_PASSWORD_KONG_ENV_VAR, valueFrom: this.authTokenSecret.arn }],
      versions: [authToken.value],
    });
    this.configSyncEnvironment = {
      [REDIS_HOST_VAR]: this.host,
      [REDIS_PORT_VAR]: String(RATE_LIMIT_STORE_PORT),
    };
  }

  /**
   * Admits `peer` (e.g. Kong's tasks) on the store's port: one rule `ingress-6379-<peer label>`
   * (`shared/connections.ts`), stable when other peers are added. Throws on a second call for
   * the same peer.
   */
  allowFrom(peer: SecurityGroup, description: string): void {
    this.connections.allowFrom(peer, RATE_LIMIT_STORE_PORT, description);
  }

  /** Nodes in the group: the primary and its replicas. */
  get nodeCount(): number {
    return this.replicationGroup.numCacheClustersInput!;
  }

  /** The member clusters (`<group id>-001`, ...), the `CacheClusterId` of per-node metrics. */
  get memberClusterIds(): string[] {
    return replicationGroupMemberIds(this.replicationGroup.replicationGroupId, this.nodeCount);
  }
}
