import { dashboardBody, type DashboardInputs } from '../../../lib/constructs/observability/dashboard';
import type { Json } from '../../support/synth';

const BASE: DashboardInputs = {
  region: 'eu-west-1',
  albDims: { LoadBalancer: 'app/alb/1' },
  tgDims: { LoadBalancer: 'app/alb/1', TargetGroup: 'targetgroup/kong/2' },
  ecsDims: { ClusterName: 'cluster', ServiceName: 'kong' },
  kongNamespace: 'kong-gateway/test',
  redisNodeIds: [],
  alarmArns: ['arn:alarm:a', 'arn:alarm:b'],
};

function widgets(d: Partial<DashboardInputs> = {}): Json[] {
  return dashboardBody({ ...BASE, ...d }).widgets as Json[];
}

function titled(ws: Json[], title: string): Json {
  const w = ws.find((x) => x.properties.title === title);
  if (!w) throw new Error(`no widget "${title}" in ${ws.map((x) => x.properties.title).join(', ')}`);
  return w;
}

/** The metric lines of a widget as `[namespace, name, dims..., options]`. */
function lines(w: Json): Json[][] {
  return w.properties.metrics;
}

describe('the dashboard', () => {
  const all = widgets({
    dbDims: { DBInstanceIdentifier: 'db' },
    redisNodeIds: ['rl-001', 'rl-002'],
    webAclName: 'acl',
  });

  it('shows requests, responses by class, 401/429, latency percentiles, tasks, the database, Redis, WAF and alarms', () => {
    expect(all.map((w) => w.properties.title)).toEqual([
      'Requests (ALB)',
      'Responses by class',
      '401 and 429 (Kong access log)',
      '429 by consumer',
      'Kong response time (to headers)',
      'Kong tasks and targets',
      'Kong CPU and memory (% of task size)',
      'Database CPU and connections',
      'Database storage and latency',
      'Rate-limit store (Redis)',
      'WAF',
      'Config sync failures and Redis connection errors (Kong log)',
      'Alarms',
    ]);
  });

  it('lays widgets out two per row without overlap', () => {
    const cells = new Set(all.map((w) => `${w.x},${w.y}`));
    expect(cells.size).toBe(all.length);
    for (const w of all) {
      expect(w).toMatchObject({ width: 12, height: 6 });
      expect([0, 12]).toContain(w.x);
    }
  });

  it('draws latency as p50, p90 and p99 of the target group', () => {
    const latency = titled(all, 'Kong response time (to headers)');
    expect(lines(latency).map((l) => (l[l.length - 1] as Json).stat)).toEqual(['p50', 'p90', 'p99']);
    expect(lines(latency)[0]).toEqual([
      'AWS/ApplicationELB',
      'TargetResponseTime',
      'LoadBalancer',
      'app/alb/1',
      'TargetGroup',
      'targetgroup/kong/2',
      { stat: 'p50', label: 'p50' },
    ]);
  });

  it('reads 401/429 and the per-consumer 429s from the stage namespace', () => {
    expect(lines(titled(all, '401 and 429 (Kong access log)')).map((l) => l.slice(0, 2))).toEqual([
      ['kong-gateway/test', 'Unauthorized'],
      ['kong-gateway/test', 'RateLimited'],
      ['kong-gateway/test', 'KeyGuardThrottled'],
    ]);
    expect(lines(titled(all, '429 by consumer'))[0]![0].expression).toBe(
      `SEARCH('{kong-gateway/test,Consumer} MetricName="RateLimitedByConsumer"', 'Sum', 60)`,
    );
  });

  it('uses the given ECS, database, Redis and WAF dimensions', () => {
    expect(lines(titled(all, 'Kong tasks and targets'))[0]!.slice(0, 6)).toEqual([
      'ECS/ContainerInsights',
      'DesiredTaskCount',
      'ClusterName',
      'cluster',
      'ServiceName',
      'kong',
    ]);
    expect(lines(titled(all, 'Database CPU and connections'))[0]!.slice(2, 4)).toEqual([
      'DBInstanceIdentifier',
      'db',
    ]);
    const redis = lines(titled(all, 'Rate-limit store (Redis)'));
    expect(redis).toHaveLength(6);
    expect(redis.map((l) => l[3])).toEqual(['rl-001', 'rl-001', 'rl-001', 'rl-002', 'rl-002', 'rl-002']);
    expect(lines(titled(all, 'WAF'))[0]!.slice(2)).toEqual([
      'WebACL',
      'acl',
      'Region',
      'eu-west-1',
      'Rule',
      'ALL',
      { stat: 'Sum', label: 'allowed' },
    ]);
  });

  it('shows config-sync failures always, and Redis connection errors only with Redis', () => {
    const withRedis = lines(titled(all, 'Config sync failures and Redis connection errors (Kong log)'));
    expect(withRedis.map((l) => l[1])).toEqual(['ConfigSyncFailed', 'RedisConnectionErrors']);
    const without = lines(titled(widgets(), 'Config sync failures and Redis connection errors (Kong log)'));
    expect(without.map((l) => l[1])).toEqual(['ConfigSyncFailed']);
  });

  it('lists every given alarm, most recently changed first', () => {
    const alarms = all.find((w) => w.type === 'alarm')!;
    expect(alarms.properties).toEqual({
      title: 'Alarms',
      alarms: ['arn:alarm:a', 'arn:alarm:b'],
      sortBy: 'stateUpdatedTimestamp',
    });
  });

  it('has no database, Redis or WAF widget without them', () => {
    const titles = widgets().map((w) => w.properties.title);
    expect(titles).not.toContain('Database CPU and connections');
    expect(titles).not.toContain('Rate-limit store (Redis)');
    expect(titles).not.toContain('WAF');
    expect(titles[titles.length - 1]).toBe('Alarms');
  });
});
