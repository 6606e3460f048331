import {
  KONG_LOG_FILTERS,
  KONG_LOG_METRICS,
  REDIS_CONNECTION_ERRORS_FILTER,
  phrasePattern,
  statusPattern,
} from '../../../lib/constructs/observability/log-metrics';
import { CONFIG_SYNC_FAILED_LINE, KONG_REDIS_CONNECT_FAILED_LINE } from '../../../lib/contracts/log-lines';

/** A quoted CloudWatch Logs term matches lines containing the phrase verbatim, case-sensitive. */
function quotedTermMatches(pattern: string, line: string): boolean {
  const m = /^"(.*)"$/.exec(pattern);
  if (!m) throw new Error(`${pattern} is not a single quoted term`);
  return line.includes(m[1]!);
}

describe("the metric filters on Kong's task log group", () => {
  const byId = Object.fromEntries(KONG_LOG_FILTERS.map((f) => [f.id, f]));

  it("keeps the IDs (Terraform addresses) of the 401/429 filters and adds the key guard's and config-sync", () => {
    expect(Object.keys(byId)).toEqual([
      'kong-401',
      'kong-429',
      'kong-429-by-consumer',
      'kong-429-key-guard',
      'kong-config-sync-failed',
    ]);
    expect(REDIS_CONNECTION_ERRORS_FILTER.id).toBe('kong-redis-connection-errors');
  });

  it('reads the numeric status of the JSON access log', () => {
    expect(statusPattern(401)).toBe('{ $.status = 401 }');
    expect(byId['kong-401']!.metricName).toBe(KONG_LOG_METRICS.unauthorized);
    expect(byId['kong-429-by-consumer']!.dimensions).toEqual({ Consumer: '$.consumer' });
  });

  it("matches config-sync's failure lines and not its retries or successes", () => {
    const p = byId['kong-config-sync-failed']!.pattern;
    expect(p).toBe(`"${CONFIG_SYNC_FAILED_LINE}"`);
    expect(
      quotedTermMatches(
        p,
        'config-sync: FAILED: giving up after 8 attempts; Kong keeps its previous configuration',
      ),
    ).toBe(true);
    expect(quotedTermMatches(p, 'config-sync: FAILED: cannot decode KONG_GATEWAY_DECK_CONFIG_B64')).toBe(
      true,
    );
    expect(quotedTermMatches(p, 'config-sync: attempt 3 failed; retrying in 9s')).toBe(false);
    expect(quotedTermMatches(p, 'config-sync: configuration applied (attempt 1)')).toBe(false);
  });

  // The message is what Kong 3.9.3 printed when Redis was down; the error-log prefix around it
  // is illustrative.
  it("matches a line with Kong's rate-limiting Redis connection error", () => {
    const p = REDIS_CONNECTION_ERRORS_FILTER.pattern;
    expect(p).toBe(`"[rate-limiting] ${KONG_REDIS_CONNECT_FAILED_LINE}"`);
    const line =
      '2026/12/02 10:00:00 [error] 1280#0: *4711 [kong] policies.lua:230 [rate-limiting] failed to connect to Redis: connection refused, client: 10.0.1.5';
    expect(quotedTermMatches(p, line)).toBe(true);
    expect(quotedTermMatches(p, '[rate-limiting] connected to Redis')).toBe(false);
  });

  it('refuses a phrase that would break out of the quoted term', () => {
    expect(phrasePattern('a b')).toBe('"a b"');
    expect(() => phrasePattern('say "hi"')).toThrow(/quote or backslash/);
  });
});
