import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import {
  AlarmSet,
  configSyncAlarm,
  databaseAlarms,
  kongAccessLogAlarms,
  kongLogFilters,
  kongServiceAlarms,
  loadBalancerAlarms,
  rateLimitStoreAlarms,
  redisConnectionAlarm,
} from '../../../lib/constructs/observability/alarms';
import {
  KONG_LOG_FILTERS,
  REDIS_CONNECTION_ERRORS_FILTER,
} from '../../../lib/constructs/observability/log-metrics';
import { defaultConnectionAlarmThreshold } from '../../../lib/constructs/observability/rds-capacity';
import {
  DEFAULT_ALARM_THRESHOLDS,
  resolveThresholds,
} from '../../../lib/constructs/observability/thresholds';
import { synthConstruct, type Json, type SynthesizedStack } from '../../support/synth';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:alarms';
const DB_DIMS = { DBInstanceIdentifier: 'kong-gateway-test-db' };
const ECS_DIMS = { ClusterName: 'kong-gateway-test', ServiceName: 'kong-gateway-test-kong' };

/** Every alarm group over stand-in handles: the ALB's real tokens, literal names elsewhere. */
function synthAlarms(
  t = DEFAULT_ALARM_THRESHOLDS,
  opts: { replica?: boolean; redisNodes?: readonly string[] } = {},
): SynthesizedStack {
  return synthConstruct(({ stack, naming }) => {
    const alb = new Lb(stack, 'alb', { name: 'kgw-test-alb', subnets: ['subnet-a', 'subnet-b'] });
    const tg = new LbTargetGroup(stack, 'kong-tg', { name: 'kgw-test-kong', port: 8000, protocol: 'HTTP' });
    const alarms = new AlarmSet(stack, naming, TOPIC);
    loadBalancerAlarms(
      alarms,
      {
        metricDimensions: { LoadBalancer: alb.arnSuffix },
        targetGroupMetricDimensions: { LoadBalancer: alb.arnSuffix, TargetGroup: tg.arnSuffix },
      },
      t,
    );
    kongServiceAlarms(alarms, { metricDimensions: ECS_DIMS });
    kongLogFilters(stack, naming, '/kong-gateway/test/kong', 'kong-gateway/test', [
      ...KONG_LOG_FILTERS,
      REDIS_CONNECTION_ERRORS_FILTER,
    ]);
    kongAccessLogAlarms(alarms, 'kong-gateway/test', t);
    databaseAlarms(
      alarms,
      {
        metricDimensions: DB_DIMS,
        instanceClass: 'db.t4g.micro',
        ...(opts.replica
          ? { readReplicaMetricDimensions: [{ DBInstanceIdentifier: 'kong-gateway-test-replica' }] }
          : {}),
      },
      t,
    );
    rateLimitStoreAlarms(alarms, { memberClusterIds: opts.redisNodes ?? ['rl-001', 'rl-002'] }, t);
    configSyncAlarm(alarms, 'kong-gateway/test');
    redisConnectionAlarm(alarms, 'kong-gateway/test', t);
  });
}

function alarm(synth: SynthesizedStack, id: string): Json {
  const found = synth
    .resources('aws_cloudwatch_metric_alarm')
    .filter((r) => r.values.alarm_name === `kong-gateway-test-${id}`);
  if (found.length !== 1) throw new Error(`expected one alarm ${id}, found ${found.length}`);
  return found[0]!.values;
}

function query(a: Json, id: string): Json {
  return (a.metric_query as Json[]).find((q) => q.id === id);
}

describe('the alarm set', () => {
  const synth = synthAlarms();

  it('names every alarm after the stage and sends it and its recovery to the topic, with a runbook link', () => {
    for (const { values } of synth.resources('aws_cloudwatch_metric_alarm')) {
      expect(values.alarm_name).toMatch(/^kong-gateway-test-[a-z0-9-]+$/);
      expect(values.alarm_actions).toEqual([TOPIC]);
      expect(values.ok_actions).toEqual([TOPIC]);
      expect(values.alarm_description).toMatch(/\. Runbook: docs\/runbooks\/alarms\.md#[a-z0-9-]+$/);
    }
  });

  it('points each alarm at the runbook section named like it (replica lag shares one section)', () => {
    for (const { values } of synth.resources('aws_cloudwatch_metric_alarm')) {
      const id = values.alarm_name.replace('kong-gateway-test-', '');
      const anchor = /#([a-z0-9-]+)$/.exec(values.alarm_description)![1];
      expect(anchor).toBe(id);
    }
    const replica = synthAlarms(DEFAULT_ALARM_THRESHOLDS, { replica: true });
    expect(alarm(replica, 'database-replica-0-lag').alarm_description).toMatch(/#database-replica-lag$/);
  });

  it('treats missing data as missing unless an alarm says otherwise', () => {
    expect(alarm(synth, 'database-cpu').treat_missing_data).toBe('missing');
  });
});

describe('load balancer alarms', () => {
  const synth = synthAlarms();

  it('computes the ALB 5xx rate as a percentage of requests, only from minutes with traffic', () => {
    const a = alarm(synth, 'alb-5xx-rate');
    expect(query(a, 'errors').metric).toMatchObject({
      namespace: 'AWS/ApplicationELB',
      metric_name: 'HTTPCode_ELB_5XX_Count',
      stat: 'Sum',
      dimensions: { LoadBalancer: '${aws_lb.alb.arn_suffix}' },
    });
    expect(query(a, 'requests').metric.dimensions).toEqual({ LoadBalancer: '${aws_lb.alb.arn_suffix}' });
    expect(query(a, 'rate').expression).toBe('IF(requests >= 20, 100 * FILL(errors, 0) / requests, 0)');
    expect(a).toMatchObject({
      threshold: DEFAULT_ALARM_THRESHOLDS.alb5xxPercent,
      comparison_operator: 'GreaterThanThreshold',
      evaluation_periods: 5,
      datapoints_to_alarm: 3,
      treat_missing_data: 'notBreaching',
    });
  });

  it("takes the target 5xx from Kong's target group, against all the ALB's requests", () => {
    const a = alarm(synth, 'target-5xx-rate');
    expect(query(a, 'errors').metric.metric_name).toBe('HTTPCode_Target_5XX_Count');
    expect(query(a, 'errors').metric.dimensions).toEqual({
      LoadBalancer: '${aws_lb.alb.arn_suffix}',
      TargetGroup: '${aws_lb_target_group.kong-tg.arn_suffix}',
    });
    expect(query(a, 'requests').metric.dimensions).toEqual({ LoadBalancer: '${aws_lb.alb.arn_suffix}' });
    expect(a.threshold).toBe(5);
  });

  it('alarms on unhealthy targets and on the p99 response time', () => {
    expect(alarm(synth, 'unhealthy-hosts')).toMatchObject({
      metric_name: 'UnHealthyHostCount',
      statistic: 'Maximum',
      threshold: 0,
      comparison_operator: 'GreaterThanThreshold',
      dimensions: { TargetGroup: '${aws_lb_target_group.kong-tg.arn_suffix}' },
    });
    expect(alarm(synth, 'p99-response-time')).toMatchObject({
      metric_name: 'TargetResponseTime',
      extended_statistic: 'p99',
      threshold: 60,
      evaluate_low_sample_count_percentiles: 'ignore',
    });
  });
});

describe("Kong's service alarm", () => {
  it('alarms when fewer Kong tasks run than desired (Container Insights), and when the data is missing', () => {
    const a = alarm(synthAlarms(), 'kong-tasks-below-desired');
    expect(query(a, 'running').metric).toMatchObject({
      namespace: 'ECS/ContainerInsights',
      metric_name: 'RunningTaskCount',
      dimensions: ECS_DIMS,
    });
    expect(query(a, 'desired').metric.metric_name).toBe('DesiredTaskCount');
    expect(query(a, 'missing').expression).toBe('desired - running');
    expect(a).toMatchObject({ threshold: 0, treat_missing_data: 'breaching' });
  });
});

describe("metric filters on Kong's task log group", () => {
  const synth = synthAlarms();
  const filters = Object.fromEntries(
    synth.resources('aws_cloudwatch_log_metric_filter').map((r) => [r.values.name, r.values]),
  );

  it('counts 401 and 429 from the JSON access log, with 0 when nothing matches', () => {
    const f401 = filters['kong-gateway-test-kong-401'];
    expect(f401.log_group_name).toBe('/kong-gateway/test/kong');
    expect(f401.pattern).toBe('{ $.status = 401 }');
    expect(f401.metric_transformation).toEqual({
      namespace: 'kong-gateway/test',
      name: 'Unauthorized',
      value: '1',
      unit: 'Count',
      default_value: '0',
    });
    expect(filters['kong-gateway-test-kong-429'].metric_transformation.name).toBe('RateLimited');
  });

  it('counts 429 per consumer without a default value (CloudWatch refuses one with dimensions)', () => {
    const byConsumer = filters['kong-gateway-test-kong-429-by-consumer'];
    // Authenticated consumers only: the key guard's 429s have no consumer (kong-429-key-guard).
    expect(byConsumer.pattern).toBe('{ $.status = 429 && $.anonymous != "true" }');
    expect(byConsumer.metric_transformation.dimensions).toEqual({ Consumer: '$.consumer' });
    expect(byConsumer.metric_transformation.default_value).toBeUndefined();
  });

  it("counts config-sync's failure line and Kong's Redis connection failures", () => {
    expect(filters['kong-gateway-test-kong-config-sync-failed']).toMatchObject({
      pattern: '"config-sync: FAILED"',
      metric_transformation: { name: 'ConfigSyncFailed', default_value: '0' },
    });
    expect(filters['kong-gateway-test-kong-redis-connection-errors']).toMatchObject({
      pattern: '"[rate-limiting] failed to connect to Redis"',
      metric_transformation: { name: 'RedisConnectionErrors', default_value: '0' },
    });
  });
});

describe("alarms on Kong's log", () => {
  const synth = synthAlarms();

  it('alarms on spikes of 401 and 429', () => {
    expect(alarm(synth, 'unauthorized-spike')).toMatchObject({
      namespace: 'kong-gateway/test',
      metric_name: 'Unauthorized',
      statistic: 'Sum',
      period: 300,
      threshold: 500,
      treat_missing_data: 'notBreaching',
    });
    expect(alarm(synth, 'rate-limited-spike')).toMatchObject({ metric_name: 'RateLimited', threshold: 500 });
  });

  it('alarms on the first config-sync failure in 5 minutes', () => {
    expect(alarm(synth, 'config-sync-failed')).toMatchObject({
      namespace: 'kong-gateway/test',
      metric_name: 'ConfigSyncFailed',
      statistic: 'Sum',
      period: 300,
      evaluation_periods: 1,
      comparison_operator: 'GreaterThanThreshold',
      threshold: 0,
      treat_missing_data: 'notBreaching',
    });
  });

  it('alarms on Redis connection failures above the threshold', () => {
    expect(alarm(synth, 'redis-connection-errors')).toMatchObject({
      metric_name: 'RedisConnectionErrors',
      statistic: 'Sum',
      period: 300,
      threshold: DEFAULT_ALARM_THRESHOLDS.redisConnectionErrorsPer5Minutes,
    });
    const tolerant = synthAlarms(resolveThresholds({ redisConnectionErrorsPer5Minutes: 25 }));
    expect(alarm(tolerant, 'redis-connection-errors').threshold).toBe(25);
  });
});

describe('database alarms', () => {
  const synth = synthAlarms();

  it('alarms on CPU, free storage (in bytes) and connections of the given instance', () => {
    expect(alarm(synth, 'database-cpu')).toMatchObject({
      namespace: 'AWS/RDS',
      metric_name: 'CPUUtilization',
      dimensions: DB_DIMS,
      threshold: 80,
      evaluation_periods: 3,
    });
    expect(alarm(synth, 'database-free-storage')).toMatchObject({
      metric_name: 'FreeStorageSpace',
      comparison_operator: 'LessThanThreshold',
      threshold: 5 * 1024 ** 3,
    });
    expect(alarm(synth, 'database-connections')).toMatchObject({
      metric_name: 'DatabaseConnections',
      threshold: defaultConnectionAlarmThreshold('db.t4g.micro'),
    });
  });

  it('takes an explicit connection threshold over the class-derived one', () => {
    const synth42 = synthAlarms(resolveThresholds({ databaseConnections: 42 }));
    expect(alarm(synth42, 'database-connections').threshold).toBe(42);
  });

  it('adds a replica-lag alarm per replica, and none without', () => {
    expect(synth.text).not.toMatch(/ReplicaLag/);
    const replica = synthAlarms(DEFAULT_ALARM_THRESHOLDS, { replica: true });
    expect(alarm(replica, 'database-replica-0-lag')).toMatchObject({
      metric_name: 'ReplicaLag',
      dimensions: { DBInstanceIdentifier: 'kong-gateway-test-replica' },
      threshold: 60,
    });
  });
});

describe('rate-limit store alarms', () => {
  const synth = synthAlarms();

  it('alarms on the busiest node and on evictions across nodes, per member cluster', () => {
    const cpu = alarm(synth, 'redis-cpu');
    expect(query(cpu, 'cpu0').metric).toMatchObject({
      namespace: 'AWS/ElastiCache',
      dimensions: { CacheClusterId: 'rl-001' },
    });
    expect(query(cpu, 'cpu1').metric.dimensions).toEqual({ CacheClusterId: 'rl-002' });
    expect(query(cpu, 'cpuall').expression).toBe('MAX([cpu0, cpu1])');
    expect(query(alarm(synth, 'redis-memory'), 'memall').expression).toBe('MAX([mem0, mem1])');
    const evictions = alarm(synth, 'redis-evictions');
    expect(query(evictions, 'evall').expression).toBe('SUM([ev0, ev1])');
    expect(evictions.threshold).toBe(0);
  });

  it('refuses a store without members', () => {
    expect(() => synthAlarms(DEFAULT_ALARM_THRESHOLDS, { redisNodes: [] })).toThrow(
      /memberClusterIds is empty/,
    );
  });
});
