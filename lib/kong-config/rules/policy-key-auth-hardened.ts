import type { KongRule } from './model';

/**
 * key-auth reads keys from headers only and strips them before proxying. Kong's defaults are the
 * opposite (`key_in_query` true, `hide_credentials` false), so each must be set explicitly.
 */
export const keyAuthHardened: KongRule = {
  id: 'policy/key-auth-hardened',
  description: 'key-auth: key_in_query false, key_in_body false, hide_credentials true, explicit key_names',
  source: 'our policy: query strings land in access logs; upstreams must never see client keys',
  check(model) {
    return model.plugins
      .filter((p) => p.name === 'key-auth')
      .flatMap((p) => {
        const c = p.config ?? {};
        const problems: string[] = [];
        if (c.key_in_query !== false)
          problems.push(`${p.where}.config.key_in_query: must be false (Kong defaults to true)`);
        if (c.key_in_body === true) problems.push(`${p.where}.config.key_in_body: must not be true`);
        if (c.hide_credentials !== true)
          problems.push(`${p.where}.config.hide_credentials: must be true (Kong defaults to false)`);
        if (!Array.isArray(c.key_names) || c.key_names.length === 0)
          problems.push(`${p.where}.config.key_names: set them deliberately`);
        return problems;
      });
  },
};
