import { Construct } from 'constructs';
import { CloudwatchDashboard } from '@cdktf/provider-aws/lib/cloudwatch-dashboard';
import type { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import type { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import type { AwsEnvironment } from '../shared/aws-environment';
import type { Naming } from '../../contracts/naming';
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
  type DatabaseMetricsSource,
  type KongServiceMetricsSource,
  type LoadBalancerMetricsSource,
  type RateLimitStoreMetricsSource,
} from './alarms';
import { createAlarmTopic } from './alarm-topic';
import { dashboardBody } from './dashboard';
import { KONG_LOG_FILTERS, REDIS_CONNECTION_ERRORS_FILTER } from './log-metrics';
import { resolveThresholds, type AlarmThresholds } from './thresholds';

export type {
  DatabaseMetricsSource,
  KongServiceMetricsSource,
  LoadBalancerMetricsSource,
  RateLimitStoreMetricsSource,
} from './alarms';

/** Kong's service and the log group every container of its task writes to. */
export interface KongMetricsSource extends KongServiceMetricsSource {
  /**
   * The task's log group: Kong's JSON access log (its environment must include
   * `KONG_ACCESS_LOG_ENVIRONMENT` of `../kong/kong-access-log`), its error log and config-sync's
   * output.
   */
  readonly logGroup: { readonly name: string };
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
   * @default {@link DEFAULT_ALARM_THRESHOLDS} of `./thresholds`
   */
  readonly thresholds?: Partial<AlarmThresholds>;
  /** The load balancer (its ALB and target-group metric dimensions). */
  readonly loadBalancer: LoadBalancerMetricsSource;
  /** Kong's service and its task's log group. */
  readonly kong: KongMetricsSource;
  /**
   * Kong's database.
   * @default no database alarms or widgets
   */
  readonly database?: DatabaseMetricsSource;
  /**
   * The Redis rate-limit store, when the stage uses the `redis` policy; also turns on the alarm on
   * Kong's `failed to connect to Redis` line.
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

/**
 * Metrics, alarms and the dashboard of a stage: an alarm topic (`./alarm-topic`), CloudWatch alarms
 * on the ALB, Kong's ECS service, RDS, Redis and Kong's log (`./alarms`), and one dashboard
 * (`./dashboard`). 401 and 429 are counted by metric filters on Kong's JSON access log (ADR 0013):
 * ALB metrics stop at the 4XX class. Every input is a handle the watched construct exposes.
 */
export class Observability extends Construct {
  /** ARN of the topic every alarm notifies (created here or given). */
  readonly alarmTopicArn: string;
  /** The topic, when this construct created it. */
  readonly alarmTopic?: SnsTopic;
  /** Every alarm, by its construct id. */
  readonly alarms: Record<string, CloudwatchMetricAlarm>;
  /** The stage's dashboard. */
  readonly dashboard: CloudwatchDashboard;
  /** Namespace of the metrics published from Kong's log: `kong-gateway/<stage>`. */
  readonly kongMetricsNamespace: string;
  /** The thresholds in force. */
  readonly thresholds: AlarmThresholds;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    const { naming, environment: env } = props;
    this.thresholds = resolveThresholds(props.thresholds);
    this.kongMetricsNamespace = `kong-gateway/${naming.stage}`;
    const t = this.thresholds;
    const namespace = this.kongMetricsNamespace;

    if (props.alarmTopicArn !== undefined && (props.alarmEmails?.length ?? 0) > 0) {
      throw new Error(
        'Observability: alarmEmails must be empty when alarmTopicArn is given; subscribe the addresses to that topic instead',
      );
    }
    if (props.alarmTopicArn !== undefined) {
      this.alarmTopicArn = props.alarmTopicArn;
    } else {
      this.alarmTopic = createAlarmTopic(this, {
        naming,
        environment: env,
        emails: props.alarmEmails ?? [],
        keyDeletionWindowDays: props.keyDeletionWindowDays ?? 30,
      });
      this.alarmTopicArn = this.alarmTopic.arn;
    }

    const alarms = new AlarmSet(this, naming, this.alarmTopicArn);
    this.alarms = alarms.byId;
    loadBalancerAlarms(alarms, props.loadBalancer, t);
    kongServiceAlarms(alarms, props.kong);
    kongLogFilters(this, naming, props.kong.logGroup.name, namespace, [
      ...KONG_LOG_FILTERS,
      ...(props.rateLimitStore ? [REDIS_CONNECTION_ERRORS_FILTER] : []),
    ]);
    kongAccessLogAlarms(alarms, namespace, t);
    if (props.database) databaseAlarms(alarms, props.database, t);
    if (props.rateLimitStore) rateLimitStoreAlarms(alarms, props.rateLimitStore, t);
    configSyncAlarm(alarms, namespace);
    if (props.rateLimitStore) redisConnectionAlarm(alarms, namespace, t);

    this.dashboard = new CloudwatchDashboard(this, 'dashboard', {
      dashboardName: naming.prefix,
      dashboardBody: JSON.stringify(
        dashboardBody({
          region: env.region,
          albDims: props.loadBalancer.metricDimensions,
          tgDims: props.loadBalancer.targetGroupMetricDimensions,
          ecsDims: props.kong.metricDimensions,
          kongNamespace: namespace,
          ...(props.database ? { dbDims: props.database.metricDimensions } : {}),
          redisNodeIds: props.rateLimitStore?.memberClusterIds ?? [],
          ...(props.edge ? { webAclName: props.edge.webAclName } : {}),
          alarmArns: alarms.arns,
        }),
      ),
    });
  }
}
