/**
 * The stage's CloudWatch dashboard as JSON: widgets two per row, 12 columns wide each. Pure: the
 * observability construct writes the result into its `aws_cloudwatch_dashboard`.
 */
import { KONG_LOG_METRICS } from './log-metrics';

type Dimensions = Readonly<Record<string, string>>;

/** What the dashboard shows; absent parts get no widget. */
export interface DashboardInputs {
  /** Region of every metric widget. */
  readonly region: string;
  /** `{ LoadBalancer }` of the ALB. */
  readonly albDims: Dimensions;
  /** `{ LoadBalancer, TargetGroup }` of Kong's target group. */
  readonly tgDims: Dimensions;
  /** `{ ClusterName, ServiceName }` of Kong's service. */
  readonly ecsDims: Dimensions;
  /** Namespace of the metrics published from Kong's log. */
  readonly kongNamespace: string;
  /** `{ DBInstanceIdentifier }` of the database, when there is one. */
  readonly dbDims?: Dimensions;
  /** Member clusters of the rate-limit store (none without Redis). */
  readonly redisNodeIds: readonly string[];
  /** The WAF web ACL's name, when there is one. */
  readonly webAclName?: string;
  /** Every alarm's ARN, for the alarm widget. */
  readonly alarmArns: readonly string[];
}

type MetricLine = (string | Record<string, unknown>)[];

function m(
  namespace: string,
  name: string,
  dims: Dimensions,
  opts: Record<string, unknown> = {},
): MetricLine {
  return [namespace, name, ...Object.entries(dims).flat(), opts];
}

/** The dashboard JSON: widgets two per row, 12 columns wide each. */
export function dashboardBody(d: DashboardInputs): { widgets: object[] } {
  const metricWidget = (
    title: string,
    metrics: (MetricLine | Record<string, unknown>[])[],
    extra: Record<string, unknown> = {},
  ) => ({
    type: 'metric',
    properties: {
      title,
      region: d.region,
      view: 'timeSeries',
      stacked: false,
      period: 60,
      metrics,
      ...extra,
    },
  });
  const alb = (name: string, label: string, dims = d.albDims) =>
    m('AWS/ApplicationELB', name, dims, { stat: 'Sum', label });
  // A count published from Kong's log (log-metrics.ts): no dimensions, summed.
  const kongLog = (name: string, label: string, extra: Record<string, unknown> = {}) =>
    m(d.kongNamespace, name, {}, { stat: 'Sum', label, ...extra });
  // One metric at several statistics: [stat, label] pairs.
  const stats = (namespace: string, name: string, dims: Dimensions, pairs: [string, string][]) =>
    pairs.map(([stat, label]) => m(namespace, name, dims, { stat, label }));
  // Several metrics at one statistic: [metric name, label] pairs.
  const metrics = (namespace: string, dims: Dimensions, stat: string, pairs: [string, string][]) =>
    pairs.map(([name, label]) => m(namespace, name, dims, { stat, label }));
  const widgets: object[] = [
    metricWidget('Requests (ALB)', [alb('RequestCount', 'requests')]),
    metricWidget('Responses by class', [
      alb('HTTPCode_Target_2XX_Count', '2xx (Kong)', d.tgDims),
      alb('HTTPCode_Target_4XX_Count', '4xx (Kong)', d.tgDims),
      alb('HTTPCode_Target_5XX_Count', '5xx (Kong)', d.tgDims),
      alb('HTTPCode_ELB_4XX_Count', '4xx (ALB)'),
      alb('HTTPCode_ELB_5XX_Count', '5xx (ALB)'),
    ]),
    metricWidget('401 and 429 (Kong access log)', [
      kongLog(KONG_LOG_METRICS.unauthorized, '401 unauthorized'),
      kongLog(KONG_LOG_METRICS.rateLimited, '429 rate limited'),
      kongLog(KONG_LOG_METRICS.keyGuardThrottled, '429 key guard (no valid key)'),
    ]),
    metricWidget('429 by consumer', [
      [
        {
          expression: `SEARCH('{${d.kongNamespace},Consumer} MetricName="${KONG_LOG_METRICS.rateLimitedByConsumer}"', 'Sum', 60)`,
          id: 'byconsumer',
          label: '',
        },
      ],
    ]),
    metricWidget('Kong response time (to headers)', [
      ...stats('AWS/ApplicationELB', 'TargetResponseTime', d.tgDims, [
        ['p50', 'p50'],
        ['p90', 'p90'],
        ['p99', 'p99'],
      ]),
    ]),
    metricWidget('Kong tasks and targets', [
      ...metrics('ECS/ContainerInsights', d.ecsDims, 'Average', [
        ['DesiredTaskCount', 'desired'],
        ['RunningTaskCount', 'running'],
        ['PendingTaskCount', 'pending'],
      ]),
      m('AWS/ApplicationELB', 'HealthyHostCount', d.tgDims, { stat: 'Minimum', label: 'healthy targets' }),
      m('AWS/ApplicationELB', 'UnHealthyHostCount', d.tgDims, {
        stat: 'Maximum',
        label: 'unhealthy targets',
      }),
    ]),
    metricWidget('Kong CPU and memory (% of task size)', [
      ...stats('AWS/ECS', 'CPUUtilization', d.ecsDims, [
        ['Average', 'CPU avg'],
        ['Maximum', 'CPU max'],
      ]),
      m('AWS/ECS', 'MemoryUtilization', d.ecsDims, { stat: 'Maximum', label: 'memory max' }),
    ]),
  ];
  if (d.dbDims !== undefined) {
    const db = d.dbDims;
    widgets.push(
      metricWidget('Database CPU and connections', [
        m('AWS/RDS', 'CPUUtilization', db, { stat: 'Average', label: 'CPU %' }),
        m('AWS/RDS', 'DatabaseConnections', db, { stat: 'Maximum', label: 'connections', yAxis: 'right' }),
      ]),
      metricWidget('Database storage and latency', [
        m('AWS/RDS', 'FreeStorageSpace', db, { stat: 'Minimum', label: 'free storage (bytes)' }),
        m('AWS/RDS', 'ReadLatency', db, { stat: 'Average', label: 'read latency (s)', yAxis: 'right' }),
        m('AWS/RDS', 'WriteLatency', db, { stat: 'Average', label: 'write latency (s)', yAxis: 'right' }),
      ]),
    );
  }
  if (d.redisNodeIds.length > 0) {
    widgets.push(
      metricWidget(
        'Rate-limit store (Redis)',
        d.redisNodeIds.flatMap((node) => [
          m(
            'AWS/ElastiCache',
            'EngineCPUUtilization',
            { CacheClusterId: node },
            { stat: 'Average', label: `${node} CPU %` },
          ),
          m(
            'AWS/ElastiCache',
            'DatabaseMemoryUsagePercentage',
            { CacheClusterId: node },
            { stat: 'Maximum', label: `${node} memory %` },
          ),
          m(
            'AWS/ElastiCache',
            'Evictions',
            { CacheClusterId: node },
            { stat: 'Sum', label: `${node} evictions`, yAxis: 'right' },
          ),
        ]),
      ),
    );
  }
  if (d.webAclName !== undefined) {
    const waf = { WebACL: d.webAclName, Region: d.region, Rule: 'ALL' };
    widgets.push(
      metricWidget('WAF', [
        ...metrics('AWS/WAFV2', waf, 'Sum', [
          ['AllowedRequests', 'allowed'],
          ['BlockedRequests', 'blocked'],
          ['CountedRequests', 'counted (not blocked)'],
        ]),
      ]),
    );
  }
  widgets.push(
    metricWidget('Config sync failures and Redis connection errors (Kong log)', [
      kongLog(KONG_LOG_METRICS.configSyncFailed, 'config-sync gave up'),
      ...(d.redisNodeIds.length > 0
        ? [kongLog(KONG_LOG_METRICS.redisConnectionErrors, 'failed to connect to Redis', { yAxis: 'right' })]
        : []),
    ]),
  );
  widgets.push({
    type: 'alarm',
    properties: { title: 'Alarms', alarms: [...d.alarmArns], sortBy: 'stateUpdatedTimestamp' },
  });
  return {
    widgets: widgets.map((w, i) => ({
      ...w,
      x: (i % 2) * 12,
      y: Math.floor(i / 2) * 6,
      width: 12,
      height: 6,
    })),
  };
}
