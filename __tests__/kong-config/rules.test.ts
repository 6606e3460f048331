import * as fs from 'fs';
import * as path from 'path';
import { parseDeckTemplate } from '../../lib/kong-config/deck-env';
import { renderKongConfig } from '../../lib/kong-config/render';
import { ALL_KONG_RULES, checkRenderedConfig, deckModel, type KongRule } from '../../lib/kong-config/rules';
import { STAGE_NAMES, testStage, type Json } from '../support/synth';

const RENDERED_DIR = path.join(__dirname, '..', '..', 'infra', 'kong', 'rendered');
const renderedText = (stage: string): string =>
  fs.readFileSync(path.join(RENDERED_DIR, `${stage}.yaml`), 'utf8');

/** A fresh parsed copy of the dev rendering to break. */
const devConfig = (): Json => parseDeckTemplate(renderedText('dev'));
const rule = (id: string): KongRule => {
  const found = ALL_KONG_RULES.find((r) => r.id === id);
  if (!found) throw new Error(`no rule ${id}`);
  return found;
};
const servicePlugin = (c: Json, name: string): Json =>
  c.services[0].plugins.find((p: Json) => p.name === name);
const rateLimit = (c: Json, i = 0): Json =>
  c.consumers[i].plugins.find((p: Json) => p.name === 'rate-limiting');
const catchAll = (c: Json): Json => c.routes[0];
const globalPlugin = (c: Json, name: string): Json => c.plugins.find((p: Json) => p.name === name);
/** The key guard: the consumer key-auth's anonymous names (the last one). */
const guard = (c: Json): Json => c.consumers[c.consumers.length - 1];
const guardLimit = (c: Json): Json => guard(c).plugins.find((p: Json) => p.name === 'rate-limiting');

describe('every stage satisfies every rule', () => {
  it.each(STAGE_NAMES)('infra/kong/rendered/%s.yaml', (stage) => {
    expect(checkRenderedConfig(renderedText(stage))).toEqual([]);
  });
});

describe('every setting combination renders a file that satisfies every rule', () => {
  const variants: [string, (raw: Json) => void][] = [
    [
      'local policy with a fixed task count',
      (raw) => {
        raw.rateLimiting.policy = 'local';
        raw.kong.minCount = raw.kong.maxCount = raw.kong.desiredCount = 3;
      },
    ],
    ['cluster policy', (raw) => (raw.rateLimiting.policy = 'cluster')],
    [
      'redis with sync_rate 0.5 and fail-open',
      (raw) => Object.assign(raw.rateLimiting, { syncRate: 0.5, faultTolerant: true }),
    ],
    [
      'every consumer rotating',
      (raw) => raw.consumers.forEach((c: Json) => ((c.keyVersion = 2), (c.rotating = true))),
    ],
    [
      'per-second limits',
      (raw) => (raw.consumers[1].limits = { second: 2, minute: 60, hour: 1000, year: 100000 }),
    ],
  ];
  it.each(variants)('dev with %s', (_what, mutate) => {
    expect(checkRenderedConfig(renderKongConfig(testStage('dev', mutate)))).toEqual([]);
  });
});

describe('every rule cites where it comes from', () => {
  it.each(ALL_KONG_RULES.map((r) => [r.id, r] as const))('%s', (_id, r) => {
    if (r.id.startsWith('kong/')) expect(r.source).toMatch(/(schema\.lua|\.lua|\.go)/);
    expect(r.source.length).toBeGreaterThan(10);
  });
});

/** [rule id, what is broken, how]: each rule must reject each of its broken files. */
const BROKEN: [string, string, (c: Json) => void][] = [
  ['kong/file-format', 'an old _format_version', (c) => (c._format_version = '1.1')],
  ['kong/file-format', 'a plugin without a schema rule', (c) => c.services[0].plugins.push({ name: 'cors' })],
  ['kong/service-schema', 'retries above 32767', (c) => (c.services[0].retries = 40000)],
  ['kong/service-schema', 'a zero read_timeout', (c) => (c.services[0].read_timeout = 0)],
  ['kong/service-schema', 'a port as a string', (c) => (c.services[0].port = '8080')],
  ['kong/service-schema', 'no host', (c) => delete c.services[0].host],
  ['kong/service-schema', 'an unknown field', (c) => (c.services[0].read_timout = 1000)],
  ['kong/route-schema', 'a path without a leading slash', (c) => (c.services[0].routes[0].paths = ['llm'])],
  [
    'kong/route-schema',
    'a non-boolean response_buffering',
    (c) => (c.services[0].routes[0].response_buffering = 'no'),
  ],
  [
    'kong/route-schema',
    'mixed http and tcp protocols',
    (c) => (c.services[0].routes[0].protocols = ['http', 'tcp']),
  ],
  ['kong/route-schema', 'no paths, hosts, methods or headers', (c) => delete catchAll(c).paths],
  ['kong/consumer-schema', 'neither username nor custom_id', (c) => delete c.consumers[1].username],
  [
    'kong/consumer-schema',
    'two consumers sharing a key',
    (c) => (c.consumers[1].keyauth_credentials = [...c.consumers[0].keyauth_credentials]),
  ],
  ['kong/consumer-schema', 'two consumers with one username', (c) => (c.consumers[1].username = 'smoke')],
  ['kong/references-resolve', 'a route to a missing service', (c) => (catchAll(c).service = 'nope')],
  [
    'kong/references-resolve',
    'two services with one name',
    (c) => c.services.push({ ...c.services[0], routes: [] }),
  ],
  [
    'kong/plugin-scope-unique',
    'two key-auth instances on one service',
    (c) => c.services[0].plugins.push(structuredClone(servicePlugin(c, 'key-auth'))),
  ],
  [
    'kong/key-auth-schema',
    'a key name with a space',
    (c) => (servicePlugin(c, 'key-auth').config.key_names = ['api key']),
  ],
  [
    'kong/key-auth-schema',
    'key-auth on a consumer',
    (c) => c.consumers[0].plugins.push({ name: 'key-auth', config: { key_names: ['apikey'] } }),
  ],
  [
    'kong/key-auth-schema',
    'a misspelt field',
    (c) => (servicePlugin(c, 'key-auth').config.hide_credential = true),
  ],
  [
    'kong/rate-limiting-schema',
    'an hour limit below the minute limit',
    (c) => (rateLimit(c).config.hour = 1),
  ],
  ['kong/rate-limiting-schema', 'an unknown policy', (c) => (rateLimit(c).config.policy = 'memory')],
  ['kong/rate-limiting-schema', 'a zero limit', (c) => (rateLimit(c).config.minute = 0)],
  [
    'kong/rate-limiting-schema',
    'sync_rate below 0.02 with redis',
    (c) => (rateLimit(c).config.sync_rate = 0.01),
  ],
  [
    'kong/rate-limiting-schema',
    'sync_rate with the local policy',
    (c) => {
      const cfg = rateLimit(c).config;
      cfg.policy = 'local';
      delete cfg.redis;
      cfg.sync_rate = 1;
    },
  ],
  ['kong/rate-limiting-schema', 'redis policy without a host', (c) => delete rateLimit(c).config.redis.host],
  [
    'kong/rate-limiting-schema',
    'no period at all',
    (c) => ['minute', 'hour'].forEach((p) => delete rateLimit(c).config[p]),
  ],
  [
    'kong/request-size-limiting-schema',
    'an unknown size unit',
    (c) => (servicePlugin(c, 'request-size-limiting').config.size_unit = 'gigabytes'),
  ],
  [
    'kong/request-size-limiting-schema',
    'a fractional size',
    (c) => (servicePlugin(c, 'request-size-limiting').config.allowed_payload_size = 8.5),
  ],
  [
    'kong/prometheus-schema',
    'a metric switch given as a string',
    (c) => (c.plugins.find((p: Json) => p.name === 'prometheus').config.per_consumer = 'yes'),
  ],
  [
    'kong/prometheus-schema',
    'an unknown field',
    (c) => (c.plugins.find((p: Json) => p.name === 'prometheus').config.metrics_path = '/metrics'),
  ],
  [
    'kong/request-termination-schema',
    'a status above 599',
    (c) => (catchAll(c).plugins[0].config.status_code = 600),
  ],
  [
    'kong/request-termination-schema',
    'message together with body',
    (c) => (catchAll(c).plugins[0].config.message = 'Not found'),
  ],
  [
    'kong/request-termination-schema',
    'content_type without body',
    (c) => delete catchAll(c).plugins[0].config.body,
  ],
  [
    'kong/pre-function-schema',
    'a phase given as a string',
    (c) => (globalPlugin(c, 'pre-function').config.access = 'return'),
  ],
  ['kong/pre-function-schema', 'no function at all', (c) => (globalPlugin(c, 'pre-function').config = {})],
  [
    'kong/post-function-schema',
    'a phase given as a string',
    (c) => (servicePlugin(c, 'post-function').config.access = 'return'),
  ],
  [
    'kong/post-function-schema',
    'post-function on a consumer',
    (c) => guard(c).plugins.push({ name: 'post-function', config: { access: ['return'] } }),
  ],
  ['kong/consumer-schema', 'an id that is not a UUID', (c) => (guard(c).id = 'key-guard')],
  [
    'kong/references-resolve',
    'key-auth anonymous naming no consumer',
    (c) => (servicePlugin(c, 'key-auth').config.anonymous = '00000000-0000-4000-8000-000000000000'),
  ],
  ['policy/key-guard', 'a guard with a key', (c) => (guard(c).keyauth_credentials = [{ key: 'x' }])],
  ['policy/key-guard', 'a guard with a username', (c) => (guard(c).username = 'key-guard')],
  ['policy/key-guard', 'a guard counted per consumer', (c) => (guardLimit(c).config.limit_by = 'consumer')],
  [
    'policy/key-guard',
    'a guard showing RateLimit headers on 401s',
    (c) => (guardLimit(c).config.hide_client_headers = false),
  ],
  [
    'policy/key-guard',
    'a guard failing closed (500 instead of 401 while Redis is down)',
    (c) => (guardLimit(c).config.fault_tolerant = false),
  ],
  [
    'policy/key-guard',
    'a guard counting per task while consumers count in Redis',
    (c) => {
      guardLimit(c).config.policy = 'local';
      delete guardLimit(c).config.redis;
    },
  ],
  ['policy/key-guard', 'a guard without rate-limiting', (c) => (guard(c).plugins = [])],
  [
    'policy/key-guard',
    'no post-function answering the guard',
    (c) => (c.services[0].plugins = c.services[0].plugins.filter((p: Json) => p.name !== 'post-function')),
  ],
  [
    'policy/credentials-stripped',
    'x-api-key left for the upstream',
    (c) => {
      const post = servicePlugin(c, 'post-function');
      post.config.access = [post.config.access[0].replace('"x-api-key", ', '')];
    },
  ],
  [
    'policy/credentials-stripped',
    'no post-function',
    (c) => (c.services[0].plugins = c.services[0].plugins.filter((p: Json) => p.name !== 'post-function')),
  ],
  [
    'policy/client-identity-cleared',
    'the pre-function on the service only (404s log a client-sent consumer)',
    (c) => {
      const pre = globalPlugin(c, 'pre-function');
      c.plugins = c.plugins.filter((p: Json) => p !== pre);
      c.services[0].plugins.unshift(pre);
    },
  ],
  [
    'policy/client-identity-cleared',
    'a pre-function that does not reject keys in the query string',
    (c) => (globalPlugin(c, 'pre-function').config.access = ['return']),
  ],
  [
    'policy/upstream-routes-authenticated',
    'the service without key-auth',
    (c) => (c.services[0].plugins = c.services[0].plugins.filter((p: Json) => p.name !== 'key-auth')),
  ],
  [
    'policy/upstream-routes-authenticated',
    'an anonymous fallback to a real consumer',
    (c) => (servicePlugin(c, 'key-auth').config.anonymous = 'smoke'),
  ],
  [
    'policy/upstream-routes-authenticated',
    'a second service and route without key-auth',
    (c) => {
      c.services.push({ name: 'other', host: 'other.internal', routes: [] });
      c.routes.push({ name: 'other-upstream', service: 'other', paths: ['/other/'] });
    },
  ],
  [
    'policy/key-auth-hardened',
    'key_in_query true',
    (c) => (servicePlugin(c, 'key-auth').config.key_in_query = true),
  ],
  [
    'policy/key-auth-hardened',
    'key_in_query left to its default (true)',
    (c) => delete servicePlugin(c, 'key-auth').config.key_in_query,
  ],
  [
    'policy/key-auth-hardened',
    'hide_credentials false',
    (c) => (servicePlugin(c, 'key-auth').config.hide_credentials = false),
  ],
  [
    'policy/key-auth-hardened',
    'a route-level key-auth that reads query strings',
    (c) =>
      (c.services[0].routes[0].plugins = [
        { name: 'key-auth', config: { key_names: ['apikey'], key_in_query: true, hide_credentials: true } },
      ]),
  ],
  [
    'policy/credentials-from-env',
    'a literal key',
    (c) => (c.consumers[0].keyauth_credentials[0].key = 'sk-live-123'),
  ],
  [
    'policy/credentials-from-env',
    "another consumer's variable",
    (c) => (c.consumers[1].keyauth_credentials[0].key = '${{ env "DECK_CONSUMER_SMOKE_KEY" }}'),
  ],
  [
    'policy/credentials-from-env',
    'a consumer without credentials',
    (c) => (c.consumers[1].keyauth_credentials = []),
  ],
  ['policy/consumer-rate-limits', 'a consumer without rate-limiting', (c) => (c.consumers[1].plugins = [])],
  ['policy/consumer-rate-limits', 'limit_by ip', (c) => (rateLimit(c).config.limit_by = 'ip')],
  [
    'policy/consumer-rate-limits',
    'hidden RateLimit headers',
    (c) => (rateLimit(c).config.hide_client_headers = true),
  ],
  ['policy/consumer-rate-limits', 'a fractional limit', (c) => (rateLimit(c).config.minute = 2.5)],
  ['policy/redis-tls-and-vault', 'TLS off', (c) => (rateLimit(c).config.redis.ssl = false)],
  [
    'policy/redis-tls-and-vault',
    'no certificate verification',
    (c) => (rateLimit(c).config.redis.ssl_verify = false),
  ],
  [
    'policy/redis-tls-and-vault',
    'a literal password',
    (c) => (rateLimit(c).config.redis.password = 'hunter2hunter2'),
  ],
  [
    'policy/redis-tls-and-vault',
    'a literal host',
    (c) => (rateLimit(c).config.redis.host = 'redis.internal'),
  ],
  [
    'policy/streaming-unbuffered',
    'buffered responses',
    (c) => (c.services[0].routes[0].response_buffering = true),
  ],
  [
    'policy/streaming-unbuffered',
    'buffering left to its default (true)',
    (c) => delete c.services[0].routes[0].response_buffering,
  ],
  ['policy/json-not-found', 'no catch-all route', (c) => (c.routes = [])],
  [
    'policy/json-not-found',
    'a text/plain 404',
    (c) => (catchAll(c).plugins[0].config.content_type = 'text/plain'),
  ],
  [
    'policy/json-not-found',
    'a body that is not JSON',
    (c) => (catchAll(c).plugins[0].config.body = 'Not found'),
  ],
  [
    'policy/body-size-limited',
    'no request-size-limiting',
    (c) =>
      (c.services[0].plugins = c.services[0].plugins.filter((p: Json) => p.name !== 'request-size-limiting')),
  ],
  [
    'policy/body-size-limited',
    'a zero size',
    (c) => (servicePlugin(c, 'request-size-limiting').config.allowed_payload_size = 0),
  ],
];

describe('each rule rejects its deliberately broken file', () => {
  it.each(BROKEN)('%s rejects %s', (id, _what, breakIt) => {
    const config = devConfig();
    breakIt(config);
    expect(rule(id).check(deckModel(config)).length).toBeGreaterThan(0);
  });

  it('has at least one broken file per rule', () => {
    const covered = new Set(BROKEN.map(([id]) => id));
    expect(ALL_KONG_RULES.map((r) => r.id).filter((id) => !covered.has(id))).toEqual([]);
  });
});

describe('plugin precedence as Kong applies it', () => {
  it('a route without its own key-auth inherits the service-level one', () => {
    const config = devConfig();
    config.services[0].routes.push({ name: 'llm-v2', paths: ['/llm-v2/'], response_buffering: false });
    expect(rule('policy/upstream-routes-authenticated').check(deckModel(config))).toEqual([]);
  });

  it('a route terminated by request-termination reaches no upstream and needs no key-auth', () => {
    const config = devConfig();
    config.services[0].plugins = config.services[0].plugins.filter((p: Json) => p.name !== 'key-auth');
    config.services[0].routes[0].plugins = [
      { name: 'request-termination', config: { status_code: 503, message: 'maintenance' } },
    ];
    expect(rule('policy/upstream-routes-authenticated').check(deckModel(config))).toEqual([]);
  });
});
