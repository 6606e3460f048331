import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  parseDeckTemplate,
  referencedEnvVars,
  serializeWithEnvRefs,
  envInt,
  envString,
  substituteDeckEnv,
} from '../../lib/kong-config/deck-env';
import { consumerKeyVar, consumerPreviousKeyVar } from '../../lib/contracts/deck-env-names';
import {
  KEY_GUARD_ID,
  KEY_GUARD_MESSAGE,
  POST_FUNCTION_LUA,
  PRE_FUNCTION_LUA,
  LLM_ROUTE_PATH,
  PROMETHEUS_PLUGIN,
  effectiveLimits,
  renderKongConfig,
} from '../../lib/kong-config/render';
import { KEY_GUARD_CONSUMER } from '../../lib/contracts/consumers';
import { STAGE_NAMES, testStage, type Json } from '../support/synth';

const RENDERED_DIR = path.join(__dirname, '..', '..', 'infra', 'kong', 'rendered');

/** The parsed configuration of a stage, optionally with changed settings. */
function parsed(stage: string, mutate?: (raw: Json) => void): Json {
  return parseDeckTemplate(renderKongConfig(testStage(stage, mutate)));
}

const rateLimiting = (consumer: Json): Json =>
  consumer.plugins.find((p: Json) => p.name === 'rate-limiting').config;

describe('committed rendered files', () => {
  it.each(STAGE_NAMES)(
    'infra/kong/rendered/%s.yaml matches the generator (run `npm run kong:render`)',
    (stage) => {
      const file = path.join(RENDERED_DIR, `${stage}.yaml`);
      expect(fs.existsSync(file)).toBe(true);
      expect(fs.readFileSync(file, 'utf8')).toBe(renderKongConfig(testStage(stage)));
    },
  );

  it('has no rendered file for a stage that no longer exists', () => {
    const files = fs.readdirSync(RENDERED_DIR).filter((f) => f.endsWith('.yaml'));
    expect(files.sort()).toEqual(STAGE_NAMES.map((s) => `${s}.yaml`).sort());
  });
});

describe.each(STAGE_NAMES)('rendered configuration of stage %s', (stage) => {
  const text = renderKongConfig(testStage(stage));
  const config = parseDeckTemplate(text) as Json;
  const settings = testStage(stage).settings;
  const service = config.services[0];

  it('is decK format 3.0 and holds no template in its comment header (decK renders comments too)', () => {
    expect(config._format_version).toBe('3.0');
    const header = text.split('\n').filter((l) => l.startsWith('#'));
    expect(header.length).toBeGreaterThan(0);
    expect(header.join('\n')).not.toContain('${{');
  });

  it('takes the upstream address from the environment, the port typed as an integer', () => {
    expect(service.host).toBe('${{ env "DECK_LLM_UPSTREAM_HOST" }}');
    expect(service.port).toEqual({ $env: 'DECK_LLM_UPSTREAM_PORT', $as: 'int' });
    expect(text).toContain('"port": ${{ env "DECK_LLM_UPSTREAM_PORT" | toInt }}');
  });

  it('raises read_timeout to the stage setting and retries at most once', () => {
    expect(service.read_timeout).toBe(settings.kong.upstreamReadTimeoutSeconds * 1000);
    expect(service.retries).toBeLessThanOrEqual(1);
  });

  it('strips the /llm/ prefix and does not buffer responses', () => {
    expect(service.routes).toEqual([
      expect.objectContaining({ paths: [LLM_ROUTE_PATH], strip_path: true, response_buffering: false }),
    ]);
  });

  it('limits request bodies with the same setting that drives nginx client_max_body_size', () => {
    const rsl = service.plugins.find((p: Json) => p.name === 'request-size-limiting').config;
    expect(rsl).toEqual({
      allowed_payload_size: settings.kong.maxRequestBodyMiB,
      size_unit: 'megabytes',
      require_content_length: false,
    });
  });

  it('declares one consumer per settings consumer, each key from its own variable, then the key guard', () => {
    expect(config.consumers.map((c: Json) => c.username ?? c.custom_id)).toEqual([
      ...settings.consumers.map((c) => c.name),
      KEY_GUARD_CONSUMER,
    ]);
    for (const c of settings.consumers) {
      const consumer = config.consumers.find((k: Json) => k.username === c.name);
      expect(consumer.keyauth_credentials[0].key).toBe(`\${{ env "${consumerKeyVar(c.name)}" }}`);
    }
  });

  it('enables the prometheus plugin once, globally (metrics on the status listener, never a route)', () => {
    const everywhere = JSON.stringify(config).match(/"name":"prometheus"/g) ?? [];
    expect(everywhere).toHaveLength(1);
    expect(config.plugins).toEqual([expect.objectContaining({ name: 'pre-function' }), PROMETHEUS_PLUGIN]);
    expect(PROMETHEUS_PLUGIN.config).toMatchObject({
      per_consumer: true,
      status_code_metrics: true,
      latency_metrics: true,
    });
  });

  it('references only DECK_ variables the contracts name', () => {
    const allowed = new Set([
      'DECK_LLM_UPSTREAM_HOST',
      'DECK_LLM_UPSTREAM_PORT',
      'DECK_REDIS_HOST',
      'DECK_REDIS_PORT',
      ...settings.consumers.flatMap((c) => [consumerKeyVar(c.name), consumerPreviousKeyVar(c.name)]),
    ]);
    expect(referencedEnvVars(text).filter((v) => !allowed.has(v))).toEqual([]);
  });
});

describe('consumers during a key rotation', () => {
  const config = parsed('dev', (raw) => {
    raw.consumers[1].keyVersion = 2;
    raw.consumers[1].rotating = true;
  });

  it('gives the rotating consumer its previous key as a second credential', () => {
    const rotating = config.consumers[1];
    expect(rotating.keyauth_credentials.map((c: Json) => c.key)).toEqual([
      `\${{ env "${consumerKeyVar(rotating.username)}" }}`,
      `\${{ env "${consumerPreviousKeyVar(rotating.username)}" }}`,
    ]);
  });

  it('keeps one credential for consumers that are not rotating', () => {
    expect(config.consumers[0].keyauth_credentials).toHaveLength(1);
  });
});

describe('rate limiting from the stage settings', () => {
  it('redis: passes limits through, points at Redis over verified TLS, password from the env vault', () => {
    const cfg = rateLimiting(parsed('prod').consumers[1]);
    expect(cfg).toMatchObject({
      minute: 600,
      hour: 20000,
      day: 200000,
      limit_by: 'consumer',
      policy: 'redis',
      fault_tolerant: false,
      sync_rate: -1,
      hide_client_headers: false,
    });
    expect(cfg.redis).toEqual({
      host: '${{ env "DECK_REDIS_HOST" }}',
      port: { $env: 'DECK_REDIS_PORT', $as: 'int' },
      password: '{vault://env/rate-limit-redis-password}',
      ssl: true,
      ssl_verify: true,
      server_name: '${{ env "DECK_REDIS_HOST" }}',
      timeout: 2000,
      database: 0,
    });
  });

  it('redis: carries faultTolerant and syncRate from the settings', () => {
    const cfg = rateLimiting(
      parsed('prod', (raw) => {
        raw.rateLimiting.faultTolerant = true;
        raw.rateLimiting.syncRate = 1;
      }).consumers[0],
    );
    expect(cfg).toMatchObject({ fault_tolerant: true, sync_rate: 1 });
  });

  it('local: divides each limit by the fixed task count, rounding down, at least 1; no Redis, sync_rate -1', () => {
    const config = parsed('dev', (raw) => {
      raw.rateLimiting.policy = 'local';
      raw.rateLimiting.syncRate = 5; // ignored: Kong refuses sync_rate outside redis
      raw.kong.desiredCount = 3;
      raw.kong.minCount = 3;
      raw.kong.maxCount = 3;
    });
    const smoke = rateLimiting(config.consumers[0]); // 5/min, 100/h
    expect(smoke).toMatchObject({ policy: 'local', minute: 1, hour: 33, sync_rate: -1 });
    expect(smoke.redis).toBeUndefined();
    expect(rateLimiting(config.consumers[1])).toMatchObject({ minute: 20, hour: 333 });
  });

  it('local: keeps the period order Kong requires after rounding', () => {
    expect(effectiveLimits({ second: 7, minute: 8 }, 'local', 4)).toEqual({ second: 1, minute: 2 });
    expect(effectiveLimits({ second: 2, minute: 3 }, 'local', 5)).toEqual({ second: 1, minute: 1 });
  });

  it('cluster: no Redis block, limits unchanged', () => {
    const cfg = rateLimiting(
      parsed('dev', (raw) => {
        raw.rateLimiting.policy = 'cluster';
      }).consumers[1],
    );
    expect(cfg).toMatchObject({ policy: 'cluster', minute: 60, hour: 1000, sync_rate: -1 });
    expect(cfg.redis).toBeUndefined();
  });
});

describe('the global pre-function (identity headers, keys in URLs, Bearer mapping)', () => {
  it('runs in the access phase on every route (global), so the catch-all 404 clears identity headers too', () => {
    const config = parsed('dev');
    expect(config.plugins.find((p: Json) => p.name === 'pre-function').config).toEqual({
      access: [PRE_FUNCTION_LUA],
    });
    expect(config.services[0].plugins.map((p: Json) => p.name)).not.toContain('pre-function');
    expect(PRE_FUNCTION_LUA).toContain('kong.service.request.set_header("apikey", token)');
    expect(PRE_FUNCTION_LUA).toContain('kong.service.request.clear_header("authorization")');
  });

  it('extracts the token exactly as the Lua pattern does (checked with an equivalent RegExp)', () => {
    // The Lua pattern ^%s*[Bb][Ee][Aa][Rr][Ee][Rr]%s+(%S+)%s*$ in JS terms:
    const lua = /string\.match\(auth, "(.*)"\)/.exec(PRE_FUNCTION_LUA)![1]!;
    const js = new RegExp(lua.replace(/%s/g, '\\s').replace(/%S/g, '\\S'));
    expect(js.exec('Bearer sk-abc123')?.[1]).toBe('sk-abc123');
    expect(js.exec('bearer   sk-abc123  ')?.[1]).toBe('sk-abc123');
    expect(js.exec('Basic dXNlcjpwYXNz')).toBeNull();
    expect(js.exec('Bearer two tokens')).toBeNull();
  });

  it('holds nothing decK would take for a template (it renders the file as a Go template)', () => {
    for (const lua of [PRE_FUNCTION_LUA, POST_FUNCTION_LUA]) expect(lua).not.toMatch(/\$\{\{|\}\}/);
  });
});

describe('the key guard', () => {
  const config = parsed('prod');
  const service = config.services[0];
  const guard = config.consumers.find((c: Json) => c.id === KEY_GUARD_ID);

  it("is key-auth's anonymous consumer: a fixed id, the reserved name as custom_id, no username, no key", () => {
    expect(service.plugins.find((p: Json) => p.name === 'key-auth').config.anonymous).toBe(KEY_GUARD_ID);
    expect(guard).toEqual({ id: KEY_GUARD_ID, custom_id: KEY_GUARD_CONSUMER, plugins: [expect.anything()] });
  });

  it('is rate-limited per IP in Redis (shared by every task), fail-open, headers hidden', () => {
    const cfg = rateLimiting(guard);
    expect(cfg).toMatchObject({
      minute: 10,
      limit_by: 'ip',
      policy: 'redis',
      fault_tolerant: true,
      hide_client_headers: true,
      error_code: 429,
      error_message: KEY_GUARD_MESSAGE,
    });
    expect(cfg.redis).toEqual(rateLimiting(config.consumers[0]).redis);
    expect(Object.keys(cfg).filter((k) => ['second', 'hour', 'day', 'month', 'year'].includes(k))).toEqual(
      [],
    );
  });

  it('takes its limit from rateLimiting.failedAuthenticationsPerMinute, per task with the local policy', () => {
    const guardOf = (c: Json): Json => rateLimiting(c.consumers.find((k: Json) => k.id === KEY_GUARD_ID));
    expect(
      guardOf(parsed('dev', (raw) => (raw.rateLimiting.failedAuthenticationsPerMinute = 25))).minute,
    ).toBe(25);
    const local = parsed('dev', (raw) => {
      raw.rateLimiting.policy = 'local';
      raw.rateLimiting.failedAuthenticationsPerMinute = 20;
      raw.kong.minCount = raw.kong.maxCount = raw.kong.desiredCount = 2;
    });
    expect(guardOf(local)).toMatchObject({ minute: 10, policy: 'local' });
  });

  it('is answered by the post-function, which runs after request-size-limiting and rate-limiting', () => {
    const names = service.plugins.map((p: Json) => p.name);
    expect(names).toEqual(['key-auth', 'request-size-limiting', 'post-function']);
    const post = service.plugins.find((p: Json) => p.name === 'post-function').config;
    expect(post).toEqual({ access: [POST_FUNCTION_LUA] });
    expect(POST_FUNCTION_LUA).toContain(`consumer.id == "${KEY_GUARD_ID}"`);
    expect(POST_FUNCTION_LUA).toContain(`'Key realm="llm-gateway"'`);
  });
});

describe('decK env templating', () => {
  const text = serializeWithEnvRefs({ host: envString('DECK_H'), port: envInt('DECK_P'), n: 1 });

  it('writes string references quoted and integer references bare with toInt', () => {
    expect(text).toContain('"host": "${{ env "DECK_H" }}"');
    expect(text).toContain('"port": ${{ env "DECK_P" | toInt }}');
  });

  it('substitutes values as decK sync does, typing integers', () => {
    expect(
      substituteDeckEnv(text, { DECK_H: 'llm-gateway.dev.kong-gateway.internal', DECK_P: '8080' }),
    ).toEqual({
      host: 'llm-gateway.dev.kong-gateway.internal',
      port: 8080,
      n: 1,
    });
  });

  it('fails like decK when a referenced variable is unset', () => {
    expect(() => substituteDeckEnv(text, { DECK_H: 'x' })).toThrow(
      /DECK_P present in state file but not set/,
    );
  });

  it('refuses a value decK would break the file with (a quote in a string value)', () => {
    expect(() => substituteDeckEnv(text, { DECK_H: 'a"b', DECK_P: '1' })).toThrow();
  });

  it('rejects template forms decK would type wrongly', () => {
    expect(() => parseDeckTemplate('{"host": ${{ env "DECK_H" }}}')).toThrow(/unsupported decK template/);
    expect(() => parseDeckTemplate('{"port": "${{ env "DECK_P" | toInt }}"}')).toThrow(
      /unsupported decK template/,
    );
  });

  it('refuses variables decK cannot read', () => {
    expect(() => envString('REDIS_HOST')).toThrow(/DECK_/);
  });
});

// `deck file validate` checks the file against decK's own JSON schema. decK is a Go binary; this
// machine's module proxy refused github.com/kong/deck, so CI installs it when it can (see
// infra/kong/README.md) and the test says so when it cannot run.
function findDeck(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, 'deck');
    if (dir && fs.existsSync(candidate)) return candidate;
  }
  return undefined;
}
const deck = findDeck();
const deckIt = deck ? it : it.skip;

describe('deck file validate', () => {
  deckIt.each(STAGE_NAMES)(
    `accepts the rendered file of stage %s${deck ? '' : ' (SKIPPED: no `deck` binary on PATH; install decK to run it)'}`,
    (stage) => {
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        DECK_LLM_UPSTREAM_HOST: 'llm-gateway.example.internal',
        DECK_LLM_UPSTREAM_PORT: '8080',
        DECK_REDIS_HOST: 'master.redis.example.internal',
        DECK_REDIS_PORT: '6379',
      };
      for (const c of testStage(stage).settings.consumers) {
        env[consumerKeyVar(c.name)] = `test${c.name.replace(/-/g, '')}current`;
        env[consumerPreviousKeyVar(c.name)] = `test${c.name.replace(/-/g, '')}previous`;
      }
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deck-'));
      const file = path.join(dir, `${stage}.yaml`);
      fs.writeFileSync(file, renderKongConfig(testStage(stage)));
      expect(() => execFileSync(deck!, ['file', 'validate', file], { env, stdio: 'pipe' })).not.toThrow();
    },
  );
});
