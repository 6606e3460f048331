import { envStringRefName, isEnvIntRef } from '../deck-env';
import {
  REDIS_HOST_VAR,
  REDIS_PASSWORD_VAULT_REFERENCE,
  REDIS_PORT_VAR,
} from '../../contracts/deck-env-names';
import type { KongRule } from './model';

/**
 * With the redis policy, counters travel over TLS to a verified server, the address comes from the
 * environment and the AUTH token only as an env-vault reference (never in the file or Kong's DB).
 */
export const redisTlsAndVault: KongRule = {
  id: 'policy/redis-tls-and-vault',
  description:
    'redis policy: ssl and ssl_verify on, server_name set, host/port from env, password an env-vault reference',
  source: 'our policy and the contracts (Redis AUTH token via {vault://env/rate-limit-redis-password})',
  check(model) {
    return model.plugins
      .filter((p) => p.name === 'rate-limiting' && p.config?.policy === 'redis')
      .flatMap((p) => {
        const r = p.config.redis ?? {};
        const at = `${p.where}.config.redis`;
        const problems: string[] = [];
        if (r.ssl !== true) problems.push(`${at}.ssl: must be true (ElastiCache in-transit encryption)`);
        if (r.ssl_verify !== true) problems.push(`${at}.ssl_verify: must be true`);
        if (envStringRefName(r.host) !== REDIS_HOST_VAR)
          problems.push(`${at}.host: must be the ${REDIS_HOST_VAR} reference`);
        if (envStringRefName(r.server_name) !== REDIS_HOST_VAR)
          problems.push(`${at}.server_name: must be the ${REDIS_HOST_VAR} reference`);
        if (!(isEnvIntRef(r.port) && r.port.$env === REDIS_PORT_VAR))
          problems.push(`${at}.port: must be the ${REDIS_PORT_VAR} reference`);
        if (r.password !== REDIS_PASSWORD_VAULT_REFERENCE)
          problems.push(`${at}.password: must be ${REDIS_PASSWORD_VAULT_REFERENCE}`);
        return problems;
      });
  },
};
