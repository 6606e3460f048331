import type { KongRule } from './model';

/**
 * Kong keeps one instance of a plugin per scope: kong/db/schema/entities/plugins.lua declares
 * `cache_key = { "name", "route", "service", "consumer", ... }` (unique), so a second instance of
 * the same plugin on the same route/service/consumer is rejected.
 */
export const pluginScopeUnique: KongRule = {
  id: 'kong/plugin-scope-unique',
  description: 'at most one instance of a plugin per (route, service, consumer) scope',
  source: 'Kong 3.9.3 kong/db/schema/entities/plugins.lua (cache_key)',
  check(model) {
    const seen = new Map<string, string>();
    const problems: string[] = [];
    for (const p of model.plugins) {
      const key = JSON.stringify([
        p.name,
        p.scope.route ?? null,
        p.scope.service ?? null,
        p.scope.consumer ?? null,
      ]);
      const first = seen.get(key);
      if (first) problems.push(`${p.where}: a second ${p.name} instance on the scope of ${first}`);
      else seen.set(key, p.where);
    }
    return problems;
  },
};
