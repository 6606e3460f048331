/**
 * What an RDS PostgreSQL instance class can hold, for the connection alarm's default threshold.
 * Pure data and arithmetic.
 */

const GIB = 1024 ** 3;

/**
 * Memory (GiB) of the RDS instance classes this project uses, by size; families t (burstable),
 * m (general purpose, 4 GiB per vCPU) and r (memory optimized, 8 GiB per vCPU).
 */
export const MEMORY_GIB_BY_SIZE: Readonly<Record<string, Readonly<Record<string, number>>>> = {
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

/** Share of `max_connections` the connection alarm fires at. */
export const CONNECTION_ALARM_SHARE = 0.8;

/**
 * RDS PostgreSQL's default `max_connections`, LEAST(DBInstanceClassMemory / 9531392, 5000), where
 * DBInstanceClassMemory is the class's memory less what RDS reserves (~300 MiB).
 */
export function defaultMaxConnections(instanceClass: string): number {
  const m = /^db\.([a-z])[a-z0-9-]*\.([a-z0-9]+)$/.exec(instanceClass);
  const gib = m ? MEMORY_GIB_BY_SIZE[m[1]!]?.[m[2]!] : undefined;
  if (gib === undefined) {
    throw new Error(
      `Observability: cannot derive a connection alarm threshold for instance class "${instanceClass}"; set alarms.thresholds.databaseConnections in the stage settings`,
    );
  }
  return Math.min(Math.floor((gib * GIB - 300 * 1024 ** 2) / 9531392), 5000);
}

/** 80 % of the class's default `max_connections`. */
export function defaultConnectionAlarmThreshold(instanceClass: string): number {
  return Math.floor(defaultMaxConnections(instanceClass) * CONNECTION_ALARM_SHARE);
}
