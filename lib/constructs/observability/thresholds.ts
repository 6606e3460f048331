/**
 * The alarm thresholds and their defaults. The observability construct owns them (it knows what
 * each alarm measures and over which window); the stage schema (`lib/settings/stage-settings.ts`)
 * builds `alarms.thresholds` from {@link DEFAULT_ALARM_THRESHOLDS} and only adds the bounds a
 * stage file must respect.
 *
 * Plain constants and types only: the schema loads this module, and a provider import here would
 * cost every test file that reads settings seconds of load time.
 */

/** What each alarm fires on; the alarms in `./alarms.ts` document their evaluation windows. */
export interface AlarmThresholds {
  /** ALB-generated 5xx as a percentage of requests (3 of 5 one-minute periods). */
  readonly alb5xxPercent: number;
  /** Target (Kong) 5xx as a percentage of requests (3 of 5 one-minute periods). */
  readonly target5xxPercent: number;
  /**
   * p99 of the ALB's TargetResponseTime in seconds (time to the response headers). LLM calls
   * without streaming take tens of seconds, so the default is generous.
   */
  readonly p99ResponseTimeSeconds: number;
  /** Unhealthy targets tolerated (alarm when above, for 3 minutes). */
  readonly unhealthyHosts: number;
  /** RDS CPU percent, average over 15 minutes. */
  readonly databaseCpuPercent: number;
  /** RDS free storage floor in GiB. */
  readonly databaseFreeStorageGiB: number;
  /**
   * RDS connections ceiling.
   * @default 80 % of PostgreSQL's default max_connections for the instance class (`./rds-capacity.ts`)
   */
  readonly databaseConnections?: number;
  /** Read replica lag in seconds (only where a replica exists). */
  readonly replicaLagSeconds: number;
  /** 401 responses from Kong per 5 minutes (a key leak, a broken client, or a key-guessing run). */
  readonly unauthorizedPer5Minutes: number;
  /** 429 responses from Kong per 5 minutes (a consumer hitting its limits). */
  readonly rateLimitedPer5Minutes: number;
  /** ElastiCache engine CPU percent. */
  readonly redisCpuPercent: number;
  /** ElastiCache memory used, percent of maxmemory. */
  readonly redisMemoryPercent: number;
  /** Evicted keys per 5 minutes (evicted counters reset limits). */
  readonly redisEvictions: number;
  /**
   * Kong log lines `[rate-limiting] failed to connect to Redis` per 5 minutes. With
   * `fault_tolerant: false` each one is an authenticated request answered 500 (ADR 0007).
   */
  readonly redisConnectionErrorsPer5Minutes: number;
}

/** The thresholds with a fixed default (all but `databaseConnections`, derived from the class). */
export type DefaultedAlarmThresholds = Readonly<Required<Omit<AlarmThresholds, 'databaseConnections'>>>;

/** The thresholds an empty `alarms.thresholds` section yields. */
export const DEFAULT_ALARM_THRESHOLDS: DefaultedAlarmThresholds = Object.freeze({
  alb5xxPercent: 1,
  target5xxPercent: 5,
  p99ResponseTimeSeconds: 60,
  unhealthyHosts: 0,
  databaseCpuPercent: 80,
  databaseFreeStorageGiB: 5,
  replicaLagSeconds: 60,
  unauthorizedPer5Minutes: 500,
  rateLimitedPer5Minutes: 500,
  redisCpuPercent: 75,
  redisMemoryPercent: 80,
  redisEvictions: 0,
  redisConnectionErrorsPer5Minutes: 0,
});

/** The defaults overlaid with the given values; `undefined` values keep the default. */
export function resolveThresholds(overrides: Partial<AlarmThresholds> = {}): AlarmThresholds {
  const given = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_ALARM_THRESHOLDS, ...given };
}
