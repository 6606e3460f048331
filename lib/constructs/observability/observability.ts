import { Construct } from 'constructs';
import { customerManagedKey } from '../shared/kms-key-policy';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import { CloudwatchLogMetricFilter } from '@cdktf/provider-aws/lib/cloudwatch-log-metric-filter';
import {
  CloudwatchMetricAlarm,
  type CloudwatchMetricAlarmConfig,
  type CloudwatchMetricAlarmMetricQuery,
} from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import type { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import type { EcsCluster } from '@cdktf/provider-aws/lib/ecs-cluster';
import type { EcsService } from '@cdktf/provider-aws/lib/ecs-service';
import type { ElasticacheReplicationGroup } from '@cdktf/provider-aws/lib/elasticache-replication-group';
import type { Lb } from '@cdktf/provider-aws/lib/lb';
import type { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { SnsTopicPolicy } from '@cdktf/provider-aws/lib/sns-topic-policy';
import { SnsTopicSubscription } from '@cdktf/provider-aws/lib/sns-topic-subscription';
import type { z } from 'zod';
import type { AwsEnvironment } from '../shared/aws-environment';
// eslint-disable-next-line no-restricted-imports -- TEMPORARY: removed by the obs refactor
import { alarmThresholdsSchema } from '../../settings/stage-settings';
import type { Naming } from '../../contracts/naming';
import { skipKmsKeyPolicyChecks } from '../../policy/checkov';

// ---------------------------------------------------------------------------------------------
// Props
// ---------------------------------------------------------------------------------------------

/** Alarm thresholds (see `alarms.thresholds` in the stage settings). */
export type AlarmThresholds = z.output<typeof alarmThresholdsSchema>;
/** The thresholds an empty `alarms.thresholds` section yields. */
export const DEFAULT_ALARM_THRESHOLDS: AlarmThresholds = alarmThresholdsSchema.parse({});

/** The ALB and Kong's target group (the load balancer construct exposes both). */
export interface LoadBalancerMetricsSource {
  /** The internet-facing ALB. */
  readonly alb: Lb;
  /** Kong's target group. */
  readonly targetGroup: LbTargetGroup;
}

/** Kong's ECS service and the log group its container writes the JSON access log to. */
export interface KongServiceMetricsSource {
  /** The cluster the service runs in (Container Insights must be on for the task-count alarm). */
  readonly cluster: EcsCluster;
  /** Kong's service. */
  readonly service: EcsService;
  /** The KONG container's log group (its environment must include `KONG_ACCESS_LOG_ENVIRONMENT` of `./kong-access-log`). */
  readonly accessLogGroup: CloudwatchLogGroup;
}

/** Kong's database. */
export interface DatabaseMetricsSource {
  /** The primary instance. */
  readonly instance: DbInstance;
  /** Its instance class as a literal (the connection ceiling is derived from its memory). */
  readonly instanceClass: string;
  /**
   * Read replicas; each gets a replica-lag alarm.
   * @default none
   */
  readonly readReplicas?: readonly DbInstance[];
}

/** The ElastiCache replication group holding rate-limit counters (cluster mode disabled). */
export interface RateLimitStoreMetricsSource {
  /** The replication group. */
  readonly replicationGroup: ElasticacheReplicationGroup;
  /** Nodes in it (primary + replicas); member clusters are `<group id>-001`, `-002`, ... */
  readonly nodeCount: number;
}

/** The WAF web ACL, for the dashboard. */
export interface EdgeMetricsSource {
  /** The web ACL's name (`WebACL` dimension). */
  readonly webAclName: string;
}

/** Props of {@link Observability}. */
export interface ObservabilityProps {
  /** Stage naming. */
  readonly naming: Naming;
  /** Account, partition and region (key and topic policies, dashboard region). */
  readonly environment: AwsEnvironment;
  /**
   * Addresses subscribed to the alarm topic this construct creates.
   * @default none
   */
  readonly alarmEmails?: readonly string[];
  /**
   * Publish to this existing topic instead of creating one. Exclusive with `alarmEmails`.
   * @default a new KMS-encrypted topic `kong-gateway-<stage>-alarms`
   */
  readonly alarmTopicArn?: string;
  /**
   * Overrides of the alarm thresholds.
   * @default {@link DEFAULT_ALARM_THRESHOLDS}
   */
  readonly thresholds?: Partial<AlarmThresholds>;
  /** The ALB and Kong's target group. */
  readonly loadBalancer: LoadBalancerMetricsSource;
  /** Kong's service and access log. */
  readonly kong: KongServiceMetricsSource;
  /**
   * Kong's database.
   * @default no database alarms or widgets
   */
  readonly database?: DatabaseMetricsSource;
  /**
   * The Redis rate-limit store, when the stage uses the `redis` policy.
   * @default no Redis alarms or widgets
   */
  readonly rateLimitStore?: RateLimitStoreMetricsSource;
  /**
   * The WAF web ACL, when the stage has one.
   * @default no WAF widget
   */
  readonly edge?: EdgeMetricsSource;
  /**
   * Days a scheduled deletion of the topic's key waits (7..30).
   * @default 30
   */
  readonly keyDeletionWindowDays?: number;
}

/** Ratios are computed only from minutes with at least this many requests (no alarm on 1 of 2). */
export const MIN_REQUESTS_FOR_RATE = 20;

/** The metric names published from Kong's access log. */
export const KONG_LOG_METRICS = {
  unauthorized: 'Unauthorized',
  rateLimited: 'RateLimited',
  rateLimitedByConsumer: 'RateLimitedByConsumer',
} as const;

const GIB = 1024 ** 3;

// ---------------------------------------------------------------------------------------------
// The construct
// ---------------------------------------------------------------------------------------------

/**
 * Metrics, alarms and the dashboard of a stage: an alarm topic (KMS-encrypted, email
 * subscriptions from the stage settings), CloudWatch alarms on the ALB, Kong's ECS service, RDS,
 * Redis and Kong's 401/429 counts, and one dashboard. 401 and 429 are counted by metric filters
 * on Kong's JSON access log (ADR 0013): ALB metrics stop at the 4XX class.
 */
export class Observability extends Construct {
  /** ARN of the topic every alarm notifies (created here or given). */
  readonly alarmTopicArn: string;
  /** The topic, when this construct created it. */
  readonly alarmTopic?: SnsTopic;
  /** Every alarm, by its construct id. */
  readonly alarms: Record<string, CloudwatchMetricAlarm> = {};
  /** The stage's dashboard. */
  readonly dashboard: CloudwatchDashboard;
  /** Namespace of the metrics published from Kong's access log: `kong-gateway/<stage>`. */
  readonly kongMetricsNamespace: string;
  /** The thresholds in force. */
  readonly thresholds: AlarmThresholds;

  private readonly naming: Naming;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { naming, environment: env } = props;
    this.naming = naming;
    this.thresholds = { ...DEFAULT_ALARM_THRESHOLDS, ...stripUndefined(props.thresholds ?? {}) };
    this.kongMetricsNamespace = `kong-gateway/${naming.stage}`;
    const t = this.thresholds;

    if (props.alarmTopicArn !== undefined && (props.alarmEmails?.length ?? 0) > 0) {
      throw new Error(
        'Observability: alarmEmails must be empty when alarmTopicArn is given; subscribe the addresses to that topic instead',
      );
    }
    if (props.alarmTopicArn !== undefined) {
      this.alarmTopicArn = props.alarmTopicArn;
    } else {
      this.alarmTopic = this.createTopic(env, props.keyDeletionWindowDays ?? 30);
      this.alarmTopicArn = this.alarmTopic.arn;
      // Ids from the address, not the position: removing one address must not re-subscribe
      // (and re-send confirmation emails to) the ones after it.
      const ids = new Set<string>();
      for (const email of props.alarmEmails ?? []) {
        const subscriptionId = `email-${email.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
        if (ids.has(subscriptionId)) {
          throw new Error(
            `Observability: alarm email "${email}" is listed twice (or differs only in punctuation or case)`,
          );
        }
        ids.add(subscriptionId);
        new SnsTopicSubscription(this, subscriptionId, {
          topicArn: this.alarmTopicArn,
          protocol: 'email',
          endpoint: email,
        });
      }
    }

    const { alb, targetGroup } = props.loadBalancer;
    const albDims = { LoadBalancer: alb.arnSuffix };
    const tgDims = { LoadBalancer: alb.arnSuffix, TargetGroup: targetGroup.arnSuffix };

    // --- ALB -------------------------------------------------------------------------------
    this.alarm('alb-5xx-rate', {
      description: `More than ${t.alb5xxPercent}% of requests got a 5xx generated by the ALB itself (no healthy Kong task, or Kong reset the connection) in 3 of 5 minutes. Runbook: docs/runbooks/alarms.md#alb-5xx-rate`,
      ...rateQuery('HTTPCode_ELB_5XX_Count', albDims, albDims),
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.alb5xxPercent,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'notBreaching',
    });
    this.alarm('target-5xx-rate', {
      description: `More than ${t.target5xxPercent}% of requests got a 5xx from Kong (upstream errors, timeouts, Kong failures) in 3 of 5 minutes. Runbook: docs/runbooks/alarms.md#target-5xx-rate`,
      ...rateQuery('HTTPCode_Target_5XX_Count', tgDims, albDims),
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.target5xxPercent,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      treatMissingData: 'notBreaching',
    });
    this.alarm('unhealthy-hosts', {
      description: `More than ${t.unhealthyHosts} Kong task(s) failed the ALB health check for 3 minutes. Runbook: docs/runbooks/alarms.md#unhealthy-hosts`,
      namespace: 'AWS/ApplicationELB',
      metricName: 'UnHealthyHostCount',
      dimensions: tgDims,
      statistic: 'Maximum',
      period: 60,
      evaluationPeriods: 3,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.unhealthyHosts,
      treatMissingData: 'notBreaching',
    });
    this.alarm('p99-response-time', {
      description: `p99 of the time Kong took to answer (to the response headers) above ${t.p99ResponseTimeSeconds} s for 10 minutes. Runbook: docs/runbooks/alarms.md#p99-response-time`,
      namespace: 'AWS/ApplicationELB',
      metricName: 'TargetResponseTime',
      dimensions: tgDims,
      extendedStatistic: 'p99',
      // Too few requests for a meaningful p99 (a quiet dev stage): keep the state as it is.
      evaluateLowSampleCountPercentiles: 'ignore',
      period: 300,
      evaluationPeriods: 2,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.p99ResponseTimeSeconds,
      treatMissingData: 'notBreaching',
    });

    // --- ECS -------------------------------------------------------------------------------
    const ecsDims = { ClusterName: props.kong.cluster.name, ServiceName: props.kong.service.name };
    this.alarm('kong-tasks-below-desired', {
      description:
        'Fewer Kong tasks running than desired for 5 minutes (tasks crash, fail health checks, or cannot start: image pull, secrets, capacity). Missing data alarms too: Container Insights must be on. Runbook: docs/runbooks/alarms.md#kong-tasks-below-desired',
      metricQuery: [
        containerInsights('running', 'RunningTaskCount', ecsDims),
        containerInsights('desired', 'DesiredTaskCount', ecsDims),
        { id: 'missing', expression: 'desired - running', label: 'Tasks missing', returnData: true },
      ],
      comparisonOperator: 'GreaterThanThreshold',
      threshold: 0,
      evaluationPeriods: 5,
      treatMissingData: 'breaching',
    });

    // --- Kong's access log: 401 and 429 ------------------------------------------------------
    const logGroupName = props.kong.accessLogGroup.name;
    this.metricFilter('kong-401', logGroupName, 401, KONG_LOG_METRICS.unauthorized);
    this.metricFilter('kong-429', logGroupName, 429, KONG_LOG_METRICS.rateLimited);
    // Per consumer: one custom metric per consumer that got a 429 (bounded by the stage's consumer
    // list, since only key-auth-authenticated routes are rate-limited).
    this.metricFilter('kong-429-by-consumer', logGroupName, 429, KONG_LOG_METRICS.rateLimitedByConsumer, {
      Consumer: '$.consumer',
    });
    this.alarm('unauthorized-spike', {
      description: `More than ${t.unauthorizedPer5Minutes} requests rejected with 401 in 5 minutes (a client with a revoked or mistyped key, or someone guessing keys). Runbook: docs/runbooks/alarms.md#unauthorized-spike`,
      namespace: this.kongMetricsNamespace,
      metricName: KONG_LOG_METRICS.unauthorized,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.unauthorizedPer5Minutes,
      treatMissingData: 'notBreaching',
    });
    this.alarm('rate-limited-spike', {
      description: `More than ${t.rateLimitedPer5Minutes} requests rejected with 429 by Kong in 5 minutes (a consumer above its limits: see the per-consumer widget). Runbook: docs/runbooks/alarms.md#rate-limited-spike`,
      namespace: this.kongMetricsNamespace,
      metricName: KONG_LOG_METRICS.rateLimited,
      statistic: 'Sum',
      period: 300,
      evaluationPeriods: 1,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: t.rateLimitedPer5Minutes,
      treatMissingData: 'notBreaching',
    });

    // --- RDS -------------------------------------------------------------------------------
    if (props.database) {
      const db = props.database;
      const dbDims = { DBInstanceIdentifier: db.instance.identifier };
      const connections = t.databaseConnections ?? defaultConnectionAlarmThreshold(db.instanceClass);
      this.alarm('database-cpu', {
        description: `Database CPU above ${t.databaseCpuPercent}% for 15 minutes. Runbook: docs/runbooks/alarms.md#database-cpu`,
        ...simple('AWS/RDS', 'CPUUtilization', dbDims, 'Average', 300),
        evaluationPeriods: 3,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: t.databaseCpuPercent,
      });
      this.alarm('database-free-storage', {
        description: `Database free storage below ${t.databaseFreeStorageGiB} GiB. Runbook: docs/runbooks/alarms.md#database-free-storage`,
        ...simple('AWS/RDS', 'FreeStorageSpace', dbDims, 'Minimum', 300),
        evaluationPeriods: 1,
        comparisonOperator: 'LessThanThreshold',
        threshold: t.databaseFreeStorageGiB * GIB,
      });
      this.alarm('database-connections', {
        description: `More than ${connections} database connections for 10 minutes (max_connections nears; each Kong worker keeps its own pool). Runbook: docs/runbooks/alarms.md#database-connections`,
        ...simple('AWS/RDS', 'DatabaseConnections', dbDims, 'Maximum', 300),
        evaluationPeriods: 2,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: connections,
      });
      (db.readReplicas ?? []).forEach((replica, i) => {
        this.alarm(`database-replica-${i}-lag`, {
          description: `Read replica ${i} lags more than ${t.replicaLagSeconds} s behind the primary for 5 minutes. Runbook: docs/runbooks/alarms.md#database-replica-lag`,
          ...simple('AWS/RDS', 'ReplicaLag', { DBInstanceIdentifier: replica.identifier }, 'Maximum', 60),
          evaluationPeriods: 5,
          comparisonOperator: 'GreaterThanThreshold',
          threshold: t.replicaLagSeconds,
        });
      });
    }

    // --- Redis -----------------------------------------------------------------------------
    const nodeIds = props.rateLimitStore ? redisNodeIds(props.rateLimitStore) : [];
    if (nodeIds.length > 0) {
      const across = (name: string, metric: string, stat: string, fn: 'MAX' | 'SUM', label: string) =>
        redisQuery(nodeIds, name, metric, stat, fn, label);
      this.alarm('redis-cpu', {
        description: `Rate-limit store engine CPU above ${t.redisCpuPercent}% on a node for 15 minutes (every limited request is a Redis round trip). Runbook: docs/runbooks/alarms.md#redis-cpu`,
        metricQuery: across('cpu', 'EngineCPUUtilization', 'Average', 'MAX', 'Engine CPU, busiest node'),
        evaluationPeriods: 3,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: t.redisCpuPercent,
      });
      this.alarm('redis-memory', {
        description: `Rate-limit store memory above ${t.redisMemoryPercent}% of maxmemory on a node. Runbook: docs/runbooks/alarms.md#redis-memory`,
        metricQuery: across(
          'mem',
          'DatabaseMemoryUsagePercentage',
          'Maximum',
          'MAX',
          'Memory used %, fullest node',
        ),
        evaluationPeriods: 2,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: t.redisMemoryPercent,
      });
      this.alarm('redis-evictions', {
        description: `More than ${t.redisEvictions} keys evicted in 5 minutes: evicted counters reset consumers' limits. Runbook: docs/runbooks/alarms.md#redis-evictions`,
        metricQuery: across('ev', 'Evictions', 'Sum', 'SUM', 'Evictions, all nodes'),
        evaluationPeriods: 1,
        comparisonOperator: 'GreaterThanThreshold',
        threshold: t.redisEvictions,
        treatMissingData: 'notBreaching',
      });
    }

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: naming.prefix,
      dashboardBody: JSON.stringify(
        dashboardBody({
          region: env.region,
          albDims,
          tgDims,
          ecsDims,
          kongNamespace: this.kongMetricsNamespace,
          dbIdentifier: props.database?.instance.identifier,
          redisNodeIds: nodeIds,
          webAclName: props.edge?.webAclName,
          alarmArns: Object.values(this.alarms).map((a) => a.arn),
        }),
      ),
    });
  }

  private createTopic(env: AwsEnvironment, deletionWindowDays: number): SnsTopic {
    // CloudWatch must be able to use the key, or alarms on an encrypted topic fail to publish
    // without any error (the AWS-managed aws/sns key does not allow it).
    const keyPolicy = new DataAwsIamPolicyDocument(this, 'topic-key-policy', {
      statement: [
        {
          sid: 'AccountAdministration',
          principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
          actions: ['kms:*'],
          resources: ['*'],
        },
        {
          sid: 'CloudWatchAlarmsPublish',
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
          resources: ['*'],
        },
      ],
    });
    skipKmsKeyPolicyChecks(keyPolicy);
    const key = customerManagedKey(this, {
      id: 'topic-key',
      description: `Alarm topic encryption for ${this.naming.prefix}`,
      aliasName: this.naming.name('alarms'),
      deletionWindowDays: deletionWindowDays,
      policyJson: keyPolicy.json,
    });
    const topic = new SnsTopic(this, 'topic', { name: this.naming.name('alarms'), kmsMasterKeyId: key.arn });
    const topicPolicy = new DataAwsIamPolicyDocument(this, 'topic-policy', {
      statement: [
        {
          sid: 'CloudWatchAlarmsOfThisAccount',
          principals: [{ type: 'Service', identifiers: ['cloudwatch.amazonaws.com'] }],
          actions: ['sns:Publish'],
          resources: [topic.arn],
          condition: [{ test: 'StringEquals', variable: 'aws:SourceAccount', values: [env.accountId] }],
        },
        {
          sid: 'AccountManagesTopic',
          principals: [{ type: 'AWS', identifiers: [env.rootPrincipal] }],
          actions: [
            'sns:GetTopicAttributes',
            'sns:SetTopicAttributes',
            'sns:Subscribe',
            'sns:ListSubscriptionsByTopic',
            'sns:Publish',
          ],
          resources: [topic.arn],
        },
        {
          sid: 'DenyInsecureTransport',
          effect: 'Deny',
          principals: [{ type: 'AWS', identifiers: ['*'] }],
          actions: ['sns:Publish'],
          resources: [topic.arn],
          condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
        },
      ],
    });
    new SnsTopicPolicy(this, 'topic-access', { arn: topic.arn, policy: topicPolicy.json });
    return topic;
  }

  private alarm(
    id: string,
    config: Omit<
      CloudwatchMetricAlarmConfig,
      'alarmName' | 'alarmDescription' | 'alarmActions' | 'okActions'
    > & {
      description: string;
    },
  ): CloudwatchMetricAlarm {
    const { description, ...rest } = config;
    const alarm = new CloudwatchMetricAlarm(this, id, {
      alarmName: this.naming.name(id),
      alarmDescription: description,
      alarmActions: [this.alarmTopicArn],
      okActions: [this.alarmTopicArn],
      treatMissingData: 'missing',
      ...rest,
    });
    this.alarms[id] = alarm;
    return alarm;
  }

  private metricFilter(
    id: string,
    logGroupName: string,
    status: number,
    metricName: string,
    dimensions?: Record<string, string>,
  ): void {
    new CloudwatchLogMetricFilter(this, id, {
      name: this.naming.name(id),
      logGroupName,
      pattern: `{ $.status = ${status} }`,
      metricTransformation: {
        namespace: this.kongMetricsNamespace,
        name: metricName,
        value: '1',
        unit: 'Count',
        // A default value publishes 0 when nothing matches, so the alarms see a flat line rather
        // than gaps; CloudWatch does not allow one together with dimensions.
        ...(dimensions ? { dimensions } : { defaultValue: '0' }),
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function simple(
  namespace: string,
  metricName: string,
  dimensions: Record<string, string>,
  statistic: string,
  period: number,
) {
  return { namespace, metricName, dimensions, statistic, period };
}

/** `100 * numerator / RequestCount`, only for minutes with enough requests. */
function rateQuery(
  numerator: string,
  numeratorDims: Record<string, string>,
  requestDims: Record<string, string>,
): { metricQuery: CloudwatchMetricAlarmMetricQuery[] } {
  const metric = (id: string, metricName: string, dimensions: Record<string, string>) => ({
    id,
    returnData: false,
    metric: { namespace: 'AWS/ApplicationELB', metricName, dimensions, stat: 'Sum', period: 60 },
  });
  return {
    metricQuery: [
      metric('errors', numerator, numeratorDims),
      metric('requests', 'RequestCount', requestDims),
      {
        id: 'rate',
        expression: `IF(requests >= ${MIN_REQUESTS_FOR_RATE}, 100 * FILL(errors, 0) / requests, 0)`,
        label: `${numerator} per 100 requests`,
        returnData: true,
      },
    ],
  };
}

function containerInsights(
  id: string,
  metricName: string,
  dimensions: Record<string, string>,
): CloudwatchMetricAlarmMetricQuery {
  return {
    id,
    returnData: false,
    metric: { namespace: 'ECS/ContainerInsights', metricName, dimensions, stat: 'Average', period: 60 },
  };
}

function redisNodeIds(store: RateLimitStoreMetricsSource): string[] {
  if (!Number.isInteger(store.nodeCount) || store.nodeCount < 1 || store.nodeCount > 6) {
    throw new Error(
      `Observability: rateLimitStore.nodeCount is ${store.nodeCount}; expected 1..6 (primary + 0..5 replicas)`,
    );
  }
  const id = store.replicationGroup.replicationGroupId;
  return Array.from({ length: store.nodeCount }, (_, i) => `${id}-${String(i + 1).padStart(3, '0')}`);
}

function redisQuery(
  nodeIds: readonly string[],
  prefix: string,
  metricName: string,
  stat: string,
  fn: 'MAX' | 'SUM',
  label: string,
): CloudwatchMetricAlarmMetricQuery[] {
  const ids = nodeIds.map((_, i) => `${prefix}${i}`);
  return [
    ...nodeIds.map((node, i) => ({
      id: ids[i]!,
      returnData: false,
      metric: {
        namespace: 'AWS/ElastiCache',
        metricName,
        dimensions: { CacheClusterId: node },
        stat,
        period: 300,
      },
    })),
    { id: `${prefix}all`, expression: `${fn}([${ids.join(', ')}])`, label, returnData: true },
  ];
}

/**
 * Memory (GiB) of the RDS instance classes this project uses, by size; families t (burstable),
 * m (general purpose, 4 GiB per vCPU) and r (memory optimized, 8 GiB per vCPU).
 */
const MEMORY_GIB_BY_SIZE: Record<string, Record<string, number>> = {
  t: { micro: 1, small: 2, medium: 4, large: 8, xlarge: 16, '2xlarge': 32 },
  m: { large: 8, xlarge: 16, '2xlarge': 32, '4xlarge': 64, '8xlarge': 128, '12xlarge': 192, '16xlarge': 256 },
  r: {
    large: 16,
    xlarge: 32,
    '2xlarge': 64,
    '4xlarge': 128,
    '8xlarge': 256,
    '12xlarge': 384,
    '16xlarge': 512,
  },
};

/**
 * 80 % of RDS PostgreSQL's default `max_connections`, LEAST(DBInstanceClassMemory / 9531392, 5000),
 * where DBInstanceClassMemory is the class's memory less what RDS reserves (~300 MiB).
 */
export function defaultConnectionAlarmThreshold(instanceClass: string): number {
  const m = /^db\.([a-z])[a-z0-9-]*\.([a-z0-9]+)$/.exec(instanceClass);
  const gib = m ? MEMORY_GIB_BY_SIZE[m[1]!]?.[m[2]!] : undefined;
  if (gib === undefined) {
    throw new Error(
      `Observability: cannot derive a connection alarm threshold for instance class "${instanceClass}"; set alarms.thresholds.databaseConnections in the stage settings`,
    );
  }
  const maxConnections = Math.min(Math.floor((gib * GIB - 300 * 1024 ** 2) / 9531392), 5000);
  return Math.floor(maxConnections * 0.8);
}

// ---------------------------------------------------------------------------------------------
// Dashboard
// ---------------------------------------------------------------------------------------------

interface DashboardInputs {
  region: string;
  albDims: Record<string, string>;
  tgDims: Record<string, string>;
  ecsDims: Record<string, string>;
  kongNamespace: string;
  dbIdentifier?: string;
  redisNodeIds: readonly string[];
  webAclName?: string;
  alarmArns: string[];
}

type MetricLine = (string | Record<string, unknown>)[];

function m(
  namespace: string,
  name: string,
  dims: Record<string, string>,
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
      m(d.kongNamespace, KONG_LOG_METRICS.unauthorized, {}, { stat: 'Sum', label: '401 unauthorized' }),
      m(d.kongNamespace, KONG_LOG_METRICS.rateLimited, {}, { stat: 'Sum', label: '429 rate limited' }),
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
      m('AWS/ApplicationELB', 'TargetResponseTime', d.tgDims, { stat: 'p50', label: 'p50' }),
      m('AWS/ApplicationELB', 'TargetResponseTime', d.tgDims, { stat: 'p90', label: 'p90' }),
      m('AWS/ApplicationELB', 'TargetResponseTime', d.tgDims, { stat: 'p99', label: 'p99' }),
    ]),
    metricWidget('Kong tasks and targets', [
      m('ECS/ContainerInsights', 'DesiredTaskCount', d.ecsDims, { stat: 'Average', label: 'desired' }),
      m('ECS/ContainerInsights', 'RunningTaskCount', d.ecsDims, { stat: 'Average', label: 'running' }),
      m('ECS/ContainerInsights', 'PendingTaskCount', d.ecsDims, { stat: 'Average', label: 'pending' }),
      m('AWS/ApplicationELB', 'HealthyHostCount', d.tgDims, { stat: 'Minimum', label: 'healthy targets' }),
      m('AWS/ApplicationELB', 'UnHealthyHostCount', d.tgDims, {
        stat: 'Maximum',
        label: 'unhealthy targets',
      }),
    ]),
    metricWidget('Kong CPU and memory (% of task size)', [
      m('AWS/ECS', 'CPUUtilization', d.ecsDims, { stat: 'Average', label: 'CPU avg' }),
      m('AWS/ECS', 'CPUUtilization', d.ecsDims, { stat: 'Maximum', label: 'CPU max' }),
      m('AWS/ECS', 'MemoryUtilization', d.ecsDims, { stat: 'Maximum', label: 'memory max' }),
    ]),
  ];
  if (d.dbIdentifier !== undefined) {
    const db = { DBInstanceIdentifier: d.dbIdentifier };
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
        m('AWS/WAFV2', 'AllowedRequests', waf, { stat: 'Sum', label: 'allowed' }),
        m('AWS/WAFV2', 'BlockedRequests', waf, { stat: 'Sum', label: 'blocked' }),
        m('AWS/WAFV2', 'CountedRequests', waf, { stat: 'Sum', label: 'counted (not blocked)' }),
      ]),
    );
  }
  widgets.push({
    type: 'alarm',
    properties: { title: 'Alarms', alarms: d.alarmArns, sortBy: 'stateUpdatedTimestamp' },
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
