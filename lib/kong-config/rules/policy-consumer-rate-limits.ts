import { anonymousConsumers, type KongRule } from './model';
import { ORDERED_PERIODS } from './kong-plugin-rate-limiting';

/**
 * Each consumer has its own rate-limiting instance counting per consumer, with positive whole
 * limits, the headers left visible (RateLimit-*, Retry-After on 429) and a 429 status. The key
 * guard (key-auth's anonymous consumer) is no caller: policy/key-guard checks it.
 */
export const consumerRateLimits: KongRule = {
  id: 'policy/consumer-rate-limits',
  description:
    'one consumer-scoped rate-limiting per consumer: limit_by consumer, positive integer limits, headers visible, 429',
  source: 'our policy: per-consumer cost control for LLM calls (docs/adr/0007)',
  check(model) {
    const problems: string[] = [];
    const guards = anonymousConsumers(model);
    for (const c of model.consumers.filter((x) => !guards.has(x))) {
      const own = model.plugins.filter((p) => p.name === 'rate-limiting' && p.scope.consumer === c.ref);
      if (own.length === 0) problems.push(`${c.where}: consumer "${c.username}" has no rate-limiting plugin`);
      for (const p of own) {
        const cfg = p.config ?? {};
        if (cfg.limit_by !== 'consumer') problems.push(`${p.where}.config.limit_by: must be "consumer"`);
        if (cfg.hide_client_headers !== false)
          problems.push(`${p.where}.config.hide_client_headers: must be false`);
        if (cfg.error_code !== undefined && cfg.error_code !== 429)
          problems.push(`${p.where}.config.error_code: must be 429`);
        const periods = ORDERED_PERIODS.filter((k) => cfg[k] !== undefined && cfg[k] !== null);
        if (periods.length === 0) problems.push(`${p.where}.config: no limit set`);
        for (const k of periods) {
          if (!Number.isInteger(cfg[k]) || cfg[k] <= 0)
            problems.push(`${p.where}.config.${k}: ${JSON.stringify(cfg[k])} is not a positive integer`);
        }
      }
    }
    return problems;
  },
};
