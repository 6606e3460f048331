/**
 * Every rule the rendered Kong configuration must satisfy: Kong 3.9.3's own schema rules for the
 * entities and plugins used (each file cites the schema.lua it encodes), then our policy.
 * `__tests__/kong-config/rules.test.ts` runs them on every stage's rendered file and proves each one
 * rejects a deliberately broken file.
 */
import { parseDeckTemplate } from '../deck-env';
import { consumerSchema } from './kong-consumers';
import { fileFormat } from './kong-file-format';
import { keyAuthSchema } from './kong-plugin-key-auth';
import { postFunctionSchema, preFunctionSchema } from './kong-plugin-pre-function';
import { prometheusSchema } from './kong-plugin-prometheus';
import { rateLimitingSchema } from './kong-plugin-rate-limiting';
import { requestSizeLimitingSchema } from './kong-plugin-request-size-limiting';
import { requestTerminationSchema } from './kong-plugin-request-termination';
import { pluginScopeUnique } from './kong-plugin-scope-unique';
import { referencesResolve } from './kong-references';
import { routeSchema } from './kong-routes';
import { serviceSchema } from './kong-services';
import { deckModel, type KongRule } from './model';
import { bodySizeLimited } from './policy-body-size-limited';
import { consumerRateLimits } from './policy-consumer-rate-limits';
import { credentialsFromEnv } from './policy-credentials-from-env';
import { jsonNotFound } from './policy-json-not-found';
import { clientIdentityCleared, credentialsStripped } from './policy-credentials-stripped';
import { keyGuard } from './policy-key-guard';
import { keyAuthHardened } from './policy-key-auth-hardened';
import { redisTlsAndVault } from './policy-redis-tls-and-vault';
import { streamingUnbuffered } from './policy-streaming-unbuffered';
import { upstreamRoutesAuthenticated } from './policy-upstream-routes-authenticated';

export type { KongRule } from './model';
export { deckModel } from './model';

/** Kong's schema rules. */
export const KONG_SCHEMA_RULES: readonly KongRule[] = [
  fileFormat,
  serviceSchema,
  routeSchema,
  consumerSchema,
  referencesResolve,
  pluginScopeUnique,
  keyAuthSchema,
  rateLimitingSchema,
  requestSizeLimitingSchema,
  requestTerminationSchema,
  preFunctionSchema,
  postFunctionSchema,
  prometheusSchema,
];

/** Our policy. */
export const POLICY_RULES: readonly KongRule[] = [
  upstreamRoutesAuthenticated,
  keyAuthHardened,
  credentialsFromEnv,
  consumerRateLimits,
  redisTlsAndVault,
  streamingUnbuffered,
  jsonNotFound,
  bodySizeLimited,
  keyGuard,
  credentialsStripped,
  clientIdentityCleared,
];

/** All rules. */
export const ALL_KONG_RULES: readonly KongRule[] = [...KONG_SCHEMA_RULES, ...POLICY_RULES];

/** Runs every rule on a rendered decK file; returns `rule-id: problem` lines (empty: compliant). */
export function checkRenderedConfig(text: string, rules: readonly KongRule[] = ALL_KONG_RULES): string[] {
  const model = deckModel(parseDeckTemplate(text));
  return rules.flatMap((r) => r.check(model).map((p) => `${r.id}: ${p}`));
}
