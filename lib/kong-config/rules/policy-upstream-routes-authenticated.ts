import { effectivePlugin, type KongRule, upstreamRoutes } from './model';
import { keyGuardProblems } from './policy-key-guard';

/** Every route that hands requests to an upstream runs key-auth (on the route, its service, or globally). */
export const upstreamRoutesAuthenticated: KongRule = {
  id: 'policy/upstream-routes-authenticated',
  description:
    'every route that reaches an upstream has key-auth; its anonymous fallback, if any, is a key guard',
  source: 'our policy: the upstream is never reachable without a consumer key (issue 5)',
  check(model) {
    return upstreamRoutes(model).flatMap((r) => {
      const auth = effectivePlugin(model, r, 'key-auth');
      if (!auth || auth.raw?.enabled === false)
        return [`${r.where} (${r.name}): reaches "${r.service}" without key-auth`];
      if (auth.config?.anonymous && keyGuardProblems(model, auth).length > 0)
        return [
          `${auth.where}: anonymous consumer lets unauthenticated requests through (not a key guard: see policy/key-guard)`,
        ];
      return [];
    });
  },
};
