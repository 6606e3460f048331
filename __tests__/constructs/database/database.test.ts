import * as fs from 'fs';
import * as path from 'path';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import {
  DATABASE_PARAMETERS,
  KongDatabase,
  type KongDatabaseProps,
} from '../../../lib/constructs/database/database';
import { MAX_CA_BUNDLE_BYTES, validateCaBundle } from '../../../lib/util/ca-bundle';
import { readCaBundle } from '../../../lib/settings/ca-bundle';
import {
  policyDocument,
  refTo,
  synthConstruct,
  synthGateway,
  testStage,
  type Json,
  testNetwork,
} from '../../support/synth';

const FIXTURES = path.join(__dirname, '..', '..', 'fixtures');
const TEST_CA = fs.readFileSync(path.join(FIXTURES, 'test-ca-bundle.pem'), 'utf8');
const TEST_LEAF = fs.readFileSync(path.join(FIXTURES, 'test-leaf-certificate.pem'), 'utf8');
/** The committed eu-west-1 root (its provenance: __tests__/infra/rds-ca-certificates.test.ts). */
const EU_WEST_1_ROOT = fs.readFileSync(
  path.join(__dirname, '..', '..', '..', 'infra', 'kong', 'certs', 'eu-west-1-rds-ca-rsa2048-g1.pem'),
  'utf8',
);

const STAGE_EXPECTATIONS = {
  dev: {
    instanceClass: 'db.t4g.micro',
    multiAz: false,
    backupDays: 1,
    deletionProtection: false,
    finalSnapshot: false,
    performanceInsights: false,
    recoveryWindow: 0,
    logRetention: 14,
    isolatedSubnets: 2,
    verifyTls: true, // the default, now that the eu-west-1 root is committed
  },
  prod: {
    instanceClass: 'db.m7g.large',
    multiAz: true,
    backupDays: 14,
    deletionProtection: true,
    finalSnapshot: true,
    performanceInsights: true,
    recoveryWindow: 30,
    logRetention: 365, // config/prod.json: a year, the scan's CKV_AWS_338 minimum
    isolatedSubnets: 3,
    verifyTls: true, // the production profile requires it; the eu-west-1 root is committed
  },
} as const;

describe.each(Object.entries(STAGE_EXPECTATIONS))('KongDatabase in stage %s', (stageName, expected) => {
  const { stack, synth, resolve } = synthGateway(stageName);
  const db = synth.resource('aws_db_instance');
  const databaseKey = refTo(synth, 'aws_kms_key', 'arn', 'database_key');

  it('runs PostgreSQL 16, pinned to the major only, with automatic minor upgrades', () => {
    expect(db).toMatchObject({
      engine: 'postgres',
      engine_version: '16',
      auto_minor_version_upgrade: true,
      allow_major_version_upgrade: false,
      instance_class: expected.instanceClass,
    });
  });

  it('is never publicly accessible and lives only in the isolated subnets', () => {
    expect(db.publicly_accessible).toBe(false);
    const group = synth.deref(db.db_subnet_group_name.replace(/\.name\}$/, '.id}'));
    expect(group?.type).toBe('aws_db_subnet_group');
    const isolated = synth
      .resources('aws_subnet')
      .filter((s) => s.values.tags.Tier === 'isolated')
      .map((s) => `\${aws_subnet.${s.name}.id}`);
    expect(isolated).toHaveLength(expected.isolatedSubnets);
    expect([...group!.values.subnet_ids].sort()).toEqual(isolated.sort());
  });

  it('encrypts storage with its own customer-managed key that rotates', () => {
    expect(db).toMatchObject({ storage_encrypted: true, kms_key_id: databaseKey, storage_type: 'gp3' });
    const key = synth.resourceNamed('aws_kms_key', 'database_key');
    expect(key.enable_key_rotation).toBe(true);
  });

  it('enforces TLS and keeps statement text (and so API keys) out of the logs', () => {
    const group = synth.resource('aws_db_parameter_group');
    expect(group.family).toBe('postgres16');
    const params = Object.fromEntries(group.parameter.map((p: Json) => [p.name, p.value]));
    expect(params).toEqual(DATABASE_PARAMETERS);
    expect(params['rds.force_ssl']).toBe('1');
    // The server refuses TLS 1.0/1.1 whatever a client asks for.
    expect(params.ssl_min_protocol_version).toBe('TLSv1.2');
    expect(params.log_statement).toBe('ddl');
    expect(params.log_min_duration_statement).toBe('-1');
    expect(params.log_min_error_statement).toBe('panic');
    expect(params.log_error_verbosity).toBe('terse');
    expect(db.parameter_group_name).toBe(refTo(synth, 'aws_db_parameter_group', 'name'));
  });

  it("owns a security group without inline rules and admits only Kong's tasks, on 5432", () => {
    const sgRef = refTo(synth, 'aws_security_group', 'id', 'database_security-group');
    expect(db.vpc_security_group_ids).toEqual([sgRef]);
    const sg = synth.resourceNamed('aws_security_group', 'database_security-group');
    expect(sg.ingress).toBeUndefined();
    expect(sg.egress).toBeUndefined();
    const rules = [
      ...synth.resources('aws_vpc_security_group_ingress_rule'),
      ...synth.resources('aws_vpc_security_group_egress_rule'),
    ].filter((r) => r.values.security_group_id === sgRef);
    // The stack's only allowFrom call: KongService.connectTo(database, ...).
    expect(rules.map((r) => r.values)).toEqual([
      expect.objectContaining({
        ip_protocol: 'tcp',
        from_port: 5432,
        to_port: 5432,
        referenced_security_group_id: expect.stringMatching(/^\$\{aws_security_group\.kong_sg_.*\.id\}$/),
      }),
    ]);
  });

  it('generates the master password (never a literal) and stores it in an encrypted secret', () => {
    const password = synth.deref(db.password);
    expect(password?.type).toBe('random_password');
    expect(password!.values).toMatchObject({ length: 40, special: false, keepers: { version: '1' } });
    const secret = synth.resourceNamed('aws_secretsmanager_secret', 'database_credentials');
    expect(secret).toMatchObject({
      name: `kong-gateway/${stageName}/database/master`,
      kms_key_id: databaseKey,
      recovery_window_in_days: expected.recoveryWindow,
    });
    const value = synth.resourceNamed('aws_secretsmanager_secret_version', 'database_credentials-value');
    expect(value.secret_string).toContain(`"password" = random_password.${password!.name}.result`);
    expect(value.secret_string).toContain('"username" = "kong"');
    expect(value.secret_string).toMatch(/"host" = aws_db_instance\.[^.]+\.address/);
  });

  it(`${expected.multiAz ? 'runs Multi-AZ' : 'runs single-AZ'} with ${expected.backupDays}-day backups`, () => {
    expect(db.multi_az).toBe(expected.multiAz);
    expect(db.backup_retention_period).toBe(expected.backupDays);
    expect(db.copy_tags_to_snapshot).toBe(true);
  });

  it(
    expected.finalSnapshot
      ? 'is protected from deletion and leaves a deterministically named final snapshot'
      : 'can be destroyed without a final snapshot',
    () => {
      expect(db.deletion_protection).toBe(expected.deletionProtection);
      expect(db.skip_final_snapshot).toBe(!expected.finalSnapshot);
      if (expected.finalSnapshot) {
        expect(db.final_snapshot_identifier).toBe(`kong-gateway-${stageName}-db-final`);
      } else {
        expect(db.final_snapshot_identifier).toBeUndefined();
      }
    },
  );

  it(`${expected.performanceInsights ? 'enables' : 'disables'} Performance Insights`, () => {
    expect(db.performance_insights_enabled).toBe(expected.performanceInsights);
    if (expected.performanceInsights) {
      expect(db.performance_insights_kms_key_id).toBe(databaseKey);
      expect(db.performance_insights_retention_period).toBe(7);
    } else {
      expect(db.performance_insights_kms_key_id).toBeUndefined();
    }
  });

  it('exports PostgreSQL logs to log groups it creates first, with retention and encryption', () => {
    expect(db.enabled_cloudwatch_logs_exports).toEqual(['postgresql', 'upgrade']);
    for (const type of ['postgresql', 'upgrade']) {
      const group = synth.resourceNamed('aws_cloudwatch_log_group', `database_log-group-${type}`);
      expect(group).toMatchObject({
        name: `/aws/rds/instance/kong-gateway-${stageName}-db/${type}`,
        retention_in_days: expected.logRetention,
      });
      expect(group.kms_key_id).toMatch(/aws_kms_key\.logging_key/);
    }
    expect(db.identifier).toBe(`kong-gateway-${stageName}-db`);
    expect(db.depends_on).toHaveLength(2);
    expect(
      db.depends_on.every((d: string) => d.startsWith('aws_cloudwatch_log_group.database_log-group-')),
    ).toBe(true);
  });

  it('hands Kong the password as an ECS secret from the JSON key "password"', () => {
    const secrets = stack.database.injectedSecrets.containerSecrets.map((s) => ({
      name: s.name,
      valueFrom: resolve(s.valueFrom),
    }));
    expect(secrets).toEqual([
      {
        name: 'KONG_PG_PASSWORD',
        valueFrom: `${refTo(synth, 'aws_secretsmanager_secret', 'arn', 'database_credentials')}:password::`,
      },
    ]);
  });

  it('grants reading exactly its secret and decrypting with exactly its key, via Secrets Manager', () => {
    // Granted once, to Kong's execution role, through grantRead: a policy named for what it reads.
    const grant = synth.resourceNamed('aws_iam_role_policy', 'read-database-credentials');
    expect(grant.name).toBe('read-database-credentials');
    expect(grant.role).toMatch(/^\$\{aws_iam_role\.kong_execution-role_.*\.id\}$/);
    const doc = policyDocument(synth, grant.policy);
    expect(doc.statement).toEqual([
      {
        sid: 'ReadDatabaseCredentials',
        actions: ['secretsmanager:GetSecretValue'],
        resources: [refTo(synth, 'aws_secretsmanager_secret', 'arn', 'database_credentials')],
      },
      {
        sid: 'DecryptDatabaseCredentials',
        actions: ['kms:Decrypt'],
        resources: [databaseKey],
        condition: [
          {
            test: 'StringEquals',
            variable: 'kms:ViaService',
            values: ['secretsmanager.eu-west-1.amazonaws.com'],
          },
        ],
      },
    ]);
  });

  it(
    expected.verifyTls
      ? "tells Kong to require TLS 1.2+ and verify the server against the region's committed RDS root"
      : 'tells Kong to require TLS 1.2+; without verification it sends no CA list',
    () => {
      const env = Object.fromEntries(
        Object.entries(stack.database.kongEnvironment()).map(([k, v]) => [k, resolve(v)]),
      );
      const verified = {
        KONG_PG_SSL_VERIFY: 'on',
        KONG_LUA_SSL_TRUSTED_CERTIFICATE: `system,${Buffer.from(EU_WEST_1_ROOT, 'utf8').toString('base64')}`,
        KONG_LUA_SSL_VERIFY_DEPTH: '2',
      };
      expect(env).toEqual({
        KONG_DATABASE: 'postgres',
        KONG_PG_HOST: refTo(synth, 'aws_db_instance', 'address'),
        KONG_PG_PORT: '5432',
        KONG_PG_DATABASE: 'kong',
        KONG_PG_USER: 'kong',
        KONG_PG_SSL: 'on',
        KONG_PG_SSL_REQUIRED: 'on',
        KONG_PG_SSL_VERSION: 'tlsv1_2',
        ...(expected.verifyTls ? verified : { KONG_PG_SSL_VERIFY: 'off' }),
      });
      expect(Object.keys(env).some((k) => /PASSWORD/.test(k))).toBe(false);
    },
  );

  it('emits no synth warning about TLS', () => {
    expect(stack.database.node.metadata.filter((m) => m.type === '@cdktf/warn')).toEqual([]);
  });
});

describe('Production and database TLS', () => {
  it('refuses a production stage that does not verify the database certificate', () => {
    expect(() => testStage('prod', (raw) => (raw.database.tls = { verify: false }))).toThrow(
      /config\/prod\.json: database\.tls\.verify: must be true: Kong must authenticate the database server .*\(required by profile "production"\)/,
    );
  });

  it("verifies by default, against the stage region's committed root, with no file named", () => {
    const { stack } = synthGateway('dev', (raw) => (raw.database.tls = {}));
    const env = stack.database.kongEnvironment();
    expect(env.KONG_PG_SSL_VERIFY).toBe('on');
    expect(Buffer.from(env.KONG_LUA_SSL_TRUSTED_CERTIFICATE!.split(',')[1]!, 'base64').toString('utf8')).toBe(
      EU_WEST_1_ROOT,
    );
  });

  it('points a region without a committed root at the download, naming the file and field', () => {
    expect(() =>
      synthGateway('dev', (raw) => {
        raw.region = 'us-east-1';
        raw.database.tls = { verify: true };
      }),
    ).toThrow(
      /config\/dev\.json: database\.tls\.caBundleFile: no rds-ca-rsa2048-g1 root is committed for region us-east-1 \(infra\/kong\/certs\/us-east-1-rds-ca-rsa2048-g1\.pem\)\. Download the region's bundle \(https:\/\/truststore\.pki\.rds\.amazonaws\.com\/us-east-1\/us-east-1-bundle\.pem\)/,
    );
  });
});

describe('KongDatabase with the CA bundle supplied', () => {
  const { stack, synth, resolve } = synthGateway(
    'prod',
    (raw) => (raw.database.tls = { verify: true, caBundleFile: 'test-ca-bundle.pem' }),
    FIXTURES,
  );
  const env = stack.database.kongEnvironment();

  it('verifies the server certificate against the system store plus the bundle (system first)', () => {
    expect(env.KONG_PG_SSL_VERIFY).toBe('on');
    const [first, bundle, ...rest] = env.KONG_LUA_SSL_TRUSTED_CERTIFICATE!.split(',');
    expect(first).toBe('system');
    expect(rest).toEqual([]);
    expect(Buffer.from(bundle!, 'base64').toString('utf8')).toBe(TEST_CA.trim() + '\n');
  });

  it('pins the RDS CA the bundle must contain', () => {
    expect(synth.resource('aws_db_instance').ca_cert_identifier).toBe('rds-ca-rsa2048-g1');
    expect(resolve(env.KONG_PG_HOST!)).toMatch(/^\$\{aws_db_instance\./);
  });
});

describe('KongDatabase TLS inputs are checked', () => {
  it('fails synth with what to do when verify is on and the bundle file is missing', () => {
    expect(() =>
      synthGateway(
        'dev',
        (raw) => (raw.database.tls = { verify: true, caBundleFile: 'certs/missing.pem' }),
        FIXTURES,
      ),
    ).toThrow(/database\.tls\.caBundleFile: certs\/missing\.pem does not exist\. Download the RDS CA bundle/);
  });

  it('reports a bundle that is not a CA bundle as a settings error naming the file', () => {
    expect(() =>
      synthGateway(
        'dev',
        (raw) => (raw.database.tls = { verify: true, caBundleFile: 'test-leaf-certificate.pem' }),
        FIXTURES,
      ),
    ).toThrow(
      /config\/dev\.json: database\.tls\.caBundleFile: test-leaf-certificate\.pem: certificate 1 \(CN=db\.example\.internal\) is not a CA certificate/,
    );
  });

  it('rejects a bundle path that leaves the repository', () => {
    expect(() =>
      testStage('dev', (raw) => (raw.database.tls = { verify: true, caBundleFile: '../etc/ca.pem' })),
    ).toThrow(/caBundleFile: must be relative to the repository root/);
  });

  it('rejects PostgreSQL majors Kong 3.9 does not support or RDS no longer supports', () => {
    for (const v of ['17', '13', '12']) {
      expect(() => testStage('dev', (raw) => (raw.database.engineMajorVersion = v))).toThrow(
        /database\.engineMajorVersion: must be one of 14, 15, 16/,
      );
    }
  });

  it('accepts a CA bundle and returns it normalized', () => {
    expect(validateCaBundle(`junk before\n${TEST_CA}\n\n`, 't')).toBe(TEST_CA.trim() + '\n');
    expect(readCaBundle(FIXTURES, 'test-ca-bundle.pem')).toBe(TEST_CA.trim() + '\n');
  });

  it.each([
    ['a leaf certificate', TEST_LEAF, /certificate 1 \(CN=db\.example\.internal\) is not a CA certificate/],
    [
      'a private key',
      `${TEST_CA}\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n`,
      /contains PRIVATE KEY; a CA bundle holds certificates only/,
    ],
    ['no certificate at all', 'hello', /no PEM certificate found/],
    ['a bundle too big for a task definition', TEST_CA.repeat(40), /use the regional RDS bundle/],
    [
      'a broken certificate',
      '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----',
      /does not parse/,
    ],
  ])('rejects %s', (_what, pem, message) => {
    expect(TEST_CA.repeat(40).length).toBeGreaterThan(MAX_CA_BUNDLE_BYTES);
    expect(() => validateCaBundle(pem, 'bundle')).toThrow(message);
  });
});

describe('KongDatabase.allowFrom', () => {
  let database: KongDatabase | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.40.0.0/16', azCount: 2, natGateways: 'single', flowLogRetentionDays: 7 },
    );
    database = new KongDatabase(stack, 'database', {
      naming,
      environment,
      logging,
      network,
      engineMajorVersion: '16',
      verifyTls: false,
    });
    const kong = new SecurityGroup(stack, 'kong-sg', { name: 'kong', vpcId: network.vpc.id });
    database.allowFrom(kong, 'Kong tasks to PostgreSQL');
  });

  it('admits the peer group on 5432 only, by reference, without CIDR', () => {
    const rules = synth.resources('aws_vpc_security_group_ingress_rule').map((r) => r.values);
    expect(rules).toEqual([
      expect.objectContaining({
        security_group_id: refTo(synth, 'aws_security_group', 'id', 'database_security-group'),
        referenced_security_group_id: refTo(synth, 'aws_security_group', 'id', 'kong-sg'),
        ip_protocol: 'tcp',
        from_port: 5432,
        to_port: 5432,
        description: 'Kong tasks to PostgreSQL',
      }),
    ]);
    expect(rules[0].cidr_ipv4).toBeUndefined();
    expect(rules[0].cidr_ipv6).toBeUndefined();
  });

  it('refuses to admit the same peer twice', () => {
    const peer = database!.node.scope!.node.findChild('kong-sg') as SecurityGroup;
    expect(() => database!.allowFrom(peer, 'again')).toThrow(
      /ingress on port 5432 from security group .*kong-sg is already allowed/,
    );
  });
});

describe('KongDatabase input checks', () => {
  function build(overrides: Partial<KongDatabaseProps>): void {
    synthConstruct(({ stack, naming, environment, logging }) => {
      const network = testNetwork(
        { stack: stack, naming, environment, logging },
        { cidr: '10.40.0.0/16', azCount: 2, natGateways: 'single', flowLogRetentionDays: 7 },
      );
      new KongDatabase(stack, 'database', {
        naming,
        environment,
        logging,
        network,
        engineMajorVersion: '16',
        ...overrides,
      });
    });
  }

  it('refuses a full engine version, which would drift after every automatic minor upgrade', () => {
    expect(() => build({ engineMajorVersion: '16.4', verifyTls: false })).toThrow(
      /engineMajorVersion must be a major version such as "16", got "16\.4"/,
    );
  });

  it('verifies TLS by default and so needs a CA bundle', () => {
    expect(() => build({})).toThrow(/verifyTls needs caBundlePem/);
  });

  it('defaults to the production-grade settings', () => {
    let db: Json;
    synthConstruct(({ stack, naming, environment, logging }) => {
      const network = testNetwork(
        { stack: stack, naming, environment, logging },
        { cidr: '10.40.0.0/16', azCount: 2, natGateways: 'single', flowLogRetentionDays: 7 },
      );
      new KongDatabase(stack, 'database', {
        naming,
        environment,
        logging,
        network,
        engineMajorVersion: '16',
        caBundlePem: TEST_CA,
      });
    })
      .resources('aws_db_instance')
      .forEach((r) => (db = r.values));
    expect(db).toMatchObject({
      multi_az: true,
      backup_retention_period: 14,
      deletion_protection: true,
      skip_final_snapshot: false,
      performance_insights_enabled: true,
      publicly_accessible: false,
    });
  });
});
