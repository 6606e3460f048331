import * as fs from 'fs';
import * as path from 'path';
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import {
  KONG_ACCESS_LOG_ENVIRONMENT,
  KONG_ACCESS_LOG_FIELDS,
} from '../../../lib/constructs/kong/kong-access-log';
import { Observability, type ObservabilityProps } from '../../../lib/constructs/observability/observability';
import { defaultConnectionAlarmThreshold } from '../../../lib/constructs/observability/rds-capacity';
import { DEFAULT_ALARM_THRESHOLDS } from '../../../lib/constructs/observability/thresholds';
import { replicationGroupMemberIds } from '../../../lib/constructs/rate-limit-store/member-ids';
import {
  committedStack,
  synthConstruct,
  synthGateway,
  synthStage,
  testStage,
  type Json,
  type SynthesizedStack,
  settingsProblems,
} from '../../support/synth';

interface Options {
  readonly props?: Partial<Omit<ObservabilityProps, 'naming' | 'environment' | 'loadBalancer' | 'kong'>>;
  readonly database?: boolean;
  readonly replica?: boolean;
  readonly redisNodes?: number;
}

/** Synthesizes Observability over standalone stand-ins for the ALB, Kong, RDS and Redis. */
function synthObservability(options: Options = {}): SynthesizedStack {
  return synthConstruct(({ stack, naming, environment, logging }) => {
    const alb = new Lb(stack, 'alb', { name: 'kgw-test-alb', subnets: ['subnet-a', 'subnet-b'] });
    const targetGroup = new LbTargetGroup(stack, 'kong-tg', {
      name: 'kgw-test-kong',
      port: 8000,
      protocol: 'HTTP',
    });
    const cluster = new EcsCluster(stack, 'cluster', { name: 'kong-gateway-test' });
    const service = new EcsService(stack, 'kong-service', { name: 'kong', cluster: cluster.id });
    const accessLogGroup = logging.logGroup(stack, 'kong-logs', { name: '/kong-gateway/test/kong' });
    const primary = options.database
      ? new DbInstance(stack, 'db', { identifier: 'kong-gateway-test', instanceClass: 'db.t4g.micro' })
      : undefined;
    const replica = options.replica
      ? new DbInstance(stack, 'db-replica', {
          identifier: 'kong-gateway-test-replica',
          instanceClass: 'db.t4g.micro',
        })
      : undefined;
    const redis = options.redisNodes
      ? new ElasticacheReplicationGroup(stack, 'redis', {
          replicationGroupId: 'kgw-test-rl',
          description: 'rate limits',
        })
      : undefined;
    new Observability(stack, 'observability', {
      naming,
      environment,
      loadBalancer: {
        metricDimensions: { LoadBalancer: alb.arnSuffix },
        targetGroupMetricDimensions: { LoadBalancer: alb.arnSuffix, TargetGroup: targetGroup.arnSuffix },
      },
      kong: {
        metricDimensions: { ClusterName: cluster.name, ServiceName: service.name },
        logGroup: accessLogGroup,
      },
      ...(primary
        ? {
            database: {
              metricDimensions: { DBInstanceIdentifier: primary.identifier },
              instanceClass: 'db.t4g.micro',
              ...(replica
                ? { readReplicaMetricDimensions: [{ DBInstanceIdentifier: replica.identifier }] }
                : {}),
            },
          }
        : {}),
      ...(redis
        ? {
            rateLimitStore: {
              memberClusterIds: replicationGroupMemberIds(redis.replicationGroupId, options.redisNodes!),
            },
          }
        : {}),
      ...options.props,
    });
  });
}

function alarm(synth: SynthesizedStack, id: string): Json {
  return synth.resourceNamed('aws_cloudwatch_metric_alarm', `_${id.replace(/-/g, '-')}_`);
}

function alarmNames(synth: SynthesizedStack): string[] {
  return synth
    .resources('aws_cloudwatch_metric_alarm')
    .map((r) => r.values.alarm_name as string)
    .sort();
}

function query(a: Json, id: string): Json {
  return (a.metric_query as Json[]).find((q) => q.id === id);
}

describe('Observability with a database and no read replica (the stages today)', () => {
  const synth = synthObservability({
    database: true,
    props: { alarmEmails: ['oncall@example.com', 'lead@example.com'] },
  });

  it('creates every required alarm, and no replica-lag or Redis alarm', () => {
    expect(alarmNames(synth)).toEqual(
      [
        'alb-5xx-rate',
        'target-5xx-rate',
        'unhealthy-hosts',
        'p99-response-time',
        'kong-tasks-below-desired',
        'unauthorized-spike',
        'rate-limited-spike',
        'database-cpu',
        'database-free-storage',
        'database-connections',
        'config-sync-failed',
      ]
        .map((n) => `kong-gateway-test-${n}`)
        .sort(),
    );
    expect(synth.text).not.toMatch(/ReplicaLag/);
    expect(synth.text).not.toMatch(/AWS\/ElastiCache/);
    expect(synth.text).not.toMatch(/failed to connect to Redis/);
  });

  it('sends every alarm and its recovery to the stage topic, with a runbook link', () => {
    for (const { values } of synth.resources('aws_cloudwatch_metric_alarm')) {
      expect(values.alarm_actions).toEqual([expect.stringMatching(/^\$\{aws_sns_topic\..*\.arn\}$/)]);
      expect(values.ok_actions).toEqual(values.alarm_actions);
      expect(values.alarm_description).toMatch(/Runbook: docs\/runbooks\/alarms\.md#[a-z0-9-]+$/);
    }
  });

  it('encrypts the topic with its own key that only this stage’s CloudWatch alarms may use', () => {
    const topic = synth.resource('aws_sns_topic');
    expect(topic.name).toBe('kong-gateway-test-alarms');
    expect(topic.kms_master_key_id).toMatch(/^\$\{aws_kms_key\.observability_topic-key.*\.arn\}$/);
    const keyPolicy = synth
      .dataSources('aws_iam_policy_document')
      .find((d) => d.name.includes('topic-key-policy'))!;
    const cw = (keyPolicy.values.statement as Json[]).find((s) => s.sid === 'CloudWatchAlarmsPublish');
    expect(cw.principals).toEqual([{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }]);
    expect(cw.actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey*']);
    expect(cw.condition).toEqual([
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: [expect.stringMatching(/caller/)] },
      {
        test: 'ArnLike',
        variable: 'aws:SourceArn',
        values: [expect.stringMatching(/:alarm:kong-gateway-test-\*$/)],
      },
    ]);
    expect(synth.resourceNamed('aws_kms_key', 'topic-key').enable_key_rotation).toBe(true);
  });

  it("lets only this account's CloudWatch publish, over TLS", () => {
    const doc = synth.dataSources('aws_iam_policy_document').find((d) => d.name.includes('topic-policy'))!;
    const statements = doc.values.statement as Json[];
    const cw = statements.find((s) => s.sid === 'CloudWatchAlarmsOfThisAccount');
    expect(cw.condition).toEqual([
      { test: 'StringEquals', variable: 'aws:SourceAccount', values: [expect.stringMatching(/caller/)] },
      {
        test: 'ArnLike',
        variable: 'aws:SourceArn',
        values: [expect.stringMatching(/:alarm:kong-gateway-test-\*$/)],
      },
    ]);
    const deny = statements.find((s) => s.sid === 'DenyInsecureTransport');
    expect(deny).toMatchObject({
      effect: 'Deny',
      condition: [{ variable: 'aws:SecureTransport', values: ['false'] }],
    });
    expect(synth.resource('aws_sns_topic_policy').arn).toMatch(/aws_sns_topic\./);
  });

  it('names every alarm so that the SourceArn pattern of the topic covers it', () => {
    for (const name of alarmNames(synth)) expect(name.startsWith('kong-gateway-test-')).toBe(true);
  });

  it('subscribes each configured address by email, addressed by the address (stable when the list changes)', () => {
    const subs = synth.resources('aws_sns_topic_subscription');
    expect(subs.map((s) => [s.values.protocol, s.values.endpoint]).sort()).toEqual([
      ['email', 'lead@example.com'],
      ['email', 'oncall@example.com'],
    ]);
    const oncall = subs.find((s) => s.values.endpoint === 'oncall@example.com')!;
    expect(oncall.name).toMatch(/^observability_email-oncall-example-com_/);
  });

  it('refuses an address listed twice', () => {
    expect(() =>
      synthObservability({ props: { alarmEmails: ['oncall@example.com', 'OnCall@example.com'] } }),
    ).toThrow(/"OnCall@example.com" is listed twice/);
  });

  it('watches the ALB, target group, Kong service and database it is given', () => {
    const a = alarm(synth, 'target-5xx-rate');
    expect(query(a, 'errors').metric.dimensions).toEqual({
      LoadBalancer: '${aws_lb.alb.arn_suffix}',
      TargetGroup: '${aws_lb_target_group.kong-tg.arn_suffix}',
    });
    expect(query(alarm(synth, 'alb-5xx-rate'), 'errors').metric.dimensions).toEqual({
      LoadBalancer: '${aws_lb.alb.arn_suffix}',
    });
    expect(query(alarm(synth, 'kong-tasks-below-desired'), 'running').metric.dimensions).toEqual({
      ClusterName: '${aws_ecs_cluster.cluster.name}',
      ServiceName: '${aws_ecs_service.kong-service.name}',
    });
    expect(alarm(synth, 'database-cpu').dimensions).toEqual({
      DBInstanceIdentifier: '${aws_db_instance.db.identifier}',
    });
    expect(alarm(synth, 'database-connections').threshold).toBe(
      defaultConnectionAlarmThreshold('db.t4g.micro'),
    );
    expect(alarm(synth, 'alb-5xx-rate').threshold).toBe(DEFAULT_ALARM_THRESHOLDS.alb5xxPercent);
  });

  it("counts 401, 429 and config-sync failures with metric filters on Kong's task log group", () => {
    const filters = Object.fromEntries(
      synth.resources('aws_cloudwatch_log_metric_filter').map((r) => [r.values.name, r.values]),
    );
    expect(Object.keys(filters).sort()).toEqual([
      'kong-gateway-test-kong-401',
      'kong-gateway-test-kong-429',
      'kong-gateway-test-kong-429-by-consumer',
      'kong-gateway-test-kong-429-key-guard',
      'kong-gateway-test-kong-config-sync-failed',
    ]);
    for (const f of Object.values(filters) as Json[]) {
      expect(f.log_group_name).toBe('${aws_cloudwatch_log_group.kong-logs.name}');
      expect(f.metric_transformation.namespace).toBe('kong-gateway/test');
    }
    expect(filters['kong-gateway-test-kong-401'].pattern).toBe('{ $.status = 401 }');
    // Only authenticated consumers' 429s become Consumer dimensions; the key guard's are counted apart.
    const byConsumer = filters['kong-gateway-test-kong-429-by-consumer'];
    expect(byConsumer.pattern).toBe('{ $.status = 429 && $.anonymous != "true" }');
    expect(byConsumer.metric_transformation.dimensions).toEqual({ Consumer: '$.consumer' });
    const guard = filters['kong-gateway-test-kong-429-key-guard'];
    expect(guard.pattern).toBe('{ $.status = 429 && $.anonymous = "true" }');
    expect(guard.metric_transformation).toMatchObject({ name: 'KeyGuardThrottled', default_value: '0' });
  });

  describe('the dashboard', () => {
    const dashboard = synth.resource('aws_cloudwatch_dashboard');
    const body = JSON.parse(dashboard.dashboard_body);
    const titles = (body.widgets as Json[]).map((w) => w.properties.title);

    it('is named after the stack and shows requests, 4xx/401/429/5xx, latency percentiles, tasks and the database', () => {
      expect(dashboard.dashboard_name).toBe('kong-gateway-test');
      expect(titles).toEqual(
        expect.arrayContaining([
          'Requests (ALB)',
          'Responses by class',
          '401 and 429 (Kong access log)',
          '429 by consumer',
          'Kong response time (to headers)',
          'Kong tasks and targets',
          'Database CPU and connections',
          'Alarms',
        ]),
      );
      const db = body.widgets.find((w: Json) => w.properties.title === 'Database CPU and connections');
      expect(db.properties.metrics[0].slice(2, 4)).toEqual([
        'DBInstanceIdentifier',
        '${aws_db_instance.db.identifier}',
      ]);
    });

    it('lays widgets out without overlap', () => {
      const cells = new Set((body.widgets as Json[]).map((w) => `${w.x},${w.y}`));
      expect(cells.size).toBe(body.widgets.length);
    });

    it('lists every alarm', () => {
      const alarms = body.widgets.find((w: Json) => w.type === 'alarm').properties.alarms;
      expect(alarms).toHaveLength(synth.resources('aws_cloudwatch_metric_alarm').length);
      expect(alarms).toContain(
        '${aws_cloudwatch_metric_alarm.observability_config-sync-failed_163D9A4A.arn}',
      );
    });

    it('has no WAF or Redis widget when there is neither', () => {
      expect(titles).not.toContain('WAF');
      expect(titles).not.toContain('Rate-limit store (Redis)');
    });
  });
});

describe('Observability with a read replica, Redis and WAF', () => {
  const synth = synthObservability({
    database: true,
    replica: true,
    redisNodes: 2,
    props: { edge: { webAclName: 'acl' } },
  });

  it('adds a replica-lag alarm for the replica', () => {
    expect(alarm(synth, 'database-replica-0-lag')).toMatchObject({
      metric_name: 'ReplicaLag',
      dimensions: { DBInstanceIdentifier: '${aws_db_instance.db-replica.identifier}' },
      threshold: 60,
    });
  });

  it("alarms on the busiest Redis node and on evictions across the store's members", () => {
    const cpu = alarm(synth, 'redis-cpu');
    expect(query(cpu, 'cpu0').metric.dimensions).toEqual({
      CacheClusterId: '${aws_elasticache_replication_group.redis.replication_group_id}-001',
    });
    expect(query(cpu, 'cpu1').metric.dimensions.CacheClusterId).toMatch(/-002$/);
    expect(query(cpu, 'cpuall').expression).toBe('MAX([cpu0, cpu1])');
    expect(query(alarm(synth, 'redis-memory'), 'memall').expression).toBe('MAX([mem0, mem1])');
    const evictions = alarm(synth, 'redis-evictions');
    expect(query(evictions, 'evall').expression).toBe('SUM([ev0, ev1])');
    expect(evictions.threshold).toBe(0);
  });

  it("alarms on Kong's Redis connection failures, counted from its log", () => {
    const filter = synth.resourceNamed('aws_cloudwatch_log_metric_filter', 'kong-redis-connection-errors');
    expect(filter).toMatchObject({
      log_group_name: '${aws_cloudwatch_log_group.kong-logs.name}',
      pattern: '"[rate-limiting] failed to connect to Redis"',
    });
    expect(alarm(synth, 'redis-connection-errors')).toMatchObject({
      namespace: 'kong-gateway/test',
      metric_name: filter.metric_transformation.name,
      threshold: 0,
    });
  });

  it('shows WAF and Redis on the dashboard', () => {
    const titles = JSON.parse(synth.resource('aws_cloudwatch_dashboard').dashboard_body).widgets.map(
      (w: Json) => w.properties.title,
    );
    expect(titles).toEqual(expect.arrayContaining(['WAF', 'Rate-limit store (Redis)']));
  });
});

describe('Observability options', () => {
  it('uses an existing topic instead of creating one', () => {
    const arn = 'arn:aws:sns:eu-west-1:123456789012:oncall';
    const synth = synthObservability({ props: { alarmTopicArn: arn } });
    expect(synth.resources('aws_sns_topic')).toHaveLength(0);
    expect(synth.resources('aws_kms_key').map((r) => r.name)).not.toContainEqual(
      expect.stringMatching(/topic/),
    );
    for (const { values } of synth.resources('aws_cloudwatch_metric_alarm'))
      expect(values.alarm_actions).toEqual([arn]);
  });

  it('refuses emails together with an existing topic', () => {
    expect(() =>
      synthObservability({
        props: { alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:x', alarmEmails: ['a@example.com'] },
      }),
    ).toThrow(/alarmEmails must be empty when alarmTopicArn is given/);
  });

  it('takes thresholds from props', () => {
    const synth = synthObservability({
      database: true,
      props: { thresholds: { p99ResponseTimeSeconds: 5, databaseConnections: 42 } },
    });
    expect(alarm(synth, 'p99-response-time').threshold).toBe(5);
    expect(alarm(synth, 'database-connections').threshold).toBe(42);
  });

  it('creates no database alarms without a database', () => {
    expect(synthObservability().text).not.toMatch(/AWS\/RDS/);
  });

  it('refuses a Redis store without members', () => {
    expect(() => synthObservability({ props: { rateLimitStore: { memberClusterIds: [] } } })).toThrow(
      /memberClusterIds is empty/,
    );
  });
});

describe("Kong's JSON access log (what the Kong container must be given)", () => {
  const format = KONG_ACCESS_LOG_ENVIRONMENT.KONG_NGINX_HTTP_LOG_FORMAT!;

  it('sends the proxy access log to stdout in the kong_json format', () => {
    expect(KONG_ACCESS_LOG_ENVIRONMENT.KONG_PROXY_ACCESS_LOG).toBe('/dev/stdout kong_json');
    expect(format).toMatch(/^kong_json escape=json '\{.*\}'$/);
  });

  it('renders one JSON object per line with a numeric status and the fields the filters read', () => {
    // Substitute nginx variables the way nginx would and parse the result.
    const json = format
      .slice(format.indexOf("'") + 1, -1)
      .replace(/"\$[a-z_0-9]+"/g, '"x"')
      .replace(/\$status/, '429')
      .replace(/\$[a-z_]+/g, '1');
    const line = JSON.parse(json);
    expect(line.status).toBe(429);
    expect(line).toHaveProperty('consumer');
    expect(Object.keys(line)).toEqual(Object.keys(KONG_ACCESS_LOG_FIELDS));
  });

  it('logs no header that can carry a key, and no query string', () => {
    expect(format).not.toMatch(
      /\$http_(apikey|authorization|x_api_key)|\$request_uri|\$args|\$query_string|\$request\b/,
    );
  });

  it('holds no quote that would end the nginx string early', () => {
    expect(format.slice(format.indexOf("'") + 1, -1)).not.toContain("'");
  });
});

describe('alarms stage settings', () => {
  it('defaults every threshold', () => {
    expect(testStage('dev').settings.alarms).toEqual({ emails: [], thresholds: DEFAULT_ALARM_THRESHOLDS });
    expect(testStage('prod').settings.alarms.thresholds.rateLimitedPer5Minutes).toBe(1000);
  });

  it('production must send alarms somewhere', () => {
    expect(settingsProblems('prod', (r) => (r.alarms = {})).join('\n')).toMatch(
      /alarms: must name emails or a topicArn.*required by profile "production"/,
    );
    expect(() =>
      testStage('prod', (r) => (r.alarms = { topicArn: 'arn:aws:sns:eu-west-1:123456789012:oncall' })),
    ).not.toThrow();
  });

  it('rejects emails beside a topic ARN, a malformed address and a bad threshold', () => {
    expect(
      settingsProblems(
        'dev',
        (r) => (r.alarms = { emails: ['a@example.com'], topicArn: 'arn:aws:sns:eu-west-1:123456789012:t' }),
      ).join('\n'),
    ).toMatch(/alarms\.emails: must be empty when alarms\.topicArn is set/);
    expect(settingsProblems('dev', (r) => (r.alarms = { emails: ['not-an-address'] })).join('\n')).toMatch(
      /alarms\.emails\[0\]: must be an email address/,
    );
    expect(
      settingsProblems('dev', (r) => (r.alarms = { thresholds: { alb5xxPercent: 150 } })).join('\n'),
    ).toMatch(/alarms\.thresholds\.alb5xxPercent: Too big/);
    expect(settingsProblems('dev', (r) => (r.alarms = { thresholds: { unknown: 1 } })).join('\n')).toMatch(
      /unknown key/,
    );
  });
});

describe('the runbooks the alarms point to', () => {
  const runbooks = path.join(__dirname, '..', '..', '..', 'docs', 'runbooks');
  const headings = new Set(
    [...fs.readFileSync(path.join(runbooks, 'alarms.md'), 'utf8').matchAll(/^## (.+)$/gm)].map((h) =>
      h[1]!.trim(),
    ),
  );
  const synth = synthObservability({ database: true, replica: true, redisNodes: 2 });

  it('has a section in alarms.md for every alarm', () => {
    for (const { values } of synth.resources('aws_cloudwatch_metric_alarm')) {
      const anchor = /alarms\.md#([a-z0-9-]+)$/.exec(values.alarm_description)![1]!;
      expect({ alarm: values.alarm_name, section: headings.has(anchor) }).toEqual({
        alarm: values.alarm_name,
        section: true,
      });
    }
  });

  it('lists every runbook in the index', () => {
    const index = fs.readFileSync(path.join(runbooks, 'README.md'), 'utf8');
    for (const file of fs.readdirSync(runbooks).filter((f) => f.endsWith('.md') && f !== 'README.md')) {
      expect(index).toContain(`](${file})`);
    }
  });
});

describe('observability in the stages', () => {
  const prod = committedStack('prod');
  const dev = committedStack('dev');

  function kongContainer(synth: SynthesizedStack): Json {
    const task = synth.resourceNamed('aws_ecs_task_definition', 'kong_task');
    return (JSON.parse(task.container_definitions) as Json[]).find((c) => c.name === 'kong');
  }

  it("counts 401/429 from the log group Kong's container writes to, in the JSON format the filters read", () => {
    for (const synth of [prod, dev]) {
      const kong = kongContainer(synth);
      const env = Object.fromEntries((kong.environment as Json[]).map((e) => [e.name, e.value]));
      for (const [name, value] of Object.entries(KONG_ACCESS_LOG_ENVIRONMENT)) expect(env[name]).toBe(value);
      const group = kong.logConfiguration.options['awslogs-group'];
      expect(group).toMatch(/^\$\{aws_cloudwatch_log_group\.kong_logs.*\.name\}$/);
      const filters = synth.resources('aws_cloudwatch_log_metric_filter').map((r) => r.values);
      // 401, 429, 429 by consumer, the key guard's 429, config-sync failures and (redis policy)
      // Redis connection errors.
      expect(filters.map((f) => f.log_group_name)).toEqual([group, group, group, group, group, group]);
      const configSync = kong.logConfiguration.options;
      const sync = (
        JSON.parse(
          synth.resourceNamed('aws_ecs_task_definition', 'kong_task').container_definitions,
        ) as Json[]
      ).find((c) => c.name === 'config-sync');
      // config-sync writes its failure line to the same group the filter reads.
      expect(sync.logConfiguration.options['awslogs-group']).toBe(configSync['awslogs-group']);
      expect(sync.command.join(' ')).toContain('config-sync: FAILED');
    }
  });

  it('alarms on config-sync failures and, with the redis policy, on Redis connection failures', () => {
    for (const synth of [prod, dev]) {
      expect(alarmNames(synth)).toEqual(
        expect.arrayContaining([
          `kong-gateway-${synth === prod ? 'prod' : 'dev'}-config-sync-failed`,
          `kong-gateway-${synth === prod ? 'prod' : 'dev'}-redis-connection-errors`,
        ]),
      );
    }
    const local = synthStage(
      testStage('dev', (r) => {
        r.rateLimiting = { ...r.rateLimiting, policy: 'local' };
        r.kong = { ...r.kong, minCount: 1, maxCount: 1, desiredCount: 1 };
      }),
    );
    expect(alarmNames(local)).toContain('kong-gateway-dev-config-sync-failed');
    expect(alarmNames(local)).not.toContain('kong-gateway-dev-redis-connection-errors');
    expect(local.text).not.toMatch(/failed to connect to Redis/);
  });

  it('prod mails the on-call address and watches its two Redis nodes; no replica-lag alarm (no replica)', () => {
    expect(prod.resource('aws_sns_topic_subscription')).toMatchObject({
      protocol: 'email',
      endpoint: 'oncall@example.com',
    });
    const cpu = alarm(prod, 'redis-cpu');
    expect(query(cpu, 'cpuall').expression).toBe('MAX([cpu0, cpu1])');
    expect(prod.text).not.toMatch(/ReplicaLag/);
    expect(alarm(prod, 'rate-limited-spike').threshold).toBe(1000);
    expect(alarm(prod, 'database-connections').threshold).toBe(
      defaultConnectionAlarmThreshold('db.m7g.large'),
    );
  });

  it('watches the real ALB, target group, Kong service and database', () => {
    const errors = query(alarm(prod, 'target-5xx-rate'), 'errors').metric.dimensions;
    expect(errors.LoadBalancer).toMatch(/^\$\{aws_lb\.load-balancer_alb.*\.arn_suffix\}$/);
    expect(errors.TargetGroup).toMatch(/^\$\{aws_lb_target_group\.load-balancer_kong.*\.arn_suffix\}$/);
    const running = query(alarm(prod, 'kong-tasks-below-desired'), 'running').metric.dimensions;
    expect(running.ServiceName).toMatch(/^\$\{aws_ecs_service\.kong_service.*\.name\}$/);
    expect(running.ClusterName).toMatch(/^\$\{aws_ecs_cluster\.platform_cluster.*\.name\}$/);
    expect(alarm(prod, 'database-cpu').dimensions.DBInstanceIdentifier).toMatch(
      /aws_db_instance\.database_instance/,
    );
  });

  it('takes what it watches from the handles the constructs expose, not from the settings', () => {
    const { stack, resolve } = synthGateway('prod');
    const settings = testStage('prod').settings;
    expect(stack.database.instanceClass).toBe(settings.database.instanceClass);
    expect(resolve(stack.database.metricDimensions.DBInstanceIdentifier)).toMatch(
      /^\$\{aws_db_instance\.database_instance.*\.identifier\}$/,
    );
    const store = stack.rateLimitStore!;
    expect(store.nodeCount).toBe(1 + settings.rateLimiting.redisReplicas);
    expect(store.memberClusterIds.map(resolve)).toEqual([
      expect.stringMatching(/replication_group_id\}-001$/),
      expect.stringMatching(/replication_group_id\}-002$/),
    ]);
    expect(resolve(stack.loadBalancer.targetGroupMetricDimensions.TargetGroup)).toMatch(
      /^\$\{aws_lb_target_group\.load-balancer_kong.*\.arn_suffix\}$/,
    );
    expect(resolve(stack.kong.metricDimensions.ClusterName)).toMatch(
      /^\$\{aws_ecs_cluster\.platform_cluster.*\.name\}$/,
    );
  });

  it('dev has the same alarms on a topic nobody is subscribed to (alarms.emails empty)', () => {
    expect(dev.resources('aws_sns_topic_subscription')).toHaveLength(0);
    expect(alarmNames(dev)).toEqual(expect.arrayContaining(['kong-gateway-dev-unauthorized-spike']));
    const dashboard = JSON.parse(dev.resource('aws_cloudwatch_dashboard').dashboard_body);
    expect(dashboard.widgets.map((w: Json) => w.properties.title)).not.toContain('WAF');
  });
});
