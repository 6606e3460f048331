import { TerraformOutput } from 'cdktf';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule';
import { ComputePlatform } from '../../../lib/constructs/compute-platform/compute-platform';
import type { InjectedSecrets } from '../../../lib/constructs/shared/injected-secrets';
import { KongService, type KongServiceProps } from '../../../lib/constructs/kong/kong-service';
import {
  configSyncScript,
  CONTAINERS,
  deckEnvReferences,
  dockerHubPath,
  envVaultReferences,
  KONG_PORTS,
  MIGRATIONS_SCRIPT,
  resolveImage,
} from '../../../lib/constructs/kong/kong-containers';
import { LoadBalancer } from '../../../lib/constructs/load-balancer/load-balancer';
import { stackRules } from '../../../lib/policy/rules';
import { kongServiceSettings } from '../../../lib/stacks/gateway-stack';
import { consumerEnvStem } from '../../../lib/contracts/consumers';
import { renderKongConfig } from '../../../lib/kong-config/render';
import {
  STAGE_NAMES,
  synthConstruct,
  synthStage,
  testStage,
  type Json,
  type SynthesizedStack,
  testNetwork,
} from '../../support/synth';

/** Fake secrets shaped like the real owners' (database, consumer keys, rate-limit store). */
function fakeSecrets(entries: [string, string][], id: string): InjectedSecrets {
  return {
    containerSecrets: entries.map(([name, valueFrom]) => ({ name, valueFrom })),
    versions: [],
    grantRead: (role: IamRole) =>
      new IamRolePolicy(role, `read-${id}`, {
        name: `read-${id}`,
        role: role.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: `arn:${id}` }],
        }),
      }),
  };
}
const DB_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:rds!db-abc';
const KEY_SECRET =
  'arn:aws:secretsmanager:eu-west-1:111122223333:secret:kong-gateway/x/consumers/smoke-AbCdEf';
const REDIS_SECRET = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:redis-auth-XyZ';
const FAKE_PEM = '-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n';
const DECK_YAML = [
  '_format_version: "3.0"',
  'services:',
  '  - name: llm-gateway',
  '    host: ${{ env "DECK_LLM_UPSTREAM_HOST" }}',
  'consumers:',
  '  - username: smoke',
  '    keyauth_credentials:',
  '      - key: ${{ env "DECK_CONSUMER_SMOKE_KEY" }}',
  'plugins:',
  '  - name: rate-limiting',
  '    config:',
  '      redis:',
  '        host: ${{ env "DECK_REDIS_HOST" }}',
  '        password: "{vault://env/rate-limit-redis-password}"',
  '',
].join('\n');
/** What KongDatabase.kongEnvironment() gives for a verified connection. */
function dbEnvironment(verify = true): Record<string, string> {
  return {
    KONG_DATABASE: 'postgres',
    KONG_PG_HOST: 'kong-db.abc.eu-west-1.rds.amazonaws.com',
    KONG_PG_PORT: '5432',
    KONG_PG_DATABASE: 'kong',
    KONG_PG_USER: 'kong',
    KONG_PG_SSL: 'on',
    KONG_PG_SSL_VERIFY: verify ? 'on' : 'off',
    ...(verify
      ? { KONG_LUA_SSL_TRUSTED_CERTIFICATE: `system,${Buffer.from(FAKE_PEM).toString('base64')}` }
      : {}),
  };
}

interface Built {
  synth: SynthesizedStack;
  kong: KongService;
  containers: Json[];
  byName: (name: string) => Json;
  env: (name: string) => Record<string, string>;
}

function buildKong(
  stageName: 'dev' | 'prod',
  overrides: (base: KongServiceProps) => Partial<KongServiceProps> = () => ({}),
): Built {
  const settings = testStage(stageName).settings;
  let kong: KongService | undefined;
  const synth = synthConstruct(({ stack, naming, environment, logging }) => {
    const network = testNetwork(
      { stack: stack, naming, environment, logging },
      { cidr: settings.network.vpcCidr, azCount: settings.network.azCount, flowLogRetentionDays: 7 },
    );
    const platform = new ComputePlatform(stack, 'platform', { naming, network });
    const loadBalancer = new LoadBalancer(stack, 'load-balancer', {
      naming,
      environment,
      network,
      ...(settings.loadBalancer.domain ? { domain: settings.loadBalancer.domain } : {}),
      idleTimeoutSeconds: settings.loadBalancer.idleTimeoutSeconds,
      accessLogs: false,
    });
    const base: KongServiceProps = {
      naming,
      environment,
      logging,
      network,
      platform,
      ...kongServiceSettings(settings.kong),
      loadBalancer,
      database: {
        environment: dbEnvironment(),
        password: fakeSecrets([['KONG_PG_PASSWORD', `${DB_SECRET}:password::`]], 'db'),
      },
      configSync: {
        deckConfig: DECK_YAML,
        secrets: [fakeSecrets([['DECK_CONSUMER_SMOKE_KEY', `${KEY_SECRET}:current::`]], 'keys')],
        upstream: { host: platform.dnsName('llm-gateway'), port: 8080 },
        credentialVersions: { 'consumer/smoke': 1, 'database/password': 1 },
        environment: { DECK_REDIS_HOST: 'redis.abc.cache.amazonaws.com', DECK_REDIS_PORT: '6379' },
      },
      kongSecrets: [fakeSecrets([['RATE_LIMIT_REDIS_PASSWORD', REDIS_SECRET]], 'redis')],
    };
    kong = new KongService(stack, 'kong', { ...base, ...overrides(base) });
    new TerraformOutput(stack, 'finish', { value: kong.migrationsCommand('finish') });
    new TerraformOutput(stack, 'list', { value: kong.migrationsCommand('list') });
  }, stageName);
  const containers: Json[] = JSON.parse(
    synth.resourceNamed('aws_ecs_task_definition', 'kong_task').container_definitions,
  );
  const byName = (name: string) => {
    const c = containers.find((x) => x.name === name);
    if (!c) throw new Error(`no container ${name}`);
    return c;
  };
  const env = (name: string) =>
    Object.fromEntries((byName(name).environment ?? []).map((e: Json) => [e.name, e.value]));
  return { synth, kong: kong!, containers, byName, env };
}

// The per-stage tests below branch on a few settings (image source, profile, VPC endpoints). This
// pins that dev and prod between them take both sides of each branch, so a change to a stage file
// cannot quietly leave a branch untested.
describe('the stages the per-stage tests run over', () => {
  it('cover both sides of every setting the tests branch on', () => {
    const pick = (stage: string) => {
      const s = testStage(stage).settings;
      return {
        pullThroughCache: s.kong.pullThroughCache,
        profile: s.profile,
        vpcEndpoints: s.network.vpcEndpoints,
      };
    };
    expect(pick('dev')).toEqual({ pullThroughCache: false, profile: 'development', vpcEndpoints: false });
    expect(pick('prod')).toEqual({ pullThroughCache: true, profile: 'production', vpcEndpoints: true });
  });
});

describe.each(['dev', 'prod'] as const)('KongService in stage %s', (stageName) => {
  const settings = testStage(stageName).settings;
  const { synth, containers, byName, env } = buildKong(stageName);
  const task = synth.resourceNamed('aws_ecs_task_definition', 'kong_task');
  const service = synth.resource('aws_ecs_service');

  it('runs a Fargate task of the stage size with its own roles', () => {
    expect(task).toMatchObject({
      network_mode: 'awsvpc',
      requires_compatibilities: ['FARGATE'],
      cpu: String(settings.kong.cpu),
      memory: String(settings.kong.memoryMiB),
      family: `kong-gateway-${stageName}-kong`,
    });
    expect(task.execution_role_arn).toMatch(/aws_iam_role\.kong_execution-role/);
    expect(task.task_role_arn).toMatch(/aws_iam_role\.kong_task-role/);
    expect(task.volume.map((v: Json) => v.name)).toEqual(['kong-prefix', 'kong-tmp', 'deck-tmp']);
  });

  it('orders the containers: volume-init -> migrations -> kong (SUCCESS) -> config-sync (HEALTHY)', () => {
    expect(containers.map((c) => [c.name, c.essential])).toEqual([
      [CONTAINERS.volumeInit, false],
      [CONTAINERS.migrations, false],
      [CONTAINERS.kong, true],
      [CONTAINERS.configSync, false],
    ]);
    expect(byName('kong-migrations').dependsOn).toEqual([
      { containerName: 'volume-init', condition: 'SUCCESS' },
    ]);
    expect(byName('kong').dependsOn).toEqual([
      { containerName: 'volume-init', condition: 'SUCCESS' },
      { containerName: 'kong-migrations', condition: 'SUCCESS' },
    ]);
    expect(byName('config-sync').dependsOn).toEqual([{ containerName: 'kong', condition: 'HEALTHY' }]);
  });

  it(`pins ${settings.kong.image} and the decK image`, () => {
    const kongImage = byName('kong').image as string;
    const deckImage = byName('config-sync').image as string;
    if (settings.kong.pullThroughCache) {
      expect(kongImage).toMatch(
        /\.dkr\.ecr\.eu-west-1\.amazonaws\.com\/kgw-prod-hub\/library\/kong:3\.9\.3$/,
      );
      expect(deckImage).toMatch(/\/kgw-prod-hub\/kong\/deck:v\d+\.\d+\.\d+$/);
    } else {
      expect(kongImage).toBe('kong:3.9.3');
      expect(deckImage).toMatch(/^kong\/deck:v\d+\.\d+\.\d+$/);
    }
    expect(byName('kong-migrations').image).toBe(kongImage);
    expect(byName('volume-init').image).toBe(kongImage);
  });

  it('configures Kong for Postgres over verified TLS with the password only from secrets', () => {
    const e = env('kong');
    expect(e).toMatchObject({
      KONG_DATABASE: 'postgres',
      KONG_PG_HOST: 'kong-db.abc.eu-west-1.rds.amazonaws.com',
      KONG_PG_PORT: '5432',
      KONG_PG_DATABASE: 'kong',
      KONG_PG_USER: 'kong',
      KONG_PG_SSL: 'on',
      KONG_PG_SSL_VERIFY: 'on',
    });
    expect(e.KONG_LUA_SSL_TRUSTED_CERTIFICATE).toBe(`system,${Buffer.from(FAKE_PEM).toString('base64')}`);
    expect(e.KONG_PG_PASSWORD).toBeUndefined();
    expect(byName('kong').secrets).toEqual([
      { name: 'KONG_PG_PASSWORD', valueFrom: `${DB_SECRET}:password::` },
      { name: 'RATE_LIMIT_REDIS_PASSWORD', valueFrom: REDIS_SECRET },
    ]);
  });

  it('listens for the proxy and status on all interfaces and the admin API on loopback only', () => {
    const e = env('kong');
    expect(e.KONG_PROXY_LISTEN).toBe('0.0.0.0:8000 reuseport backlog=16384');
    expect(e.KONG_STATUS_LISTEN).toBe('0.0.0.0:8100');
    expect(e.KONG_ADMIN_LISTEN).toBe('127.0.0.1:8001');
    expect(e.KONG_ADMIN_GUI_LISTEN).toBe('off');
    expect(byName('kong').portMappings.map((p: Json) => p.containerPort)).toEqual([8000, 8100]);
    for (const c of containers) expect(JSON.stringify(c.portMappings ?? [])).not.toContain('8001');
  });

  it("hardens Kong: no reports, no debug, reduced headers, trusted IPs = the ALB's (public) subnets", () => {
    expect(env('kong')).toMatchObject({
      KONG_ANONYMOUS_REPORTS: 'off',
      KONG_REQUEST_DEBUG: 'off',
      KONG_HEADERS: 'X-Kong-Request-Id',
      KONG_TRUSTED_IPS: synth
        .resources('aws_subnet')
        .filter((r) => r.values.tags.Tier === 'public')
        .map((r) => r.values.cidr_block)
        .join(','),
      KONG_REAL_IP_HEADER: 'X-Forwarded-For',
      KONG_REAL_IP_RECURSIVE: 'on',
      KONG_ERROR_DEFAULT_TYPE: 'application/json',
    });
    expect(env('kong').KONG_TRUSTED_IPS).not.toBe('0.0.0.0/0');
  });

  it('sizes nginx for the task and for long LLM responses', () => {
    const e = env('kong');
    expect(e.KONG_NGINX_WORKER_PROCESSES).toBe(String(settings.kong.cpu / 1024));
    expect(e.KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE).toBe(`${settings.kong.maxRequestBodyMiB}m`); // = the plugin's
    const keepalive = parseInt(e.KONG_NGINX_HTTP_KEEPALIVE_TIMEOUT!, 10);
    expect(keepalive).toBeGreaterThan(settings.loadBalancer.idleTimeoutSeconds);
    expect(parseInt(e.KONG_NGINX_MAIN_WORKER_SHUTDOWN_TIMEOUT!, 10)).toBeLessThan(byName('kong').stopTimeout);
  });

  it('logs access and errors to stdout/stderr, every container through awslogs to the task log group', () => {
    expect(env('kong')).toMatchObject({
      // JSON lines that the 401/429 metric filters read (ADR 0013, lib/constructs/kong/kong-access-log.ts).
      KONG_PROXY_ACCESS_LOG: '/dev/stdout kong_json',
      KONG_NGINX_HTTP_LOG_FORMAT: expect.stringMatching(
        /^kong_json escape=json '\{.*"status":\$status.*\}'$/,
      ),
      KONG_PROXY_ERROR_LOG: '/dev/stderr',
      KONG_ADMIN_ACCESS_LOG: '/dev/stdout',
      KONG_ADMIN_ERROR_LOG: '/dev/stderr',
    });
    for (const c of containers) {
      expect(c.logConfiguration.logDriver).toBe('awslogs');
      expect(c.logConfiguration.options['awslogs-group']).toMatch(/aws_cloudwatch_log_group\.kong_logs/);
      expect(c.logConfiguration.options['awslogs-region']).toBe('eu-west-1');
    }
    expect(synth.resourceNamed('aws_cloudwatch_log_group', 'kong_logs').name).toBe(
      `/kong-gateway/${stageName}/kong`,
    );
  });

  it('checks health with `kong health` and stops gracefully within Fargate`s 120 s', () => {
    const kong = byName('kong');
    expect(kong.healthCheck.command).toEqual(['CMD', 'kong', 'health']);
    expect(kong.stopTimeout).toBe(120);
  });

  it('runs every container on a read-only root filesystem with task volumes for the prefix and /tmp', () => {
    for (const c of containers) expect(c.readonlyRootFilesystem).toBe(true);
    expect(env('kong').KONG_PREFIX).toBe('/var/run/kong');
    const mounts = (name: string) =>
      byName(name).mountPoints.map((m: Json) => `${m.sourceVolume}:${m.containerPath}`);
    expect(mounts('kong')).toEqual(['kong-prefix:/var/run/kong', 'kong-tmp:/tmp']);
    expect(mounts('kong-migrations')).toEqual(['kong-prefix:/var/run/kong', 'kong-tmp:/tmp']);
    expect(mounts('config-sync')).toEqual(['deck-tmp:/tmp']);
    // Fargate creates bind mounts root-owned 0755: only the init container runs as root, to hand them over.
    expect(byName('volume-init').user).toBe('0');
    expect(byName('volume-init').command[0]).toMatch(/chown kong:0 \/var\/run\/kong/);
    for (const c of containers.filter((x) => x.name !== 'volume-init')) expect(c.user).toBeUndefined();
  });

  it('gates Kong on `kong migrations list` (0 or 4), bootstrapping on 3 and running up on 5, never finish', () => {
    const m = byName('kong-migrations');
    expect(m.entryPoint).toEqual(['/bin/sh', '-c']);
    // The very script kong-containers.test.ts runs against a stub `kong` (list exit codes 0, 3, 4, 5
    // and the deadline), so the behaviour is tested there and the wiring here.
    expect(m.command).toEqual([MIGRATIONS_SCRIPT]);
    expect(m.secrets).toEqual([{ name: 'KONG_PG_PASSWORD', valueFrom: `${DB_SECRET}:password::` }]);
    expect(env('kong-migrations')).toMatchObject({ KONG_PG_SSL: 'on', KONG_PG_SSL_VERIFY: 'on' });
  });

  it('syncs the rendered decK file through the loopback admin API with retries, keys only from secrets', () => {
    const c = byName('config-sync');
    const e = env('config-sync');
    expect(Buffer.from(e.KONG_GATEWAY_DECK_CONFIG_B64!, 'base64').toString('utf8')).toBe(DECK_YAML);
    expect(e).toMatchObject({
      DECK_LLM_UPSTREAM_HOST: `llm-gateway.${stageName}.kong-gateway.internal`,
      DECK_LLM_UPSTREAM_PORT: '8080',
      DECK_REDIS_HOST: 'redis.abc.cache.amazonaws.com',
      DECK_REDIS_PORT: '6379',
    });
    expect(c.secrets).toEqual([{ name: 'DECK_CONSUMER_SMOKE_KEY', valueFrom: `${KEY_SECRET}:current::` }]);
    // The script kong-containers.test.ts executes (retries, FAILED line), aimed at the loopback admin API.
    expect(c.command).toEqual([configSyncScript(`http://127.0.0.1:${KONG_PORTS.admin}`)]);
    // Keys never reach Kong's own container or its environment.
    expect(byName('kong').secrets.map((s: Json) => s.name)).not.toContain('DECK_CONSUMER_SMOKE_KEY');
  });

  it('stays well below the 64 KiB task-definition limit', () => {
    expect(Buffer.byteLength(task.container_definitions)).toBeLessThan(60 * 1024);
  });

  it(`starts ${settings.kong.desiredCount} task(s) over ${settings.network.azCount} AZs`, () => {
    expect(service.desired_count).toBe(settings.kong.desiredCount);
    if (settings.profile === 'production') expect(service.desired_count).toBeGreaterThanOrEqual(2);
  });

  it('runs in the private subnets without public IPs, behind the ALB on 8000', () => {
    expect(service.network_configuration.assign_public_ip).toBe(false);
    expect(service.network_configuration.subnets).toHaveLength(settings.network.azCount);
    for (const s of service.network_configuration.subnets) expect(s).toMatch(/network_private-/);
    expect(service.load_balancer).toEqual([
      {
        target_group_arn: expect.stringMatching(/aws_lb_target_group/),
        container_name: 'kong',
        container_port: 8000,
      },
    ]);
    expect(service.depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^aws_lb_listener\./)]));
    expect(service.cluster).toMatch(/aws_ecs_cluster/);
  });

  it('deploys safely: circuit breaker with rollback, 100/200 %, grace period, AZ rebalancing', () => {
    expect(service).toMatchObject({
      launch_type: 'FARGATE',
      desired_count: settings.kong.desiredCount,
      deployment_circuit_breaker: { enable: true, rollback: true },
      deployment_minimum_healthy_percent: 100,
      deployment_maximum_percent: 200,
      availability_zone_rebalancing: 'ENABLED',
      lifecycle: { ignore_changes: ['desired_count'] },
    });
    expect(service.health_check_grace_period_seconds).toBeGreaterThanOrEqual(60);
  });

  it('scales between the stage bounds on CPU and on ALB requests per target', () => {
    expect(synth.resource('aws_appautoscaling_target')).toMatchObject({
      min_capacity: settings.kong.minCount,
      max_capacity: settings.kong.maxCount,
      scalable_dimension: 'ecs:service:DesiredCount',
    });
    const policies = synth.resources('aws_appautoscaling_policy').map((p) => p.values);
    const spec = (type: string) =>
      policies.find(
        (p) =>
          p.target_tracking_scaling_policy_configuration.predefined_metric_specification
            .predefined_metric_type === type,
      )!.target_tracking_scaling_policy_configuration;
    expect(spec('ECSServiceAverageCPUUtilization').target_value).toBe(settings.kong.cpuTargetPercent);
    const requests = spec('ALBRequestCountPerTarget');
    expect(requests.target_value).toBe(settings.kong.requestsPerTargetPerMinute);
    expect(requests.predefined_metric_specification.resource_label).toMatch(/arn_suffix.*\/.*arn_suffix/);
  });

  it('admits only the ALB, on 8000 and 8100, and never the admin port', () => {
    const ingress = synth
      .resources('aws_vpc_security_group_ingress_rule')
      .filter((r) => r.values.security_group_id.includes('aws_security_group.kong_sg'))
      .map((r) => r.values);
    expect(ingress.map((r) => r.from_port).sort()).toEqual([8000, 8100]);
    for (const r of ingress) {
      expect(r.referenced_security_group_id).toMatch(/aws_security_group\.load-balancer_sg/);
      expect(r.cidr_ipv4).toBeUndefined();
    }
    const albEgress = synth
      .resources('aws_vpc_security_group_egress_rule')
      .filter((r) => r.values.security_group_id.includes('load-balancer_sg'))
      .map((r) => r.values.from_port)
      .sort();
    expect(albEgress).toEqual([8000, 8100]);
  });

  it('gives the execution role exactly logs, (cached) image pulls and the injected secrets', () => {
    const policies = synth.resources('aws_iam_role_policy').filter((p) => p.name.startsWith('kong_'));
    const secretPolicies = policies
      .filter((p) => p.name.startsWith('kong_execution-role_read-'))
      .map((p) => p.values.policy);
    expect(secretPolicies.map((p) => JSON.parse(p).Statement[0].Resource).sort()).toEqual([
      'arn:db',
      'arn:keys',
      'arn:redis',
    ]);
    for (const p of policies) expect(p.values.role).toMatch(/kong_execution-role/);
    const doc = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('execution-policy-document'))!.values;
    const sids = doc.statement.map((s: Json) => s.sid);
    expect(sids).toEqual(
      settings.kong.pullThroughCache ? ['WriteLogs', 'EcrLogin', 'PullImages'] : ['WriteLogs'],
    );
    expect(doc.statement[0].resources).toEqual([expect.stringMatching(/kong_logs.*\.arn\}:\*$/)]);
  });

  it('gives the task role no permissions at all', () => {
    const taskRolePolicies = [
      ...synth.resources('aws_iam_role_policy'),
      ...synth.resources('aws_iam_role_policy_attachment'),
    ].filter((p) => String(p.values.role).includes('task-role'));
    expect(taskRolePolicies).toEqual([]);
  });

  it('offers a one-off migrations task for `finish` that defaults to the read-only `list`', () => {
    const oneOff = synth.resourceNamed('aws_ecs_task_definition', 'migrations-task');
    const defs: Json[] = JSON.parse(oneOff.container_definitions);
    expect(defs.map((c) => [c.name, c.essential])).toEqual([
      ['volume-init', false],
      ['kong-migrations', true],
    ]);
    expect(defs[1].command).toEqual(['kong migrations list']);
    const finish: string = synth.outputs.finish.value;
    expect(finish).toMatch(/^aws ecs run-task /);
    expect(finish).toContain('"command":["kong migrations finish"]');
    expect(finish).toContain('assignPublicIp=DISABLED');
    // The one-off migrations task runs with Kong's group: the database admits no other.
    expect(finish).toMatch(/securityGroups=\[\$\{aws_security_group\.kong_sg_[A-F0-9]+\.id\}\]/);
    expect(finish).toMatch(/--cluster \$\{aws_ecs_cluster\..*\.name\}/);
    expect(finish).toMatch(/--task-definition \$\{aws_ecs_task_definition\.kong_migrations-task.*\.family\}/);
    expect(synth.outputs.list.value).toContain('"command":["kong migrations list"]');
  });

  it.each(
    stackRules(['Project'])
      .filter((r) => !r.name.includes('default tags'))
      .map((r) => [r.name, r] as const),
  )('satisfies the stack policy: %s', (_name, rule) => {
    expect(rule.check(synth)).toEqual([]);
  });
});

describe('KongService pull-through cache (prod)', () => {
  const { synth } = buildKong('prod');

  it('caches Docker Hub through ECR with the operator-created credential', () => {
    expect(synth.resource('aws_ecr_pull_through_cache_rule')).toMatchObject({
      ecr_repository_prefix: 'kgw-prod-hub',
      upstream_registry_url: 'registry-1.docker.io',
      credential_arn: expect.stringMatching(/data\.aws_secretsmanager_secret\./),
    });
    expect(synth.dataSources('aws_secretsmanager_secret')[0]!.values.name).toBe(
      'ecr-pullthroughcache/docker-hub',
    );
    expect(synth.resource('aws_ecr_repository_creation_template')).toMatchObject({
      prefix: 'kgw-prod-hub',
      applied_for: ['PULL_THROUGH_CACHE'],
    });
  });

  it('lets the execution role pull and import only under the cache prefix', () => {
    const doc = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('execution-policy-document'))!.values;
    const pull = doc.statement.find((s: Json) => s.sid === 'PullImages');
    expect(pull.actions).toEqual(
      expect.arrayContaining(['ecr:BatchGetImage', 'ecr:BatchImportUpstreamImage', 'ecr:CreateRepository']),
    );
    expect(pull.resources).toEqual([expect.stringMatching(/:repository\/kgw-prod-hub\/\*$/)]);
  });
});

describe('KongService connections to its dependencies', () => {
  const peerCalls: string[] = [];

  it('creates one egress rule and one peer ingress rule per connectTo call', () => {
    const settings = testStage('dev').settings;
    const synthWithPeer = synthConstruct(({ stack, naming, environment, logging }) => {
      const network = testNetwork(
        { stack: stack, naming, environment, logging },
        { cidr: settings.network.vpcCidr, azCount: 2, flowLogRetentionDays: 7 },
      );
      const platform = new ComputePlatform(stack, 'platform', { naming, network });
      const loadBalancer = new LoadBalancer(stack, 'load-balancer', {
        naming,
        environment,
        network,
        accessLogs: false,
      });
      const kong = new KongService(stack, 'kong', {
        naming,
        environment,
        logging,
        network,
        platform,
        ...kongServiceSettings(settings.kong),
        loadBalancer,
        database: {
          environment: dbEnvironment(false),
          password: fakeSecrets([['KONG_PG_PASSWORD', DB_SECRET]], 'db'),
        },
        configSync: {
          deckConfig: '_format_version: "3.0"\n',
          secrets: [],
          upstream: { host: 'u', port: 8080 },
          credentialVersions: { 'database/password': 1 },
        },
      });
      const dbSg = new SecurityGroup(stack, 'db-sg', { name: 'db', vpcId: network.vpc.id });
      kong.connectTo(
        {
          securityGroup: dbSg,
          allowFrom: (peer, description) => {
            peerCalls.push(description);
            new VpcSecurityGroupIngressRule(stack, 'db-ingress', {
              securityGroupId: dbSg.id,
              referencedSecurityGroupId: peer.id,
              ipProtocol: 'tcp',
              fromPort: 5432,
              toPort: 5432,
              description,
            });
          },
        },
        5432,
        'PostgreSQL',
      );
    }, 'dev');
    const egress = synthWithPeer
      .resources('aws_vpc_security_group_egress_rule')
      .map((r) => r.values)
      .filter((v) => v.from_port === 5432);
    expect(egress).toEqual([
      expect.objectContaining({
        security_group_id: expect.stringMatching(/kong_sg/),
        referenced_security_group_id: '${aws_security_group.db-sg.id}',
      }),
    ]);
    expect(peerCalls).toEqual(['PostgreSQL from Kong']);
    const e = Object.fromEntries(
      JSON.parse(synthWithPeer.resourceNamed('aws_ecs_task_definition', 'kong_task').container_definitions)
        .find((c: Json) => c.name === 'kong')
        .environment.map((x: Json) => [x.name, x.value]),
    );
    expect(e.KONG_PG_SSL).toBe('on');
    expect(e.KONG_PG_SSL_VERIFY).toBe('off');
    expect(e.KONG_LUA_SSL_TRUSTED_CERTIFICATE).toBeUndefined();
  });
});

describe('KongService rejects wrong inputs', () => {
  it('refuses TLS verification without a trusted CA list, TLS off, or a password in the environment', () => {
    const broken = { ...dbEnvironment(), KONG_PG_SSL: 'off', KONG_PG_PASSWORD: 'hunter2' };
    delete (broken as Record<string, string>).KONG_LUA_SSL_TRUSTED_CERTIFICATE;
    expect(() =>
      buildKong('dev', (base) => ({ database: { ...base.database, environment: broken } })),
    ).toThrow(
      [
        'KongService: database.environment is not usable:',
        '  - KONG_PG_SSL must be "on": the database connection is always encrypted',
        '  - KONG_PG_SSL_VERIFY=on needs KONG_LUA_SSL_TRUSTED_CERTIFICATE="system,<RDS CA bundle>" (system first, or TLS to other peers fails)',
        '  - KONG_PG_PASSWORD must come from ECS secrets, not the environment',
      ].join('\n'),
    );
  });

  it('refuses a decK file that references a value the config-sync container does not get', () => {
    expect(() => buildKong('dev', (base) => ({ configSync: { ...base.configSync, secrets: [] } }))).toThrow(
      /references DECK_CONSUMER_SMOKE_KEY, which the config-sync container does not receive/,
    );
  });

  it("refuses a decK file whose env vault reference Kong's container cannot resolve", () => {
    expect(() => buildKong('dev', () => ({ kongSecrets: [] }))).toThrow(
      /reads RATE_LIMIT_REDIS_PASSWORD through Kong's env vault, but the Kong container does not receive it/,
    );
  });

  it('refuses secret-looking or non-DECK names in the plain config-sync environment', () => {
    expect(() =>
      buildKong('dev', (base) => ({
        configSync: {
          ...base.configSync,
          environment: { ...base.configSync.environment, DECK_REDIS_TOKEN: 't' },
        },
      })),
    ).toThrow(/plain DECK_\* values only; "DECK_REDIS_TOKEN"/);
  });

  it('refuses a database secret under another name than KONG_PG_PASSWORD', () => {
    expect(() =>
      buildKong('dev', (base) => ({
        database: { ...base.database, password: fakeSecrets([['PGPASSWORD', DB_SECRET]], 'db') },
      })),
    ).toThrow(/exactly one secret named KONG_PG_PASSWORD, got \[PGPASSWORD\]/);
  });

  it('refuses the same secret name twice', () => {
    expect(() =>
      buildKong('dev', (base) => ({
        kongSecrets: [fakeSecrets([['KONG_PG_PASSWORD', DB_SECRET]], 'again')],
        database: base.database,
      })),
    ).toThrow(/injected twice under the same name: KONG_PG_PASSWORD/);
  });

  it.each([
    [
      { minCount: 3, desiredCount: 2, maxCount: 4 },
      /expected minCount <= desiredCount <= maxCount, got 3 <= 2 <= 4/,
    ],
    [{ minCount: 1, desiredCount: 5, maxCount: 4 }, /got 1 <= 5 <= 4/],
    [{ minCount: 0, desiredCount: 1, maxCount: 1 }, /must be integers >= 1, got 0, 1, 1/],
  ])('refuses task counts %o', (counts, message) => {
    expect(() => buildKong('dev', () => counts)).toThrow(message);
  });

  it('refuses VPC-endpoint-only egress without the pull-through cache (Docker Hub is out of reach)', () => {
    expect(() =>
      buildKong('dev', () => ({
        pullThroughCache: false,
        awsApiEndpoints: { connections: {} as never, s3PrefixList: {} as never },
      })),
    ).toThrow(/awsApiEndpoints .* set pullThroughCache/);
  });

  it('refuses a decK file that would push the task definition over 64 KiB', () => {
    const huge = `${DECK_YAML}# ${'x'.repeat(60 * 1024)}\n`;
    expect(() =>
      buildKong('dev', (base) => ({ configSync: { ...base.configSync, deckConfig: huge } })),
    ).toThrow(/above 61440 .* SSM parameter/);
  });
});

describe('image references', () => {
  const cache = { registryHost: '111122223333.dkr.ecr.eu-west-1.amazonaws.com', prefix: 'kgw-prod-hub' };

  it.each([
    ['kong:3.9.3', 'library/kong:3.9.3'],
    ['kong/deck:v1.49.0', 'kong/deck:v1.49.0'],
    ['docker.io/library/kong:3.9.3', 'library/kong:3.9.3'],
    ['kong@sha256:' + 'a'.repeat(64), 'library/kong@sha256:' + 'a'.repeat(64)],
    ['public.ecr.aws/kong/kong:3.9.3', undefined],
    ['localhost:5000/kong:3.9.3', undefined],
  ])('%s is %s on Docker Hub', (image, path) => {
    expect(dockerHubPath(image)).toBe(path);
  });

  it('rewrites Docker Hub images to the cache and leaves other registries alone', () => {
    expect(resolveImage('kong:3.9.3', cache)).toBe(
      '111122223333.dkr.ecr.eu-west-1.amazonaws.com/kgw-prod-hub/library/kong:3.9.3',
    );
    expect(resolveImage('public.ecr.aws/kong/kong:3.9.3', cache)).toBe('public.ecr.aws/kong/kong:3.9.3');
    expect(resolveImage('kong:3.9.3', undefined)).toBe('kong:3.9.3');
  });
});

describe('decK file references', () => {
  const text = [
    'key: ${{ env "DECK_CONSUMER_A_KEY" }}',
    'host: ${{env "DECK_REDIS_HOST"}}',
    'again: ${{ env "DECK_CONSUMER_A_KEY" }}',
    'password: "{vault://env/rate-limit-redis-password}"',
  ].join('\n');

  it('finds each substituted DECK_ variable once', () => {
    expect(deckEnvReferences(text)).toEqual(['DECK_CONSUMER_A_KEY', 'DECK_REDIS_HOST']);
  });

  it("maps env vault references to the variables Kong's env vault reads", () => {
    expect(envVaultReferences(text)).toEqual(['RATE_LIMIT_REDIS_PASSWORD']);
  });
});

describe.each(STAGE_NAMES)('KongService wired into stage %s', (stageName) => {
  const stage = testStage(stageName);
  const settings = stage.settings;
  const synth = synthStage(stage);
  const defs: Json[] = JSON.parse(
    synth.resourceNamed('aws_ecs_task_definition', 'kong_task').container_definitions,
  );
  const container = (name: string) => defs.find((c) => c.name === name);
  const envOf = (name: string): Record<string, string> =>
    Object.fromEntries((container(name).environment ?? []).map((e: Json) => [e.name, e.value]));

  it("syncs exactly the stage's rendered decK file", () => {
    const b64 = envOf('config-sync').KONG_GATEWAY_DECK_CONFIG_B64!;
    expect(Buffer.from(b64, 'base64').toString('utf8')).toBe(renderKongConfig(stage));
  });

  it("injects every consumer's key into config-sync only, and the database password into Kong", () => {
    const syncSecrets = container('config-sync').secrets.map((s: Json) => s.name);
    for (const c of settings.consumers) {
      expect(syncSecrets).toContain(`DECK_CONSUMER_${consumerEnvStem(c.name)}_KEY`);
    }
    expect(container('kong').secrets.map((s: Json) => s.name)).toContain('KONG_PG_PASSWORD');
    expect(
      container('kong')
        .secrets.map((s: Json) => s.name)
        .some((n: string) => n.startsWith('DECK_')),
    ).toBe(false);
    expect(envOf('kong').KONG_PG_HOST).toMatch(/aws_db_instance\..*\.address/);
  });

  it('chains the security groups: Kong reaches the database, Redis and the upstream on their ports only', () => {
    const kongEgress = synth
      .resources('aws_vpc_security_group_egress_rule')
      .map((r) => r.values)
      .filter((v) => /aws_security_group\.kong_sg/.test(v.security_group_id))
      .map((v) => `${v.from_port}:${v.referenced_security_group_id ?? v.cidr_ipv4 ?? v.prefix_list_id}`)
      .sort();
    const expected = [
      // HTTPS: only the endpoints and S3's prefix list where the stage has endpoints (ADR 0014).
      ...(settings.network.vpcEndpoints
        ? [
            expect.stringMatching(/^443:\$\{aws_security_group\.vpc-endpoints_sg/),
            expect.stringMatching(
              /^443:\$\{aws_vpc_endpoint\.vpc-endpoints_endpoint-s3.*\.prefix_list_id\}$/,
            ),
          ]
        : ['443:0.0.0.0/0']),
      expect.stringMatching(/^5432:\$\{aws_security_group\.database_/),
      expect.stringMatching(/^8080:\$\{aws_security_group\.upstream_/),
      ...(settings.rateLimiting.policy === 'redis'
        ? [expect.stringMatching(/^6379:\$\{aws_security_group\.rate-limit-store_/)]
        : []),
    ];
    expect(kongEgress).toEqual(expect.arrayContaining(expected));
    expect(kongEgress).toHaveLength(expected.length);
  });

  it('orders the service after the execution-role policies and every secret version it injects', () => {
    const service = synth.resourceNamed('aws_ecs_service', 'kong_service');
    const policies = synth
      .resources('aws_iam_role_policy')
      .filter((p) => p.name.startsWith('kong_execution'))
      .map((p) => `aws_iam_role_policy.${p.name}`);
    // database, consumer keys, and the Redis token with the redis policy.
    expect(policies).toHaveLength(settings.rateLimiting.policy === 'redis' ? 4 : 3);
    const versions = synth
      .resources('aws_secretsmanager_secret_version')
      .filter((v) => /^(database|consumer-keys|rate-limit-store)_/.test(v.name))
      .map((v) => `aws_secretsmanager_secret_version.${v.name}`);
    expect(versions).toHaveLength(
      settings.consumers.length + 1 + (settings.rateLimiting.policy === 'redis' ? 1 : 0),
    );
    expect(service.depends_on).toEqual(expect.arrayContaining([...policies, ...versions]));
  });

  it('outputs the migrations commands', () => {
    expect(synth.outputs.kong_migrations_list_command.value).toContain('kong migrations list');
    expect(synth.outputs.kong_migrations_finish_command.value).toContain('kong migrations finish');
  });

  if (settings.network.vpcEndpoints) {
    it('admits Kong and the placeholder, and nobody else, to the VPC endpoints on 443', () => {
      const peers = synth
        .resources('aws_vpc_security_group_ingress_rule')
        .map((r) => r.values)
        .filter((v) => /vpc-endpoints_sg/.test(v.security_group_id))
        .map((v) => `${v.from_port}:${v.referenced_security_group_id}`)
        .sort();
      expect(peers).toEqual([
        expect.stringMatching(/^443:\$\{aws_security_group\.kong_sg/),
        expect.stringMatching(/^443:\$\{aws_security_group\.upstream_sg/),
      ]);
    });
  }
});
