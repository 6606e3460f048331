import {
  KONG_ACCESS_LOG_ENVIRONMENT,
  KONG_ACCESS_LOG_FIELDS,
  KONG_ACCESS_LOG_FORMAT_NAME,
  KONG_LOG_FILTER_PATTERNS,
} from '../../../lib/constructs/kong/kong-access-log';

/** The `log_format` body nginx fills in: what sits between the single quotes. */
function formatBody(): string {
  const m = /^kong_json escape=json '(.*)'$/s.exec(KONG_ACCESS_LOG_ENVIRONMENT.KONG_NGINX_HTTP_LOG_FORMAT!);
  if (!m) throw new Error('KONG_NGINX_HTTP_LOG_FORMAT is not "kong_json escape=json \'...\'"');
  return m[1]!;
}

/** One access-log line as nginx writes it: every variable replaced (escape=json escapes quotes). */
function renderLine(values: Record<string, string>): string {
  return formatBody().replace(/\$([a-z_0-9]+)/g, (_, name: string) => {
    if (!(name in values)) throw new Error(`no sample value for $${name}`);
    return JSON.stringify(values[name]).slice(1, -1);
  });
}

const SAMPLE: Record<string, string> = {
  time_iso8601: '2026-12-03T10:00:00+00:00',
  kong_request_id: 'a1b2c3',
  remote_addr: '203.0.113.7',
  request_method: 'POST',
  uri: '/llm/v1/chat/completions',
  server_protocol: 'HTTP/1.1',
  status: '429',
  request_length: '512',
  bytes_sent: '230',
  request_time: '0.004',
  upstream_status: '',
  upstream_response_time: '',
  http_x_consumer_username: 'acme-app',
  http_x_anonymous_consumer: '',
  http_user_agent: 'curl/8.5.0 "quoted"',
};

describe("Kong's JSON access log", () => {
  it('points the proxy access log at the JSON format on stdout, and keeps /status out of it', () => {
    expect(KONG_ACCESS_LOG_ENVIRONMENT.KONG_PROXY_ACCESS_LOG).toBe(
      `/dev/stdout ${KONG_ACCESS_LOG_FORMAT_NAME}`,
    );
    expect(KONG_ACCESS_LOG_ENVIRONMENT.KONG_STATUS_ACCESS_LOG).toBe('off');
  });

  // Fails if a field is added without quotes around a string variable, or a quote is lost: the
  // metric filters then read nothing from the line.
  it('renders one valid JSON object per line, with numbers where the filters compare numbers', () => {
    const line = JSON.parse(renderLine(SAMPLE));
    expect(Object.keys(line)).toEqual(Object.keys(KONG_ACCESS_LOG_FIELDS));
    expect(line).toMatchObject({
      status: 429,
      request_length: 512,
      bytes_sent: 230,
      request_time: 0.004,
      consumer: 'acme-app',
      anonymous: '',
      user_agent: 'curl/8.5.0 "quoted"',
    });
  });

  // Fails if a field would log a key: a key header, Authorization, or the query string ($args,
  // $request_uri), where a client may have put `?apikey=`.
  it('logs no header that can carry a key, and no query string', () => {
    const variables = [...formatBody().matchAll(/\$([a-z_0-9]+)/g)].map((m) => m[1]);
    for (const forbidden of [
      'http_apikey',
      'http_x_api_key',
      'http_authorization',
      'args',
      'query_string',
      'request_uri',
      'request',
    ]) {
      expect(variables).not.toContain(forbidden);
    }
    expect(KONG_ACCESS_LOG_FIELDS.path).toBe('"$uri"');
  });

  it('takes the consumer from the header key-auth sets (cleared of client copies), not from a client-chosen field', () => {
    expect(KONG_ACCESS_LOG_FIELDS.consumer).toBe('"$http_x_consumer_username"');
    expect(KONG_ACCESS_LOG_FIELDS.anonymous).toBe('"$http_x_anonymous_consumer"');
  });

  it("splits 429s into consumers' and the key guard's, with no 429 in both or neither", () => {
    const { rateLimitedByConsumer, keyGuardThrottled } = KONG_LOG_FILTER_PATTERNS;
    expect(rateLimitedByConsumer).toBe('{ $.status = 429 && $.anonymous != "true" }');
    // The same pattern with the anonymous test negated: complementary over every 429 line.
    expect(keyGuardThrottled).toBe(rateLimitedByConsumer.replace('!=', '='));
  });
});
