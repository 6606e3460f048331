import { ORDERED_PERIODS } from './kong-plugin-rate-limiting';
import {
  anonymousConsumer,
  effectivePlugin,
  type DeckModel,
  type KongRule,
  type PluginInstance,
} from './model';

/** The access-phase Lua of a serverless plugin instance, joined. */
export function accessCode(p: PluginInstance | undefined): string {
  const access = p?.config?.access;
  return Array.isArray(access) ? access.join('\n') : '';
}

/**
 * What makes a key-auth `anonymous` consumer a key guard rather than a way in: it exists, has no
 * key and no username (so it logs as no consumer), is rate-limited per client IP with hidden
 * headers, fails open (a keyless request still gets 401 while the counter store is down), counts
 * where the consumers count (shared across tasks), and a post-function on the same routes answers
 * it 401 (so it never reaches the upstream).
 */
export function keyGuardProblems(model: DeckModel, keyAuth: PluginInstance): string[] {
  const anonymous = keyAuth.config?.anonymous;
  if (anonymous === undefined || anonymous === null || anonymous === '') return [];
  const at = `${keyAuth.where}.config.anonymous`;
  const guard = anonymousConsumer(model, anonymous);
  if (!guard) return [`${at}: names no consumer of this file`];
  const problems: string[] = [];
  if (guard.username !== undefined)
    problems.push(`${guard.where}.username: the key guard must have none (it would log as a consumer)`);
  if (((guard.raw?.keyauth_credentials ?? []) as unknown[]).length > 0)
    problems.push(`${guard.where}.keyauth_credentials: the key guard must have no key`);
  const limiters = model.plugins.filter((p) => p.name === 'rate-limiting' && p.scope.consumer === guard.ref);
  if (limiters.length !== 1) problems.push(`${guard.where}: the key guard needs exactly one rate-limiting`);
  const consumerPolicies = new Set(
    model.plugins
      .filter(
        (p) => p.name === 'rate-limiting' && p.scope.consumer !== undefined && p.scope.consumer !== guard.ref,
      )
      .map((p) => p.config?.policy ?? 'local'),
  );
  for (const rl of limiters) {
    const c = rl.config ?? {};
    if (c.limit_by !== 'ip') problems.push(`${rl.where}.config.limit_by: must be "ip" (per client)`);
    if (c.hide_client_headers !== true)
      problems.push(`${rl.where}.config.hide_client_headers: must be true (no RateLimit headers on 401s)`);
    if (c.fault_tolerant !== true)
      problems.push(
        `${rl.where}.config.fault_tolerant: must be true (401, not 500, while the store is down)`,
      );
    if (c.error_code !== 429) problems.push(`${rl.where}.config.error_code: must be 429`);
    for (const policy of consumerPolicies) {
      if ((c.policy ?? 'local') !== policy)
        problems.push(
          `${rl.where}.config.policy: must be "${policy}" like the consumers' (one count for the fleet)`,
        );
    }
    const periods = ORDERED_PERIODS.filter((k) => c[k] !== undefined && c[k] !== null);
    if (periods.length === 0) problems.push(`${rl.where}.config: no limit set`);
    for (const k of periods) {
      if (!Number.isInteger(c[k]) || c[k] <= 0)
        problems.push(`${rl.where}.config.${k}: ${JSON.stringify(c[k])} is not a positive integer`);
    }
  }
  for (const route of model.routes.filter(
    (r) =>
      effectivePlugin(model, r, 'key-auth') === keyAuth &&
      effectivePlugin(model, r, 'request-termination') === undefined,
  )) {
    const code = accessCode(effectivePlugin(model, route, 'post-function'));
    if (!code.includes(String(guard.raw?.id ?? anonymous)) || !code.includes('kong.response.error(401'))
      problems.push(`${route.where} (${route.name}): no post-function answers the key guard with 401`);
  }
  return problems;
}

/** Every key-auth `anonymous` consumer is a key guard (see {@link keyGuardProblems}). */
export const keyGuard: KongRule = {
  id: 'policy/key-guard',
  description:
    'key-auth anonymous = a keyless, nameless guard consumer, rate-limited per IP (hidden headers, fail-open, shared policy), answered 401',
  source: 'our policy: failed authentications are throttled per client inside Kong (issue 14)',
  check(model) {
    return model.plugins.filter((p) => p.name === 'key-auth').flatMap((p) => keyGuardProblems(model, p));
  },
};
