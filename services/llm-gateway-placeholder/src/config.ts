/**
 * Configuration of the placeholder, read once from environment variables at start. A bad value
 * fails the start with a message that names the variable, the value received and what is allowed,
 * so a broken task definition shows up in the first log line instead of as odd behaviour later.
 */

/** Validated settings of one placeholder process. */
export interface PlaceholderConfig {
  /** Address to bind (`HOST`). @default '0.0.0.0' */
  readonly host: string;
  /** TCP port (`PORT`); 0 picks a free port. @default 8080 */
  readonly port: number;
  /** Delay before the response starts, in ms (`PLACEHOLDER_LATENCY_MS`). @default 0 */
  readonly latencyMs: number;
  /** Delay between two streamed chunks, in ms (`PLACEHOLDER_CHUNK_DELAY_MS`). @default 0 */
  readonly chunkDelayMs: number;
  /**
   * Largest request body accepted, in bytes (`PLACEHOLDER_MAX_BODY_BYTES`); larger bodies get 413.
   * Must stay >= Kong's `request-size-limiting` limit so Kong answers 413 first.
   * @default 8388608 (8 MiB)
   */
  readonly maxBodyBytes: number;
  /**
   * The drain limit: how long after SIGTERM in-flight requests (streams included) may run before
   * they are cut off, in ms (`PLACEHOLDER_SHUTDOWN_TIMEOUT_MS`). Keep it below the ECS
   * `stopTimeout` (120 s at most on Fargate), or ECS kills the process first.
   * @default 25000
   */
  readonly shutdownTimeoutMs: number;
  /**
   * How long after SIGTERM the listener stays open and new requests are still served, in ms
   * (`PLACEHOLDER_SHUTDOWN_ACCEPT_MS`): clients find the placeholder through Cloud Map DNS and keep
   * the stopping task's address until their cached record expires, so the ECS task sets it to the
   * record's TTL plus a margin. Meanwhile `/healthz` answers 503 and every answer carries
   * `Connection: close`. Must be below `shutdownTimeoutMs` (or 0: stop accepting at once).
   * @default 0
   */
  readonly shutdownAcceptMs: number;
  /**
   * Idle keep-alive timeout of client connections, in ms (`PLACEHOLDER_KEEP_ALIVE_TIMEOUT_MS`).
   * Must exceed Kong's `upstream_keepalive_idle_timeout` (60 s), or Kong reuses a connection the
   * placeholder is closing and a POST fails with 502.
   * @default 75000
   */
  readonly keepAliveTimeoutMs: number;
  /**
   * Whether a request may set its own delays with `X-Placeholder-Latency-Ms` /
   * `X-Placeholder-Chunk-Delay-Ms` (`PLACEHOLDER_ALLOW_DELAY_OVERRIDE`, `true`/`false`). This is how
   * tests provoke Kong's timeouts, and how any consumer could hold a connection open for
   * `maxDelayMs`: on only where a stage asks for it.
   * @default false
   */
  readonly allowDelayOverride: boolean;
  /** Upper bound of any delay, configured or requested, in ms (`PLACEHOLDER_MAX_DELAY_MS`). @default 300000 */
  readonly maxDelayMs: number;
  /** Model ids listed by `GET /v1/models` (`PLACEHOLDER_MODELS`, comma-separated). @default ['placeholder-1'] */
  readonly models: readonly string[];
}

/** A configuration value that cannot be used. */
export class ConfigError extends Error {
  constructor(
    /** The environment variable at fault. */
    public readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** Every variable this service reads; any other `PLACEHOLDER_*` variable is a typo and fails the start. */
export const KNOWN_VARIABLES = [
  'HOST',
  'PORT',
  'PLACEHOLDER_LATENCY_MS',
  'PLACEHOLDER_CHUNK_DELAY_MS',
  'PLACEHOLDER_MAX_BODY_BYTES',
  'PLACEHOLDER_SHUTDOWN_TIMEOUT_MS',
  'PLACEHOLDER_SHUTDOWN_ACCEPT_MS',
  'PLACEHOLDER_KEEP_ALIVE_TIMEOUT_MS',
  'PLACEHOLDER_ALLOW_DELAY_OVERRIDE',
  'PLACEHOLDER_MAX_DELAY_MS',
  'PLACEHOLDER_MODELS',
] as const;

const MIB = 1024 * 1024;
const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/;

/** Defaults, exported so tests and the bench can start from them. */
export const DEFAULT_CONFIG: PlaceholderConfig = {
  host: '0.0.0.0',
  port: 8080,
  latencyMs: 0,
  chunkDelayMs: 0,
  maxBodyBytes: 8 * MIB,
  shutdownTimeoutMs: 25_000,
  shutdownAcceptMs: 0,
  keepAliveTimeoutMs: 75_000,
  allowDelayOverride: false,
  maxDelayMs: 300_000,
  models: ['placeholder-1'],
};

/** Parses a non-negative decimal integer within [min, max], or throws naming `variable`. */
export function parseInteger(variable: string, raw: string, min: number, max: number): number {
  const text = raw.trim();
  if (!/^\d+$/.test(text)) {
    throw new ConfigError(variable, `expected a whole number between ${min} and ${max}, got '${raw}'`);
  }
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(variable, `expected a whole number between ${min} and ${max}, got '${raw}'`);
  }
  return value;
}

function parseBoolean(variable: string, raw: string): boolean {
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === '1') return true;
  if (text === 'false' || text === '0') return false;
  throw new ConfigError(variable, `expected 'true' or 'false', got '${raw}'`);
}

function parseHost(variable: string, raw: string): string {
  const text = raw.trim();
  // An IPv4/IPv6 literal or a host name; no scheme, port or path.
  if (!/^[A-Za-z0-9.:-]{1,253}$/.test(text) || text.includes('://')) {
    throw new ConfigError(variable, `expected an address to bind such as 0.0.0.0 or ::, got '${raw}'`);
  }
  return text;
}

function parseModels(variable: string, raw: string): string[] {
  const models = raw
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m.length > 0);
  if (models.length === 0) {
    throw new ConfigError(variable, 'expected a comma-separated list of at least one model id');
  }
  const bad = models.find((m) => !MODEL_ID.test(m));
  if (bad !== undefined) {
    throw new ConfigError(
      variable,
      `'${bad}' is not a model id (letters, digits and . _ : / -, at most 100)`,
    );
  }
  if (new Set(models).size !== models.length) {
    throw new ConfigError(variable, `model ids must be unique, got '${raw}'`);
  }
  return models;
}

/**
 * Reads and validates the configuration from `env`. Unset or empty variables take their default.
 * @throws ConfigError naming the first variable at fault.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): PlaceholderConfig {
  const known = new Set<string>(KNOWN_VARIABLES);
  const unknown = Object.keys(env)
    .filter((name) => name.startsWith('PLACEHOLDER_') && !known.has(name))
    .sort();
  if (unknown.length > 0) {
    throw new ConfigError(
      unknown[0],
      `unknown setting (known: ${KNOWN_VARIABLES.filter((v) => v.startsWith('PLACEHOLDER_')).join(', ')})`,
    );
  }
  type Variable = (typeof KNOWN_VARIABLES)[number];
  /** The parsed value of `name`, or `fallback` when it is unset or empty. */
  const read = <T>(name: Variable, fallback: T, parse: (variable: string, raw: string) => T): T => {
    const raw = env[name];
    return raw === undefined || raw.trim() === '' ? fallback : parse(name, raw);
  };
  const integer =
    (min: number, max: number) =>
    (variable: string, raw: string): number =>
      parseInteger(variable, raw, min, max);

  const d = DEFAULT_CONFIG;
  const maxDelayMs = read('PLACEHOLDER_MAX_DELAY_MS', d.maxDelayMs, integer(0, 3_600_000));
  const shutdownTimeoutMs = read('PLACEHOLDER_SHUTDOWN_TIMEOUT_MS', d.shutdownTimeoutMs, integer(0, 600_000));
  const shutdownAcceptMs = read('PLACEHOLDER_SHUTDOWN_ACCEPT_MS', d.shutdownAcceptMs, integer(0, 600_000));
  if (shutdownAcceptMs > 0 && shutdownAcceptMs >= shutdownTimeoutMs) {
    throw new ConfigError(
      'PLACEHOLDER_SHUTDOWN_ACCEPT_MS',
      `${shutdownAcceptMs} must be below PLACEHOLDER_SHUTDOWN_TIMEOUT_MS (${shutdownTimeoutMs}): requests accepted at the end of the window need time to finish`,
    );
  }
  const config: PlaceholderConfig = {
    host: read('HOST', d.host, parseHost),
    port: read('PORT', d.port, integer(0, 65_535)),
    latencyMs: read('PLACEHOLDER_LATENCY_MS', d.latencyMs, integer(0, maxDelayMs)),
    chunkDelayMs: read('PLACEHOLDER_CHUNK_DELAY_MS', d.chunkDelayMs, integer(0, maxDelayMs)),
    maxBodyBytes: read('PLACEHOLDER_MAX_BODY_BYTES', d.maxBodyBytes, integer(1024, 1024 * MIB)),
    shutdownTimeoutMs,
    shutdownAcceptMs,
    keepAliveTimeoutMs: read(
      'PLACEHOLDER_KEEP_ALIVE_TIMEOUT_MS',
      d.keepAliveTimeoutMs,
      integer(1_000, 3_600_000),
    ),
    allowDelayOverride: read('PLACEHOLDER_ALLOW_DELAY_OVERRIDE', d.allowDelayOverride, parseBoolean),
    maxDelayMs,
    models: read('PLACEHOLDER_MODELS', d.models, parseModels),
  };
  return config;
}
