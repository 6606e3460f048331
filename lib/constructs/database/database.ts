import { generatedSecret } from '../shared/generated-secret';
import { Construct } from 'constructs';
import { Fn } from 'cdktf';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import type { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktf/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import type { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { Password } from '@cdktf/provider-random/lib/password';
import type { AwsEnvironment } from '../shared/aws-environment';
import { skipCheckov, skipCheckovOptOut } from '../../policy/checkov';
import { accountAdministeredKeyPolicy, customerManagedKey } from '../shared/kms-key-policy';
import { injectableSecrets, type InjectedSecrets } from '../shared/injected-secrets';
import { Connections } from '../shared/connections';
import type { Logging } from '../logging/logging';
import type { Naming } from '../../contracts/naming';
import type { Network } from '../network/network';
import { validateCaBundle } from '../../util/ca-bundle';
import { RDS_CA_IDENTIFIER } from '../../contracts/rds-ca';

/** The PostgreSQL port. */
export const POSTGRES_PORT = 5432;
/** Database and user Kong uses (the instance's master user; see ADR 0004). */
export const KONG_DATABASE_NAME = 'kong';
export const KONG_DATABASE_USER = 'kong';
/** The log types exported to CloudWatch; RDS writes `/aws/rds/instance/<id>/<type>`. */
export const DATABASE_LOG_EXPORTS = ['postgresql', 'upgrade'] as const;
/** The RDS server certificate authority the instance uses; the CA bundle must contain its root. */
export { RDS_CA_IDENTIFIER };
/**
 * The TLS floor, on both ends: the server refuses older handshakes (`ssl_min_protocol_version`), and
 * Kong asks for it (`KONG_PG_SSL_VERSION`), so neither side alone decides.
 */
export const DATABASE_TLS_MIN_VERSION = { server: 'TLSv1.2', kong: 'tlsv1_2' } as const;
/**
 * `KONG_LUA_SSL_VERIFY_DEPTH` when Kong verifies the server. An RDS chain is three certificates:
 * the server's (depth 0), the regional `Amazon RDS <region> Subordinate CA RSA2048 G1.A.<n>` the
 * server sends with it (depth 1), and the committed root (depth 2, the trust anchor). OpenSSL
 * counts only the intermediates against the limit, so Kong's default of 1 just fits; 2 is the depth
 * of the root itself, which holds however a TLS library counts and still caps the chain. The value
 * applies to all of Kong's Lua TLS (Redis too: ElastiCache chains through one intermediate).
 */
export const RDS_CHAIN_VERIFY_DEPTH = 2;

/**
 * Server parameters. TLS is enforced (`rds.force_ssl`), at version 1.2 or later. Logging is chosen so that no API key can reach the logs:
 * open-source key-auth keeps keys in plaintext in Kong's tables, so statement text (slow-query
 * logging, `log_statement = mod|all`, the statement of a failed query) and error DETAIL lines
 * (`Key (key)=(...) already exists`) are off; Performance Insights shows normalized statements.
 */
export const DATABASE_PARAMETERS: Readonly<Record<string, string>> = {
  'rds.force_ssl': '1',
  ssl_min_protocol_version: DATABASE_TLS_MIN_VERSION.server,
  log_statement: 'ddl',
  log_min_duration_statement: '-1',
  log_min_error_statement: 'panic',
  log_error_verbosity: 'terse',
  log_connections: '1',
  log_disconnections: '1',
  log_lock_waits: '1',
};

/** Props of {@link KongDatabase}. */
export interface KongDatabaseProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, partition and region for key policies and grants. */
  readonly environment: AwsEnvironment;
  /** Creates the exported PostgreSQL log groups (encrypted, with retention). */
  readonly logging: Logging;
  /** The VPC; the instance lives in its isolated subnets. */
  readonly network: Network;
  /** PostgreSQL major version, e.g. "16"; minor versions upgrade automatically. */
  readonly engineMajorVersion: string;
  /**
   * Instance class.
   * @default "db.t4g.medium"
   */
  readonly instanceClass?: string;
  /**
   * Initial storage in GiB (gp3).
   * @default 20
   */
  readonly allocatedStorageGiB?: number;
  /**
   * Storage autoscaling ceiling in GiB.
   * @default 100
   */
  readonly maxAllocatedStorageGiB?: number;
  /**
   * A synchronous standby in a second AZ.
   * @default true
   */
  readonly multiAz?: boolean;
  /**
   * Days of automated backups (0 turns backups off).
   * @default 14
   */
  readonly backupRetentionDays?: number;
  /**
   * Refuse API deletion of the instance.
   * @default true
   */
  readonly deletionProtection?: boolean;
  /**
   * Take a snapshot named `<identifier>-final` when the instance is destroyed.
   * @default true
   */
  readonly finalSnapshot?: boolean;
  /**
   * Performance Insights, encrypted with the database key, 7 days (free tier).
   * @default true
   */
  readonly performanceInsights?: boolean;
  /**
   * Generation of the master password: a new value generates a new password.
   * @default 1
   */
  readonly passwordVersion?: number;
  /**
   * Days a deleted credentials secret stays recoverable (0 = delete at once, else 7..30).
   * @default 30
   */
  readonly secretRecoveryWindowDays?: number;
  /**
   * Days a scheduled deletion of the database key waits (7..30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
  /**
   * Retention of the exported PostgreSQL logs.
   * @default the stage's default log retention
   */
  readonly logRetentionDays?: number;
  /**
   * Kong verifies the server certificate (`KONG_PG_SSL_VERIFY=on`) against `caBundlePem`.
   * @default true
   */
  readonly verifyTls?: boolean;
  /**
   * PEM text of the RDS CA bundle of the region (the settings loader reads it from `database.tls.caBundleFile`); required when
   * `verifyTls` is true. Certificates are public: the bundle travels as a plain environment value.
   * @default none
   */
  readonly caBundlePem?: string;
}

/**
 * Kong's PostgreSQL database on RDS: isolated subnets only, never public, storage and Performance
 * Insights encrypted with its own customer-managed key, TLS enforced by the server, a generated
 * master password kept in Secrets Manager, its own security group that admits only the security
 * groups it is told about, and logs exported to encrypted log groups with retention.
 */
export class KongDatabase extends Construct {
  /** The RDS instance. */
  readonly instance: DbInstance;
  /** The database's security group (no rules but the ones {@link allowFrom} adds). */
  readonly securityGroup: SecurityGroup;
  /** The rules of {@link securityGroup}. */
  readonly connections: Connections;
  /** Customer-managed key for storage, Performance Insights and the credentials secret. */
  readonly key: KmsKey;
  /** The credentials secret (`username`, `password`, `host`, `port`, `dbname`, `engine`). */
  readonly secret: SecretsmanagerSecret;
  /** The parameter group (TLS enforced, logging without statement text). */
  readonly parameterGroup: DbParameterGroup;
  /** Log groups RDS exports to, by log type. */
  readonly logGroups: Readonly<Record<(typeof DATABASE_LOG_EXPORTS)[number], CloudwatchLogGroup>>;
  /** The instance identifier (a literal), e.g. `kong-gateway-prod-db`. */
  readonly identifier: string;
  /** Endpoint host name (a token). */
  readonly host: string;
  /** Port Kong connects to. */
  readonly port = POSTGRES_PORT;
  /** Database Kong uses. */
  readonly databaseName = KONG_DATABASE_NAME;
  /** User Kong connects as. */
  readonly username = KONG_DATABASE_USER;
  /** True when Kong verifies the server certificate. */
  readonly verifyTls: boolean;
  /** `KONG_PG_PASSWORD` from the secret's `password` key, and the grant the execution role needs. */
  readonly injectedSecrets: InjectedSecrets;

  private readonly caBundlePem?: string;

  constructor(scope: Construct, id: string, props: KongDatabaseProps) {
    super(scope, id);
    const { naming, environment: env } = props;
    const major = props.engineMajorVersion;
    if (!/^\d+$/.test(major)) {
      throw new Error(
        `KongDatabase: engineMajorVersion must be a major version such as "16", got "${major}" (minor versions upgrade automatically)`,
      );
    }
    this.verifyTls = props.verifyTls ?? true;
    if (this.verifyTls) {
      if (props.caBundlePem === undefined) {
        throw new Error(
          'KongDatabase: verifyTls needs caBundlePem (the RDS CA bundle of the region); pass it or set verifyTls to false',
        );
      }
      this.caBundlePem = validateCaBundle(props.caBundlePem, 'caBundlePem');
    }
    const finalSnapshot = props.finalSnapshot ?? true;
    const performanceInsights = props.performanceInsights ?? true;
    this.identifier = naming.name('db');

    this.key = customerManagedKey(this, {
      description: `Kong database storage, Performance Insights and credentials of ${naming.prefix}`,
      aliasName: naming.name('database'),
      deletionWindowDays: props.keyDeletionWindowDays ?? 30,
      policyJson: accountAdministeredKeyPolicy(this, env),
    });

    this.securityGroup = new SecurityGroup(this, 'security-group', {
      name: naming.name('db'),
      description: `Kong database of ${naming.prefix}: PostgreSQL from admitted security groups only`,
      vpcId: props.network.vpc.id,
      tags: { Name: naming.name('db') },
    });
    this.connections = new Connections(this, this.securityGroup);

    const subnetGroup = new DbSubnetGroup(this, 'subnet-group', {
      name: naming.name('db'),
      description: `Isolated subnets of ${naming.prefix}`,
      subnetIds: props.network.isolatedSubnets.map((s) => s.id),
    });

    this.parameterGroup = new DbParameterGroup(this, 'parameter-group', {
      // The family is part of the name: a major upgrade creates a new group before the old one goes.
      name: naming.name(`postgres${major}`),
      family: `postgres${major}`,
      description: `Kong database of ${naming.prefix}: TLS enforced, no statement text in logs`,
      parameter: Object.entries(DATABASE_PARAMETERS).map(([name, value]) => ({ name, value })),
      lifecycle: { createBeforeDestroy: true },
    });

    const logGroups = Object.fromEntries(
      DATABASE_LOG_EXPORTS.map((type) => [
        type,
        props.logging.logGroup(this, `log-group-${type}`, {
          name: `/aws/rds/instance/${this.identifier}/${type}`,
          ...(props.logRetentionDays !== undefined ? { retentionDays: props.logRetentionDays } : {}),
        }),
      ]),
    ) as Record<(typeof DATABASE_LOG_EXPORTS)[number], CloudwatchLogGroup>;
    this.logGroups = logGroups;

    // Generated, never literal; `keepers` regenerate it when the password version changes.
    const password = new Password(this, 'master-password', {
      length: 40,
      special: false, // RDS forbids / @ " and space; letters and digits keep 238 bits of entropy
      keepers: { version: String(props.passwordVersion ?? 1) },
    });

    this.instance = new DbInstance(this, 'instance', {
      identifier: this.identifier,
      engine: 'postgres',
      engineVersion: major, // only the major: minor upgrades would otherwise show as drift
      autoMinorVersionUpgrade: true,
      allowMajorVersionUpgrade: false,
      instanceClass: props.instanceClass ?? 'db.t4g.medium',
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      maxAllocatedStorage: props.maxAllocatedStorageGiB ?? 100,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: this.key.arn,
      dbName: KONG_DATABASE_NAME,
      username: KONG_DATABASE_USER,
      password: password.result,
      port: POSTGRES_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      publiclyAccessible: false,
      parameterGroupName: this.parameterGroup.name,
      caCertIdentifier: RDS_CA_IDENTIFIER,
      multiAz: props.multiAz ?? true,
      backupRetentionPeriod: props.backupRetentionDays ?? 14,
      backupWindow: '02:00-03:00',
      maintenanceWindow: 'sun:03:30-sun:04:30',
      copyTagsToSnapshot: true,
      deletionProtection: props.deletionProtection ?? true,
      skipFinalSnapshot: !finalSnapshot,
      ...(finalSnapshot ? { finalSnapshotIdentifier: `${this.identifier}-final` } : {}),
      deleteAutomatedBackups: !finalSnapshot,
      performanceInsightsEnabled: performanceInsights,
      ...(performanceInsights
        ? { performanceInsightsKmsKeyId: this.key.arn, performanceInsightsRetentionPeriod: 7 }
        : {}),
      enabledCloudwatchLogsExports: [...DATABASE_LOG_EXPORTS],
      iamDatabaseAuthenticationEnabled: false,
      // RDS would create the export log groups itself (no retention, no key) if they did not exist.
      dependsOn: Object.values(logGroups),
      tags: { Name: this.identifier },
    });
    this.host = this.instance.address;
    this.explainScanFindings(props);

    const credentials = generatedSecret(this, {
      id: 'credentials',
      valueId: 'credentials-value',
      name: naming.scoped('database/master'),
      description: `Master credentials of the Kong database of ${naming.prefix}`,
      kmsKeyArn: this.key.arn,
      recoveryWindowDays: props.secretRecoveryWindowDays ?? 30,
      value: Fn.jsonencode({
        engine: 'postgres',
        host: this.instance.address,
        port: POSTGRES_PORT,
        dbname: KONG_DATABASE_NAME,
        username: KONG_DATABASE_USER,
        password: password.result,
      }),
      rotation:
        'Terraform-generated password, rotated by raising passwordVersion and redeploying Kong (ADR 0004), not by a Lambda',
    });
    this.secret = credentials.secret;

    this.injectedSecrets = injectableSecrets(this, 'read-credentials', {
      subject: 'DatabaseCredentials',
      secretArns: [this.secret.arn],
      keyArn: this.key.arn,
      region: env.region,
      containerSecrets: [{ name: 'KONG_PG_PASSWORD', valueFrom: `${this.secret.arn}:password::` }],
      versions: [credentials.value],
    });
  }

  /**
   * Lets `role` (an execution role) read the credentials secret: `GetSecretValue` on it and
   * `kms:Decrypt` on its key via Secrets Manager, as the inline policy `read-database-credentials`.
   */
  grantRead(role: IamRole): IamRolePolicy {
    return this.injectedSecrets.grantRead(role);
  }

  /**
   * Admits `peer` on the PostgreSQL port (one ingress rule `ingress-5432-<peer label>`, see
   * `shared/connections.ts`). Throws when the peer is already admitted.
   */
  allowFrom(peer: SecurityGroup, description: string): VpcSecurityGroupIngressRule {
    return this.connections.allowFrom(peer, POSTGRES_PORT, description);
  }

  /**
   * The non-secret Kong settings for this database (the password comes from
   * {@link injectedSecrets}). TLS 1.2 or later is always required; the certificate is verified when
   * a CA bundle was supplied, against the system store plus the bundle (`system` first, or Kong
   * would drop the system store and TLS to Redis and other peers would fail), through a chain as
   * deep as RDS's ({@link RDS_CHAIN_VERIFY_DEPTH}).
   */
  kongEnvironment(): Record<string, string> {
    const env: Record<string, string> = {
      KONG_DATABASE: 'postgres',
      KONG_PG_HOST: this.host,
      KONG_PG_PORT: String(this.port),
      KONG_PG_DATABASE: this.databaseName,
      KONG_PG_USER: this.username,
      KONG_PG_SSL: 'on',
      KONG_PG_SSL_REQUIRED: 'on',
      // Kong's default too, but explicit: the floor the server also enforces.
      KONG_PG_SSL_VERSION: DATABASE_TLS_MIN_VERSION.kong,
      KONG_PG_SSL_VERIFY: this.verifyTls ? 'on' : 'off',
    };
    if (this.verifyTls && this.caBundlePem !== undefined) {
      env.KONG_LUA_SSL_TRUSTED_CERTIFICATE = `system,${Buffer.from(this.caBundlePem, 'utf8').toString('base64')}`;
      env.KONG_LUA_SSL_VERIFY_DEPTH = String(RDS_CHAIN_VERIFY_DEPTH);
    }
    return env;
  }

  /**
   * Reasons, on the instance, for the security-scan checks it does not meet: the ones that hold in
   * every stage, and the cheap-stage opt-outs only when the settings turned the feature off (the
   * production profile cannot).
   */
  private explainScanFindings(props: KongDatabaseProps): void {
    const skip = (id: string, reason: string) => skipCheckov(this.instance, id, reason);
    skip(
      'CKV_AWS_161',
      'Kong 3.9 OSS signs in to PostgreSQL by password only (no IAM auth tokens); it arrives via ECS secrets',
    );
    skip(
      'CKV_AWS_118',
      'Enhanced Monitoring writes to the account-wide RDSOSMetrics log group no stage can own (retention, KMS); CloudWatch metrics and Performance Insights cover it',
    );
    const optOut = (setting: string) =>
      `turned off by the stage settings (database.${setting}: false), which the production profile forbids`;
    const skipOptOut = (id: string, setting: string) => skipCheckovOptOut(this.instance, id, optOut(setting));
    if (props.deletionProtection === false) skipOptOut('CKV_AWS_293', 'deletionProtection');
    if (props.multiAz === false) skipOptOut('CKV_AWS_157', 'multiAz');
    if (props.performanceInsights === false) skipOptOut('CKV_AWS_353', 'performanceInsights');
  }

  /** The instance class (`db.t4g.medium`, ...): the connection ceiling derives from its memory. */
  get instanceClass(): string {
    return this.instance.instanceClassInput!;
  }

  /** The dimensions of the instance's `AWS/RDS` metrics. */
  get metricDimensions(): { readonly DBInstanceIdentifier: string } {
    return { DBInstanceIdentifier: this.instance.identifier };
  }
}
