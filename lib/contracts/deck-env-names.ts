/**
 * The environment variables and vault references the Kong configuration depends on, in one place,
 * so the decK file, the ECS task definitions and the local compose profile name them alike
 * (fixed in the contracts: consumer keys, upstream and Redis address; the Redis AUTH token).
 */
import { consumerEnvStem } from './consumers';

/** Host of the internal LLM gateway: the Cloud Map name on AWS, the compose service locally. */
export const LLM_UPSTREAM_HOST_VAR = 'DECK_LLM_UPSTREAM_HOST';
/** Port of the internal LLM gateway (the placeholder listens on 8080). */
export const LLM_UPSTREAM_PORT_VAR = 'DECK_LLM_UPSTREAM_PORT';
/** Primary endpoint of the rate-limit store (only with the `redis` policy). */
export const REDIS_HOST_VAR = 'DECK_REDIS_HOST';
/** Port of the rate-limit store (only with the `redis` policy). */
export const REDIS_PORT_VAR = 'DECK_REDIS_PORT';

/**
 * The Redis AUTH token never enters the decK file or Kong's database: `redis.password` is this
 * reference to Kong's open-source `env` vault, which resolves it in the Kong process at use time.
 * Kong 3.9's `kong/vaults/env/init.lua` (`get`) replaces `-` with `_` and upper-cases the resource:
 * `rate-limit-redis-password` -> `RATE_LIMIT_REDIS_PASSWORD`. `redis.password` accepts references
 * (`referenceable = true` in `kong/tools/redis/schema.lua`).
 */
export const REDIS_PASSWORD_VAULT_REFERENCE = '{vault://env/rate-limit-redis-password}';
/** The variable the Kong container receives (ECS `secrets`) for {@link REDIS_PASSWORD_VAULT_REFERENCE}. */
export const REDIS_PASSWORD_KONG_ENV_VAR = 'RATE_LIMIT_REDIS_PASSWORD';

/** `DECK_CONSUMER_<STEM>_KEY`: the consumer's current key. */
export function consumerKeyVar(consumerName: string): string {
  return `DECK_CONSUMER_${consumerEnvStem(consumerName)}_KEY`;
}

/** `DECK_CONSUMER_<STEM>_PREVIOUS_KEY`: the key being rotated out (only while `rotating`). */
export function consumerPreviousKeyVar(consumerName: string): string {
  return `DECK_CONSUMER_${consumerEnvStem(consumerName)}_PREVIOUS_KEY`;
}
