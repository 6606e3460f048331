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
import { KEY_GUARD_CONSUMER } from '../contracts/consumers';
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
 * The key guard's consumer id, fixed so key-auth's `anonymous` can name it in the same file (decK
 * creates the consumer with this id; Kong looks `anonymous` up by id first).
 */
export const KEY_GUARD_ID = '6f1d3c2a-9b4e-4f7a-8c5d-2e0b1a9f7c34';
/** The 429 a client gets after `rateLimiting.failedAuthenticationsPerMinute` failures in a minute. */
export const KEY_GUARD_MESSAGE = 'Too many requests without a valid API key';
/** The 400 for a key in the query string (any key name, any case). */
export const KEY_IN_QUERY_MESSAGE =
  'API keys go in a header (apikey, x-api-key or Authorization: Bearer), never in the URL; rotate a key that was sent in one';
/** key-auth's two 401 bodies (Kong 3.9.3), reproduced by the guard's post-function. */
export const NO_KEY_MESSAGE = 'No API key found in request';
export const WRONG_KEY_MESSAGE = 'Unauthorized';
/** key-auth's challenge with the realm the plugin is configured with. */
export const WWW_AUTHENTICATE = `Key realm="${LLM_SERVICE_NAME}"`;
/** `kong.ctx.shared` field the pre-function sets when a key header was sent (after the Bearer mapping). */
export const KEY_OFFERED_FLAG = 'kong_gateway_key_offered';

/**
 * The identity headers Kong's auth plugins set upstream (kong/constants.lua `HEADERS`), lower-case;
 * client-sent copies are cleared by name before the prefix loop.
 */
const KONG_IDENTITY_HEADERS = [
  'x-consumer-id',
  'x-consumer-custom-id',
  'x-consumer-username',
  'x-consumer-groups',
  'x-credential-identifier',
  'x-credential-username',
  'x-anonymous-consumer',
  'x-authenticated-groups',
  'x-authenticated-scope',
  'x-authenticated-userid',
];

const luaList = (names: readonly string[]): string => `{ ${names.map((n) => `"${n}"`).join(', ')} }`;

/**
 * The global `pre-function` (access phase; pre-function has the highest priority, so it runs
 * before key-auth and before the catch-all's request-termination), in this order:
 * 1. Clears every identity header a client may send (`X-Consumer-*`, `X-Credential-*`,
 *    `X-Anonymous-Consumer`, `X-Authenticated-*`): the access log's `consumer` field and the
 *    upstream then only see what key-auth set (empty when it authenticated nobody).
 * 2. Rejects a key in the query string (any key name, any case) with a JSON 400: key_in_query is
 *    off, so such a key would otherwise be ignored and forwarded upstream. The ALB has already
 *    logged the URL: the message tells the client to rotate the key.
 * 3. Maps `Authorization: Bearer <key>` (OpenAI-style clients) onto `apikey` and drops
 *    `Authorization` in every case (docs/adr/0008; the Bearer part verified on Kong 3.9.3 with the
 *    default `untrusted_lua` sandbox).
 * 4. Notes whether a key header was sent, for the guard's 401 body (key-auth's `hide_credentials`
 *    removes the header it used before the post-function runs).
 */
export const PRE_FUNCTION_LUA = [
  // By name first: get_headers stops at 1000 headers, and a client could pad past it.
  `for _, name in ipairs(${luaList(KONG_IDENTITY_HEADERS)}) do`,
  '  kong.service.request.clear_header(name)',
  'end',
  'for name in pairs(kong.request.get_headers(1000)) do',
  '  local n = string.lower(name)',
  '  if string.find(n, "^x%-consumer%-") or string.find(n, "^x%-credential%-")',
  '      or string.find(n, "^x%-authenticated%-") or n == "x-anonymous-consumer" then',
  '    kong.service.request.clear_header(n)',
  '  end',
  'end',
  `local key_names = ${luaList(KEY_NAMES)}`,
  // The raw query catches a plain name past get_query's 1000 arguments; get_query an encoded one.
  'local raw = "&" .. string.lower(kong.request.get_raw_query() or "") .. "&"',
  'local in_query = false',
  'for _, key_name in ipairs(key_names) do',
  '  if string.find(raw, "&" .. key_name .. "=", 1, true) or string.find(raw, "&" .. key_name .. "&", 1, true) then',
  '    in_query = true',
  '  end',
  'end',
  'for name in pairs(kong.request.get_query(1000)) do',
  '  local n = string.lower(name)',
  '  for _, key_name in ipairs(key_names) do',
  '    if n == key_name then',
  '      in_query = true',
  '    end',
  '  end',
  'end',
  'if in_query then',
  `  return kong.response.exit(400, { message = "${KEY_IN_QUERY_MESSAGE}" })`,
  'end',
  'local auth = kong.request.get_header("authorization")',
  'if auth then',
  '  local token = string.match(auth, "^%s*[Bb][Ee][Aa][Rr][Ee][Rr]%s+(%S+)%s*$")',
  '  if token then',
  `    kong.service.request.set_header("${BEARER_TARGET_HEADER}", token)`,
  '  end',
  '  kong.service.request.clear_header("authorization")',
  'end',
  'for _, key_name in ipairs(key_names) do',
  '  local v = kong.request.get_header(key_name)',
  '  if v ~= nil and v ~= "" then',
  `    kong.ctx.shared.${KEY_OFFERED_FLAG} = true`,
  '  end',
  'end',
].join('\n');

/**
 * The LLM service's `post-function` (access phase, priority -1000: after key-auth 1250,
 * request-size-limiting 951 and rate-limiting 910, the order open-source Kong fixes):
 * 1. Removes every key header and `Authorization`, whichever one key-auth used
 *    (`hide_credentials` only strips the header that matched), so no credential reaches the
 *    upstream.
 * 2. Answers the key guard (key-auth's anonymous consumer: no key, or a wrong one) with key-auth's
 *    own 401 body and challenge, through `kong.response.error` so the format follows `Accept`
 *    like Kong's other errors. Also fails closed for any request without a credential.
 */
export const POST_FUNCTION_LUA = [
  `for _, name in ipairs(${luaList([...KEY_NAMES, 'authorization'])}) do`,
  '  kong.service.request.clear_header(name)',
  'end',
  'local consumer = kong.client.get_consumer()',
  `if kong.client.get_credential() == nil or (consumer ~= nil and consumer.id == "${KEY_GUARD_ID}") then`,
  `  local message = kong.ctx.shared.${KEY_OFFERED_FLAG} and "${WRONG_KEY_MESSAGE}" or "${NO_KEY_MESSAGE}"`,
  `  return kong.response.error(401, message, { ["WWW-Authenticate"] = '${WWW_AUTHENTICATE}' })`,
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

/** What differs between the consumers' rate-limiting instances and the key guard's. */
interface RateLimitingOptions extends Partial<Record<(typeof PERIODS)[number], number>> {
  readonly limit_by: 'consumer' | 'ip';
  readonly fault_tolerant: boolean;
  readonly hide_client_headers: boolean;
  readonly error_message: string;
}

function rateLimitingPlugin(settings: StageSettings, options: RateLimitingOptions): DeckObject {
  const rl = settings.rateLimiting;
  const { limit_by, fault_tolerant, hide_client_headers, error_message, ...limits } = options;
  const config: DeckObject = {
    ...limits,
    limit_by,
    policy: rl.policy,
    fault_tolerant,
    // Kong rejects any sync_rate but -1 outside the redis policy (validate_periods_order).
    sync_rate: rl.policy === 'redis' ? rl.syncRate : -1,
    hide_client_headers,
    error_code: 429,
    error_message,
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

/**
 * The key guard: key-auth's `anonymous` consumer, which every request without a valid key becomes.
 * Its rate-limiting counts per client IP (`limit_by: ip`, in Redis where the stage uses the redis
 * policy, so every task shares the count), hides its headers (no RateLimit-* on 401s) and fails
 * open (`fault_tolerant`: with Redis down a keyless request still gets its 401, not a 500); the
 * post-function then answers 401. No key and no username: key-auth sets no `X-Consumer-Username`
 * for it, so it logs and counts as no consumer; `custom_id` carries the reserved name.
 */
export function keyGuardConsumer(settings: StageSettings): DeckObject {
  const rl = settings.rateLimiting;
  const limits = effectiveLimits(
    { minute: rl.failedAuthenticationsPerMinute },
    rl.policy,
    settings.kong.minCount,
  );
  return {
    id: KEY_GUARD_ID,
    custom_id: KEY_GUARD_CONSUMER,
    plugins: [
      rateLimitingPlugin(settings, {
        ...limits,
        limit_by: 'ip',
        fault_tolerant: true,
        hide_client_headers: true,
        error_message: KEY_GUARD_MESSAGE,
      }),
    ],
  };
}

function consumerEntity(consumer: ConsumerSettings, settings: StageSettings): DeckObject {
  const credentials: DeckObject[] = [{ key: envString(consumerKeyVar(consumer.name)) }];
  if (consumer.rotating) credentials.push({ key: envString(consumerPreviousKeyVar(consumer.name)) });
  return {
    username: consumer.name,
    keyauth_credentials: credentials,
    plugins: [
      rateLimitingPlugin(settings, {
        ...effectiveLimits(consumer.limits, settings.rateLimiting.policy, settings.kong.minCount),
        limit_by: 'consumer',
        fault_tolerant: settings.rateLimiting.faultTolerant,
        hide_client_headers: false, // RateLimit-* and Retry-After stay visible to clients
        error_message: RATE_LIMIT_MESSAGE,
      }),
    ],
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
              // No valid key: continue as the key guard, which is rate-limited per IP and then
              // answered 401 by the post-function below (never proxied).
              anonymous: KEY_GUARD_ID,
            },
          },
          {
            name: 'request-size-limiting',
            config: {
              // 1 "megabytes" = 2^20 bytes in the plugin's handler, like nginx's `m`. The same setting
              // drives KONG_NGINX_HTTP_CLIENT_MAX_BODY_SIZE, which EQUALS this (contracts): nginx then
              // answers 413 for a declared Content-Length above it before any plugin runs (also with
              // `Expect: 100-continue`, where a larger nginx limit let Kong answer 100 Continue, then
              // 417, then 400 for the body read as a new request); this plugin and nginx both count
              // chunked bodies. Measured on Kong 3.9.3 (issue 14).
              allowed_payload_size: kong.maxRequestBodyMiB,
              size_unit: 'megabytes',
              require_content_length: false, // streamed (chunked) bodies are counted as read
            },
          },
          { name: 'post-function', config: { access: [POST_FUNCTION_LUA] } },
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
    consumers: [...settings.consumers.map((c) => consumerEntity(c, settings)), keyGuardConsumer(settings)],
    plugins: [{ name: 'pre-function', config: { access: [PRE_FUNCTION_LUA] } }, PROMETHEUS_PLUGIN],
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
