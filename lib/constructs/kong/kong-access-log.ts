/**
 * Kong's proxy access log as one JSON object per line (ADR 0013): what the Kong container's
 * environment must carry so that the metric filters of `lib/constructs/observability/log-metrics.ts` can count 401 and
 * 429. Pure data, no provider import: `lib/constructs/kong/kong-containers.ts` spreads it into Kong's environment.
 */

/** Name of the nginx log format Kong's proxy access log uses. */
export const KONG_ACCESS_LOG_FORMAT_NAME = 'kong_json';

/**
 * Fields of Kong's JSON access log, one line per proxied request. Unquoted values are numbers.
 * No header that can carry a key is logged, and the path is `$uri` (no query string).
 * `consumer` is the `X-Consumer-Username` key-auth set, empty when it authenticated nobody: the
 * global pre-function clears client-sent `X-Consumer-*` headers on every request Kong's plugins
 * see, and the key guard (key-auth's anonymous consumer) has no username. `anonymous` is key-auth's
 * `X-Anonymous-Consumer` ("true" for the key guard, empty otherwise; client copies cleared the
 * same way). Answers nginx gives before any plugin runs (a malformed request's 400, a declared body
 * above the limit's 413) still carry whatever the client sent in those two headers: no metric
 * filter reads them on such answers (only 429s are split, and only rate-limiting answers 429), and
 * incident response must not either (docs/adr/0013).
 */
export const KONG_ACCESS_LOG_FIELDS: Readonly<Record<string, string>> = {
  time: '"$time_iso8601"',
  request_id: '"$kong_request_id"',
  client_ip: '"$remote_addr"',
  method: '"$request_method"',
  path: '"$uri"',
  protocol: '"$server_protocol"',
  status: '$status',
  request_length: '$request_length',
  bytes_sent: '$bytes_sent',
  request_time: '$request_time',
  upstream_status: '"$upstream_status"',
  upstream_response_time: '"$upstream_response_time"',
  consumer: '"$http_x_consumer_username"',
  anonymous: '"$http_x_anonymous_consumer"',
  user_agent: '"$http_user_agent"',
};

/**
 * CloudWatch Logs filter patterns that tell the two kinds of 429 apart in
 * {@link KONG_ACCESS_LOG_FIELDS} (ADR 0013): those of authenticated consumers (split by
 * `consumer`), and the key guard's (a client over `rateLimiting.failedAuthenticationsPerMinute`:
 * guessing keys, or a broken client retrying a bad key), which have no consumer.
 */
export const KONG_LOG_FILTER_PATTERNS = {
  rateLimitedByConsumer: '{ $.status = 429 && $.anonymous != "true" }',
  keyGuardThrottled: '{ $.status = 429 && $.anonymous = "true" }',
} as const;

/**
 * Environment of the KONG container that makes its proxy access log one JSON object per line on
 * stdout (so the awslogs driver ships it and the metric filters below can read `$.status`).
 * `KONG_NGINX_HTTP_LOG_FORMAT` injects `log_format kong_json escape=json '...'` into nginx's
 * http block; `KONG_PROXY_ACCESS_LOG` points the proxy's access log at it. Plain values, no secret.
 */
export const KONG_ACCESS_LOG_ENVIRONMENT: Readonly<Record<string, string>> = {
  KONG_PROXY_ACCESS_LOG: `/dev/stdout ${KONG_ACCESS_LOG_FORMAT_NAME}`,
  KONG_NGINX_HTTP_LOG_FORMAT: `${KONG_ACCESS_LOG_FORMAT_NAME} escape=json '{${Object.entries(
    KONG_ACCESS_LOG_FIELDS,
  )
    .map(([k, v]) => `"${k}":${v}`)
    .join(',')}}'`,
  // The status listener serves /status to the ALB health check and /metrics (prometheus plugin);
  // neither belongs in the request log.
  KONG_STATUS_ACCESS_LOG: 'off',
};
