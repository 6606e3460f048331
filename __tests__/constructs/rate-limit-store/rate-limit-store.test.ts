import { TerraformLocal } from 'cdktf';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import {
  AUTH_TOKEN_LENGTH,
  RATE_LIMIT_STORE_PORT,
  RateLimitStore,
  type RateLimitStoreProps,
} from '../../../lib/constructs/rate-limit-store/rate-limit-store';
import { checkovSkips } from '../../../lib/policy/checkov';
import { Naming } from '../../../lib/contracts/naming';
import {
  committedStack,
  synthConstruct,
  synthStage,
  testStage,
  type Json,
  type SynthesizedStack,
  testNetwork,
} from '../../support/synth';

interface Built {
  synth: SynthesizedStack;
  store: RateLimitStore;
  /** What the store hands to other constructs, as synthesized (a `locals` probe). */
  handed: Json;
}

/** GIVEN a network and a peer security group, WHEN a store is built with `overrides`. */
function build(overrides: Partial<RateLimitStoreProps> = {}, stageName = 'test'): Built {
  let store: RateLimitStore | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: '10.40.0.0/16', azCount: 3, flowLogRetentionDays: 30 },
    );
    store = new RateLimitStore(stack, 'rate-limit-store', {
      naming,
      environment,
      logging,
      network,
      nodeType: 'cache.t4g.small',
      ...overrides,
    });
    const kong = new SecurityGroup(stack, 'kong-sg', { vpcId: network.vpc.id, name: 'kong' });
    store.allowFrom(kong, 'Kong tasks');
    new TerraformLocal(stack, 'handed', {
      containerSecrets: store.injectedSecrets.containerSecrets,
      configSyncEnvironment: store.configSyncEnvironment,
    });
  }, stageName);
  return { synth, store: store!, handed: synth.json.locals?.handed };
}

describe('RateLimitStore with the default props (one replica)', () => {
  const { synth, store, handed } = build();
  const group = synth.resource('aws_elasticache_replication_group');

  it('runs Valkey with a primary and one replica, failing over automatically across AZs', () => {
    expect(group).toMatchObject({
      engine: 'valkey',
      engine_version: '8.0',
      node_type: 'cache.t4g.small',
      num_cache_clusters: 2,
      automatic_failover_enabled: true,
      multi_az_enabled: true,
      port: RATE_LIMIT_STORE_PORT,
    });
  });

  it('requires TLS in transit and encrypts at rest with its own rotating KMS key', () => {
    expect(group).toMatchObject({
      transit_encryption_enabled: true,
      transit_encryption_mode: 'required',
      at_rest_encryption_enabled: 'true',
    });
    const key = synth.deref(group.kms_key_id);
    expect(key?.type).toBe('aws_kms_key');
    expect(key?.values.enable_key_rotation).toBe(true);
  });

  it('lives in the isolated subnets only', () => {
    const subnetGroup = synth.resource('aws_elasticache_subnet_group');
    expect(synth.deref(group.subnet_group_name)?.type).toBe('aws_elasticache_subnet_group');
    const subnetNames = (subnetGroup.subnet_ids as string[]).map((ref) => synth.deref(ref)?.values.tags.Tier);
    expect(subnetNames).toEqual(['isolated', 'isolated', 'isolated']);
  });

  it('uses a generated alphanumeric AUTH token that ElastiCache accepts, stored in Secrets Manager', () => {
    const password = synth.resource('random_password');
    expect(password).toMatchObject({ length: AUTH_TOKEN_LENGTH, special: false });
    expect(AUTH_TOKEN_LENGTH).toBeGreaterThanOrEqual(16);
    expect(AUTH_TOKEN_LENGTH).toBeLessThanOrEqual(128);
    const passwordRef = `\${random_password.${synth.resources('random_password')[0]!.name}.result}`;
    expect(group.auth_token).toBe(passwordRef);
    expect(synth.resource('aws_secretsmanager_secret_version').secret_string).toBe(passwordRef);
    const secret = synth.resource('aws_secretsmanager_secret');
    expect(secret.name).toBe('kong-gateway/test/rate-limit-store/auth-token');
    expect(synth.deref(secret.kms_key_id)?.type).toBe('aws_kms_key');
  });

  it('has its own security group without inline rules, admitting the peer on 6379 only', () => {
    const sgs = synth.resources('aws_security_group').filter((s) => s.values.name !== 'kong');
    expect(sgs).toHaveLength(1);
    expect(sgs[0]!.values.ingress).toBeUndefined();
    expect(group.security_group_ids).toEqual([`\${aws_security_group.${sgs[0]!.name}.id}`]);
    const rules = synth.resources('aws_vpc_security_group_ingress_rule').map((r) => r.values);
    expect(rules).toEqual([
      expect.objectContaining({
        security_group_id: `\${aws_security_group.${sgs[0]!.name}.id}`,
        referenced_security_group_id: expect.stringMatching(/^\$\{aws_security_group\.kong-sg.*\.id\}$/),
        ip_protocol: 'tcp',
        from_port: 6379,
        to_port: 6379,
        description: 'Kong tasks',
      }),
    ]);
    expect(rules[0]!.cidr_ipv4).toBeUndefined();
  });

  it('delivers slow and engine logs as JSON to encrypted log groups with retention', () => {
    const delivery = group.log_delivery_configuration as Json[];
    expect(delivery.map((d) => d.log_type).sort()).toEqual(['engine-log', 'slow-log']);
    for (const d of delivery) {
      expect(d).toMatchObject({ destination_type: 'cloudwatch-logs', log_format: 'json' });
      const logGroup = synth.deref(d.destination);
      expect(logGroup?.values).toMatchObject({ kms_key_id: expect.any(String), retention_in_days: 30 });
    }
  });

  it('hands Kong the token as RATE_LIMIT_REDIS_PASSWORD with a read policy for the execution role', () => {
    const secretName = synth.resources('aws_secretsmanager_secret')[0]!.name;
    expect(handed.containerSecrets).toEqual([
      { name: 'RATE_LIMIT_REDIS_PASSWORD', valueFrom: `\${aws_secretsmanager_secret.${secretName}.arn}` },
    ]);
    const policy = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('auth-token-read'))!.values;
    expect(policy.statement).toEqual([
      expect.objectContaining({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [expect.stringMatching(/aws_secretsmanager_secret\..*\.arn/)],
      }),
      expect.objectContaining({
        actions: ['kms:Decrypt'],
        condition: [
          expect.objectContaining({
            variable: 'kms:ViaService',
            values: ['secretsmanager.eu-west-1.amazonaws.com'],
          }),
        ],
      }),
    ]);
  });

  it('exposes the primary endpoint and port for the decK config-sync container, no secret among them', () => {
    expect(store.port).toBe(6379);
    const groupName = synth.resources('aws_elasticache_replication_group')[0]!.name;
    expect(handed.configSyncEnvironment).toEqual({
      DECK_REDIS_HOST: `\${aws_elasticache_replication_group.${groupName}.primary_endpoint_address}`,
      DECK_REDIS_PORT: '6379',
    });
    expect(synth.text).not.toMatch(/"output"/);
  });

  it('keeps no snapshots of short-lived counters', () => {
    expect(group.snapshot_retention_limit).toBe(0);
  });
});

describe('RateLimitStore without replicas', () => {
  const group = build({ replicas: 0 }).synth.resource('aws_elasticache_replication_group');

  it('runs a single node without failover (cannot fail over to nothing)', () => {
    expect(group).toMatchObject({
      num_cache_clusters: 1,
      automatic_failover_enabled: false,
      multi_az_enabled: false,
    });
  });
});

describe('RateLimitStore input checks', () => {
  it('rejects more replicas than ElastiCache allows', () => {
    expect(() => build({ replicas: 6 })).toThrow(/replicas must be an integer 0..5/);
  });

  it('rejects a stage name that would make an invalid replication group ID', () => {
    expect(new Naming('ab-').shortPrefix).toBe('kgw-ab-');
    expect(() => build({}, 'ab-')).toThrow(/not a valid replication group ID/);
  });
});

describe('GatewayStack', () => {
  it('creates the store for the redis policy and exposes it', () => {
    const synth = committedStack('prod');
    expect(synth.resources('aws_elasticache_replication_group')).toHaveLength(1);
    expect(synth.resource('aws_elasticache_replication_group').num_cache_clusters).toBe(2);
  });

  it('creates no store with the local policy', () => {
    const stage = testStage('dev', (raw) => {
      raw.rateLimiting.policy = 'local';
      raw.kong.maxCount = raw.kong.minCount;
      raw.kong.desiredCount = raw.kong.minCount;
    });
    const synth = synthStage(stage);
    expect(synth.resources('aws_elasticache_replication_group')).toHaveLength(0);
    expect(synth.resources('random_password').filter((p) => p.name.includes('rate-limit'))).toHaveLength(0);
  });
});

describe('RateLimitStore security-scan skips', () => {
  const ids = (element: Parameters<typeof checkovSkips>[0]) => checkovSkips(element).map((s) => s.id);

  it('skips the Multi-AZ failover check only for a single node, which has no replica', () => {
    expect(ids(build({ replicas: 0 }).store.replicationGroup)).toEqual(['CKV2_AWS_50']);
    expect(ids(build({ replicas: 1 }).store.replicationGroup)).toEqual([]);
  });

  it('explains why the AUTH-token secret has no rotation Lambda', () => {
    const [skip] = checkovSkips(build().store.authTokenSecret);
    expect(skip).toMatchObject({
      id: 'CKV2_AWS_57',
      comment: expect.stringMatching(/replacing it in a deploy/),
    });
  });
});
