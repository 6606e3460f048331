import { HOST, PORT, TIMEOUT, type FieldSpec } from './field-schema';
import type { Json } from './model';
import { pluginSchemaRule } from './plugin-rule';

/** Periods in the order Kong compares them (ORDERED_PERIODS). */
export const ORDERED_PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;
const SYNC_RATE_REALTIME = -1;

/** kong/tools/redis/schema.lua `config_schema` (the shared `redis` record of 3.6+). */
const REDIS_RECORD: FieldSpec = {
  type: 'record',
  fields: {
    host: HOST,
    port: PORT,
    timeout: TIMEOUT,
    username: { type: 'string', referenceable: true },
    password: { type: 'string', referenceable: true, lenMin: 0 },
    database: { type: 'integer' },
    ssl: { type: 'boolean' },
    ssl_verify: { type: 'boolean' },
    server_name: HOST, // typedefs.sni
  },
};

const period: FieldSpec = { type: 'number', gt: 0 };

/** `validate_periods_order` and the `entity_checks` of the rate-limiting schema. */
function rateLimitingChecks(config: Json): string[] {
  const problems: string[] = [];
  const set = ORDERED_PERIODS.filter((p) => typeof config[p] === 'number');
  if (set.length === 0) problems.push('at least one of second, minute, hour, day, month, year must be set');
  ORDERED_PERIODS.forEach((lower, i) => {
    const v1 = config[lower];
    if (typeof v1 !== 'number') return;
    for (const upper of ORDERED_PERIODS.slice(i + 1)) {
      const v2 = config[upper];
      if (typeof v2 === 'number' && v2 < v1) {
        problems.push(
          `The limit for ${upper}(${v2.toFixed(1)}) cannot be lower than the limit for ${lower}(${v1.toFixed(1)})`,
        );
      }
    }
  });
  const policy = config.policy ?? 'local';
  const syncRate = config.sync_rate ?? SYNC_RATE_REALTIME;
  if (policy !== 'redis' && syncRate !== SYNC_RATE_REALTIME) {
    problems.push('sync_rate can only be used with the redis policy');
  }
  if (policy === 'redis') {
    if (syncRate !== SYNC_RATE_REALTIME && syncRate < 0.02)
      problems.push('sync_rate must be greater than 0.02, or -1 to disable');
    for (const f of ['host', 'port']) {
      if (config.redis?.[f] === undefined || config.redis?.[f] === null)
        problems.push(`redis.${f}: required with the redis policy`);
    }
  }
  if (config.limit_by === 'header' && !config.header_name)
    problems.push('header_name: required when limit_by is header');
  if (config.limit_by === 'path' && !config.path) problems.push('path: required when limit_by is path');
  return problems;
}

/**
 * rate-limiting's config as Kong 3.9.3 defines it: kong/plugins/rate-limiting/schema.lua (periods
 * `number, gt = 0`, `validate_periods_order` incl. the sync_rate rules, `limit_by` and `policy`
 * one_of, the `redis` record from kong/tools/redis/schema.lua, the `entity_checks`).
 */
export const rateLimitingSchema = pluginSchemaRule({
  id: 'kong/rate-limiting-schema',
  plugin: 'rate-limiting',
  description: "rate-limiting's fields, the period-ordering rule, sync_rate and redis requirements",
  source: 'Kong 3.9.3 kong/plugins/rate-limiting/schema.lua; kong/tools/redis/schema.lua',
  configFields: {
    second: period,
    minute: period,
    hour: period,
    day: period,
    month: period,
    year: period,
    limit_by: { type: 'string', oneOf: ['consumer', 'credential', 'ip', 'service', 'header', 'path'] },
    header_name: { type: 'string', pattern: /^[A-Za-z0-9_-]+$/ },
    path: { type: 'string', startsWith: '/' },
    policy: { type: 'string', oneOf: ['local', 'cluster', 'redis'] },
    fault_tolerant: { type: 'boolean' },
    redis: REDIS_RECORD,
    hide_client_headers: { type: 'boolean' },
    error_code: { type: 'number', gt: 0 },
    error_message: { type: 'string' },
    sync_rate: { type: 'number' },
  },
  configChecks: rateLimitingChecks,
});
