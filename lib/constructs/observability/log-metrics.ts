/**
 * The metrics published from Kong's task log group by metric filters: 401 and 429 from Kong's JSON
 * access log (ADR 0013), and two failure lines, config-sync giving up and Kong failing to reach
 * Redis. Pure data: the alarms and the dashboard both read it.
 */
import { CONFIG_SYNC_FAILED_LINE, KONG_REDIS_CONNECT_FAILED_LINE } from '../../contracts/log-lines';
import { KONG_LOG_FILTER_PATTERNS } from '../kong/kong-access-log';

/** The metric names published from Kong's task log group. */
export const KONG_LOG_METRICS = {
  unauthorized: 'Unauthorized',
  rateLimited: 'RateLimited',
  rateLimitedByConsumer: 'RateLimitedByConsumer',
  keyGuardThrottled: 'KeyGuardThrottled',
  configSyncFailed: 'ConfigSyncFailed',
  redisConnectionErrors: 'RedisConnectionErrors',
} as const;

/** One metric filter on Kong's task log group. */
export interface KongLogFilter {
  /** Construct ID; the filter is named `<stage prefix>-<id>`. */
  readonly id: string;
  /** CloudWatch Logs filter pattern. */
  readonly pattern: string;
  /** Metric name in the stage's namespace. */
  readonly metricName: string;
  /**
   * Dimensions taken from the matched JSON line (no default value is allowed with them).
   * @default none, and the metric publishes 0 when no line matches
   */
  readonly dimensions?: Readonly<Record<string, string>>;
}

/** Lines of the JSON access log with this numeric status. */
export function statusPattern(status: number): string {
  return `{ $.status = ${status} }`;
}

/**
 * Lines containing `text` verbatim. A quoted term matches the exact phrase (case-sensitive), so
 * `config-sync: attempt 2 failed` does not match `config-sync: FAILED`.
 */
export function phrasePattern(text: string): string {
  if (/["\\]/.test(text)) throw new Error(`phrasePattern: "${text}" holds a quote or backslash`);
  return `"${text}"`;
}

/** The filters every stage has. */
export const KONG_LOG_FILTERS: readonly KongLogFilter[] = [
  { id: 'kong-401', pattern: statusPattern(401), metricName: KONG_LOG_METRICS.unauthorized },
  { id: 'kong-429', pattern: statusPattern(429), metricName: KONG_LOG_METRICS.rateLimited },
  // One custom metric per consumer that got a 429 (bounded by the stage's consumer list, since
  // only key-auth-authenticated routes are rate-limited; the key guard is no consumer).
  {
    id: 'kong-429-by-consumer',
    pattern: KONG_LOG_FILTER_PATTERNS.rateLimitedByConsumer,
    metricName: KONG_LOG_METRICS.rateLimitedByConsumer,
    dimensions: { Consumer: '$.consumer' },
  },
  // The key guard's 429s: one address over rateLimiting.failedAuthenticationsPerMinute.
  {
    id: 'kong-429-key-guard',
    pattern: KONG_LOG_FILTER_PATTERNS.keyGuardThrottled,
    metricName: KONG_LOG_METRICS.keyGuardThrottled,
  },
  {
    id: 'kong-config-sync-failed',
    pattern: phrasePattern(CONFIG_SYNC_FAILED_LINE),
    metricName: KONG_LOG_METRICS.configSyncFailed,
  },
];

/** The filter of stages whose rate limits live in Redis. */
export const REDIS_CONNECTION_ERRORS_FILTER: KongLogFilter = {
  id: 'kong-redis-connection-errors',
  pattern: phrasePattern(`[rate-limiting] ${KONG_REDIS_CONNECT_FAILED_LINE}`),
  metricName: KONG_LOG_METRICS.redisConnectionErrors,
};
