/**
 * Renders a stage's Kong configuration as a decK file from the stage settings: one source of truth
 * for consumers, limits, timeouts and body size. The text holds no secret (keys and addresses are
 * `${{ env "DECK_..." }}` references, the Redis password an env-vault reference) and is the same
 * for AWS and the local profile. `npm run kong:render` writes `infra/kong/rendered/<stage>.yaml`;
 * a test fails when those files drift from this generator. What each choice means for clients is
 * in infra/kong/README.md; why, in docs/adr/0007 (rate limiting) and 0008 (Bearer tokens).
 */
import type { Stage } from '../settings/load';
import type { ConsumerLimits, ConsumerSettings, StageSettings } from '../settings/stage-settings';
import { envInt, envString, serializeWithEnvRefs, type DeckEnvRef } from './deck-env';
import { BEARER_TARGET_HEADER, KEY_NAMES } from '../contracts/key-headers';
import {
  LLM_UPSTREAM_HOST_VAR,
  LLM_UPSTREAM_PORT_VAR,
  REDIS_HOST_VAR,
  REDIS_PASSWORD_VAULT_REFERENCE,
  REDIS_PORT_VAR,
  consumerKeyVar,
  consumerPreviousKeyVar,
} from '../contracts/deck-env-names';

/** The decK service of the internal LLM gateway. */
export const LLM_SERVICE_NAME = 'llm-gateway';
/** The route of the LLM API. */
export const LLM_ROUTE_NAME = 'llm-api';
/**
 * Prefix of the LLM API. With the trailing slash `/llmx` does not match; `strip_path` turns
 * `/llm/v1/chat/completions` into `/v1/chat/completions` upstream, so OpenAI clients use the base
 * URL `<gateway>/llm/v1`.
 */
export const LLM_ROUTE_PATH = '/llm/';
/** The route that answers every other path with a JSON 404. */
export const CATCH_ALL_ROUTE_NAME = 'catch-all';
/**
 * Retries to another upstream address. nginx's default `proxy_next_upstream error timeout` (without
 * `non_idempotent`) never passes a POST to the next upstream once it has been sent, so this one retry
 * only covers connection failures (a task that Cloud Map still lists while it drains) and cannot run
 * an LLM generation twice. Not yet observed on a running Kong: the smoke test should confirm it.
 */
export const SERVICE_RETRIES = 1;
/** Connect timeout to the upstream in ms: an in-VPC peer that does not accept in 5 s is gone. */
export const SERVICE_CONNECT_TIMEOUT_MS = 5000;
/** Write timeout in ms (between two writes of the request body, not for the whole body). */
export const SERVICE_WRITE_TIMEOUT_MS = 60000;
/** Redis command timeout in ms (Kong's default). */
export const REDIS_TIMEOUT_MS = 2000;

/** The 404 body: the same `{"message": ...}` shape as Kong's own JSON errors (401, 413, 429). */
export const NOT_FOUND_BODY = JSON.stringify({ message: 'Not found' });
/** The message of a 429 (Kong's default, kept explicit). */
export const RATE_LIMIT_MESSAGE = 'API rate limit exceeded';

/**
 * OpenAI-style clients send `Authorization: Bearer <key>`. Before key-auth runs (pre-function has
 * the highest priority of the access phase), move the token to the `apikey` header; and drop
 * `Authorization` in every case, so no client credential of any scheme reaches the upstream.
 * Verified on a real Kong 3.9.3 with the default `untrusted_lua` sandbox (docs/adr/0008).
 */
export const BEARER_TO_APIKEY_LUA = [
  'local auth = kong.request.get_header("authorization")',
  'if auth then',
  '  local token = string.match(auth, "^%s*[Bb][Ee][Aa][Rr][Ee][Rr]%s+(%S+)%s*$")',
  '  if token then',
  `    kong.service.request.set_header("${BEARER_TARGET_HEADER}", token)`,
  '  end',
  '  kong.service.request.clear_header("authorization")',
  'end',
].join('\n');

/**
 * The global `prometheus` plugin. Kong serves its metrics on the status listener
 * (`KONG_STATUS_LISTEN`, port 8100: `/metrics`) and the loopback admin API only; the plugin adds no
 * proxy route and the ALB forwards only to the proxy port, so they are never reachable through the
 * ALB. `per_consumer` labels are bounded by the stage's consumers. 401/429 alarms do not depend on
 * it (ADR 0013: metric filters on the access log); it is there for ad-hoc scrapes and a later agent.
 */
export const PROMETHEUS_PLUGIN = {
  name: 'prometheus',
  config: {
    per_consumer: true,
    status_code_metrics: true,
    latency_metrics: true,
    bandwidth_metrics: false,
    upstream_health_metrics: false,
  },
} as const;

const PERIODS = ['second', 'minute', 'hour', 'day', 'month', 'year'] as const;

/** A value of the decK file: JSON plus environment references. */
type DeckValue = string | number | boolean | null | DeckEnvRef | DeckValue[] | { [key: string]: DeckValue };
/** An object of the decK file. */
type DeckObject = { [key: string]: DeckValue };

/**
 * The per-period limits a rate-limiting instance enforces. `redis` and `cluster` count across the
 * fleet, so the consumer's limits apply as they are. `local` counts per Kong task: the limit is
 * divided by the (fixed) task count, rounded down (never above the total), at least 1.
 */
export function effectiveLimits(
  limits: ConsumerLimits,
  policy: StageSettings['rateLimiting']['policy'],
  taskCount: number,
): Partial<Record<(typeof PERIODS)[number], number>> {
  const out: Partial<Record<(typeof PERIODS)[number], number>> = {};
  for (const period of PERIODS) {
    const limit = limits[period];
    if (limit === undefined) continue;
    out[period] = policy === 'local' ? Math.max(1, Math.floor(limit / taskCount)) : limit;
  }
  return out;
}

function rateLimitingPlugin(consumer: ConsumerSettings, settings: StageSettings): DeckObject {
  const rl = settings.rateLimiting;
  const config: DeckObject = {
    ...effectiveLimits(consumer.limits, rl.policy, settings.kong.minCount),
    limit_by: 'consumer',
    policy: rl.policy,
    fault_tolerant: rl.faultTolerant,
    // Kong rejects any sync_rate but -1 outside the redis policy (validate_periods_order).
    sync_rate: rl.policy === 'redis' ? rl.syncRate : -1,
    hide_client_headers: false, // RateLimit-* and Retry-After stay visible to clients
    error_code: 429,
    error_message: RATE_LIMIT_MESSAGE,
  };
  if (rl.policy === 'redis') {
    config.redis = {
      host: envString(REDIS_HOST_VAR),
      port: envInt(REDIS_PORT_VAR),
      password: REDIS_PASSWORD_VAULT_REFERENCE,
      ssl: true,
      ssl_verify: true,
      // The name the certificate must carry; without it OpenResty checks the chain only.
      server_name: envString(REDIS_HOST_VAR),
      timeout: REDIS_TIMEOUT_MS,
      database: 0,
    };
  }
  return { name: 'rate-limiting', config };
}

function consumerEntity(consumer: ConsumerSettings, settings: StageSettings): DeckObject {
  const credentials: DeckObject[] = [{ key: envString(consumerKeyVar(consumer.name)) }];
  if (consumer.rotating) credentials.push({ key: envString(consumerPreviousKeyVar(consumer.name)) });
  return {
    username: consumer.name,
    keyauth_credentials: credentials,
    plugins: [rateLimitingPlugin(consumer, settings)],
  };
}

/** The decK configuration of a stage as an object (env references as {@link DeckEnvRef}). */
export function buildKongConfig(stage: Stage): DeckObject {
  const settings = stage.settings;
  const kong = settings.kong;
  return {
    _format_version: '3.0',
    services: [
      {
        name: LLM_SERVICE_NAME,
        protocol: 'http', // inside the VPC; TLS ends at the ALB
        host: envString(LLM_UPSTREAM_HOST_VAR),
        port: envInt(LLM_UPSTREAM_PORT_VAR),
        connect_timeout: SERVICE_CONNECT_TIMEOUT_MS,
        write_timeout: SERVICE_WRITE_TIMEOUT_MS,
        read_timeout: kong.upstreamReadTimeoutSeconds * 1000,
        retries: SERVICE_RETRIES,
        routes: [
          {
            name: LLM_ROUTE_NAME,
            protocols: ['http', 'https'],
            paths: [LLM_ROUTE_PATH],
            strip_path: true,
            preserve_host: false,
            request_buffering: true, // request-size-limiting reads chunked bodies whole
            response_buffering: false, // server-sent events stream through as they come
          },
        ],
        plugins: [
          { name: 'pre-function', config: { access: [BEARER_TO_APIKEY_LUA] } },
          {
            name: 'key-auth',
            config: {
              key_names: [...KEY_NAMES],
              key_in_header: true,
              key_in_query: false, // query strings end up in access logs
              key_in_body: false,
              hide_credentials: true,
              run_on_preflight: true,
              realm: LLM_SERVICE_NAME,
            },
          },
          {
            name: 'request-size-limiting',
            config: {
              // 1 "megabytes" = 2^20 bytes in the plugin's handler, like nginx's `m`. The same setting
              // drives KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE, which must be >= this (contracts); nginx
              // checks a declared Content-Length before any plugin runs, so only a larger nginx limit
              // lets this plugin be the one that answers 413.
              allowed_payload_size: kong.maxRequestBodyMiB,
              size_unit: 'megabytes',
              require_content_length: false, // streamed (chunked) bodies are counted as read
            },
          },
        ],
      },
    ],
    routes: [
      {
        name: CATCH_ALL_ROUTE_NAME,
        protocols: ['http', 'https'],
        paths: ['/'],
        strip_path: false,
        plugins: [
          {
            name: 'request-termination',
            config: {
              status_code: 404,
              content_type: 'application/json; charset=utf-8',
              body: NOT_FOUND_BODY,
            },
          },
        ],
      },
    ],
    consumers: settings.consumers.map((c) => consumerEntity(c, settings)),
    plugins: [PROMETHEUS_PLUGIN],
  };
}

/** The decK file of a stage, as committed in `infra/kong/rendered/<stage>.yaml`. */
export function renderKongConfig(stage: Stage): string {
  return serializeWithEnvRefs(buildKongConfig(stage), [
    `Kong configuration of stage "${stage.name}" (decK, _format_version 3.0).`,
    `GENERATED from config/${stage.name}.json by \`npm run kong:render\`: do not edit.`,
    // No template delimiters in here: decK renders comments too.
    'No secret in here: keys and addresses are DECK_* environment references that decK fills in at',
    'sync time; the Redis password is resolved by Kong from its env vault. See infra/kong/README.md.',
  ]);
}
