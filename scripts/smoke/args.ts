/**
 * Command-line flags of `npm run smoke`. Every bad flag is rejected with a message that names it,
 * the value received and what is allowed; nothing is sent before the flags are valid.
 */
import * as path from 'path';
import { parseArgs } from 'util';

/** Where the key comes from. */
export type KeySource =
  | { readonly kind: 'flag'; readonly key: string }
  | { readonly kind: 'env-file'; readonly file: string }
  | {
      readonly kind: 'secrets-manager';
      readonly stage: string;
      readonly region?: string;
      readonly endpointUrl?: string;
    };

/** Validated options of one smoke run. */
export interface SmokeOptions {
  /** The gateway's base URL (`http://localhost:8000`, the ALB, or the stage's domain). */
  readonly baseUrl: URL;
  /** The consumer whose key is used. @default "smoke" */
  readonly consumer: string;
  /** Where the consumer's key comes from. */
  readonly keySource: KeySource;
  /** A key that must be refused. @default a random one */
  readonly wrongKey?: string;
  /** Header that carries the key. @default "apikey" */
  readonly keyHeader: string;
  /** Send the key as `Authorization: Bearer <key>` instead of `keyHeader`. @default false */
  readonly bearer: boolean;
  /** Path prefix of the LLM routes on the gateway. @default "/llm" */
  readonly prefix: string;
  /** The placeholder's echo endpoint, below the prefix. @default "/v1/echo" */
  readonly echoPath: string;
  /** The chat completions endpoint, below the prefix. @default "/v1/chat/completions" */
  readonly completionsPath: string;
  /** Model named in the streaming request. @default "placeholder-1" */
  readonly model: string;
  /** Most requests the rate-limit check sends before it gives up on seeing a 429. @default 40 */
  readonly maxRateLimitRequests: number;
  /**
   * Most requests without a valid key the key-guard check sends before it gives up on seeing a
   * 429 (the stage's `rateLimiting.failedAuthenticationsPerMinute`, 10 by default, must be below).
   * @default 40
   */
  readonly maxGuardRequests: number;
  /**
   * The stage's `kong.maxRequestBodyMiB`: the 413 check declares a body one byte above it (and
   * never sends that body). @default 8
   */
  readonly maxBodyMiB: number;
  /** Timeout of one request, in ms. @default 15000 */
  readonly requestTimeoutMs: number;
  /** Wall-time budget of the whole run, in ms; checks not started by then fail. @default 120000 */
  readonly deadlineMs: number;
  /** Longest wait for a `Retry-After` before retrying a request that met a 429. @default 65000 */
  readonly maxRetryAfterMs: number;
}

/** A flag is missing, unknown or has a bad value. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The local keys file: `LOCAL_KEYS_FILE` (as for compose and local:keys), else the repository's. */
export const DEFAULT_KEYS_FILE =
  process.env.LOCAL_KEYS_FILE || path.join(__dirname, '..', '..', 'infra', 'local', '.env.keys');

export const USAGE = `Usage: npm run smoke -- --url <base-url> [options]

Black-box checks against a running gateway (local compose, the ALB, or the stage's domain).

Key source (one of; default: the local keys file):
  --key <key>                  the consumer's key
  --keys-file <path>           env file with DECK_CONSUMER_<NAME>_KEY (default infra/local/.env.keys)
  --stage <stage>              read secret kong-gateway/<stage>/consumers/<consumer> with the AWS CLI
    --region <region>          AWS region of the secret (default: the CLI's configuration)
    --aws-endpoint-url <url>   another endpoint, e.g. LocalStack http://localhost:4566

Options:
  --consumer <name>            consumer whose key is used (default smoke)
  --wrong-key <key>            a key that must be refused (default: a random one)
  --key-header <name>          header carrying the key (default apikey)
  --bearer                     send the key as "Authorization: Bearer <key>" instead
  --prefix <path>              path prefix of the LLM routes (default /llm)
  --echo-path <path>           echo endpoint below the prefix (default /v1/echo)
  --completions-path <path>    chat completions endpoint below the prefix (default /v1/chat/completions)
  --model <id>                 model of the streaming request (default placeholder-1)
  --max-rate-requests <n>      most requests sent to reach the limit (default 40, max 1000)
  --max-guard-requests <n>     most keyless requests sent to reach the key guard's 429 (default 40, max 1000)
  --max-body-mib <n>           the stage's kong.maxRequestBodyMiB, for the 413 check (default 8)
  --timeout <seconds>          timeout of one request (default 15)
  --deadline <seconds>         wall-time budget of the whole run (default 120)
  --max-retry-after <seconds>  longest Retry-After wait before retrying a request (default 65)
  -h, --help                   this text

Exit status: 0 every check passed, 1 a check failed, 2 bad flags or no key.`;

const FLAGS = {
  url: { type: 'string' },
  key: { type: 'string' },
  'keys-file': { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  'aws-endpoint-url': { type: 'string' },
  consumer: { type: 'string' },
  'wrong-key': { type: 'string' },
  'key-header': { type: 'string' },
  bearer: { type: 'boolean' },
  prefix: { type: 'string' },
  'echo-path': { type: 'string' },
  'completions-path': { type: 'string' },
  model: { type: 'string' },
  'max-rate-requests': { type: 'string' },
  'max-guard-requests': { type: 'string' },
  'max-body-mib': { type: 'string' },
  timeout: { type: 'string' },
  deadline: { type: 'string' },
  'max-retry-after': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

/** The result of parsing: either help was asked for, or options to run with. */
export type ParsedArgs = { readonly help: true } | { readonly help: false; readonly options: SmokeOptions };

function integerFlag(
  name: string,
  value: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new UsageError(`--${name}: "${value}" is not a whole number from ${min} to ${max}`);
  }
  return Number(value);
}

function pathFlag(name: string, value: string | undefined, fallback: string, allowEmpty = false): string {
  const v = value ?? fallback;
  if (allowEmpty && (v === '' || v === '/')) return '';
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(v) || v.includes('//')) {
    throw new UsageError(`--${name}: "${v}" must be a URL path starting with "/" (e.g. ${fallback})`);
  }
  return v.replace(/\/+$/, '');
}

const NAME = /^[a-z][a-z0-9-]{1,40}$/;
const STAGE = /^[a-z][a-z0-9-]{1,20}$/;
const HEADER = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** Parses and validates the flags (without `node` and the script). Throws `UsageError`. */
export function parseSmokeArgs(argv: readonly string[]): ParsedArgs {
  let values: { [K in keyof typeof FLAGS]?: (typeof FLAGS)[K]['type'] extends 'boolean' ? boolean : string };
  try {
    ({ values } = parseArgs({ args: [...argv], options: FLAGS, strict: true, allowPositionals: false }));
  } catch (err) {
    // node's messages already name the flag ("Unknown option '--urll'", "Option '--url <value>'
    // argument missing"); keep them, add where to look.
    throw new UsageError(`${(err as Error).message.split('\n')[0]} (see --help)`);
  }
  if (values.help) return { help: true };

  if (values.url === undefined) throw new UsageError('--url is required, e.g. --url http://localhost:8000');
  let baseUrl: URL;
  try {
    baseUrl = new URL(values.url);
  } catch {
    throw new UsageError(`--url: "${values.url}" is not a URL (e.g. http://localhost:8000)`);
  }
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') {
    throw new UsageError(`--url: "${values.url}" must use http:// or https://`);
  }
  if (baseUrl.search || baseUrl.hash || baseUrl.username || baseUrl.password) {
    throw new UsageError(`--url: "${values.url}" must be a base URL without query, fragment or credentials`);
  }

  const consumer = values.consumer ?? 'smoke';
  if (!NAME.test(consumer)) throw new UsageError(`--consumer: "${consumer}" must match ${NAME}`);

  const sources = (['key', 'keys-file', 'stage'] as const).filter((f) => values[f] !== undefined);
  if (sources.length > 1) {
    throw new UsageError(`--${sources[0]} and --${sources[1]} both name a key source: give only one`);
  }
  for (const f of ['region', 'aws-endpoint-url'] as const) {
    if (values[f] !== undefined && values.stage === undefined) {
      throw new UsageError(`--${f} only applies with --stage (reading the key from Secrets Manager)`);
    }
  }
  let keySource: KeySource;
  if (values.key !== undefined) {
    if (values.key.trim() === '') throw new UsageError('--key: the key is empty');
    keySource = { kind: 'flag', key: values.key };
  } else if (values.stage !== undefined) {
    if (!STAGE.test(values.stage)) throw new UsageError(`--stage: "${values.stage}" must match ${STAGE}`);
    if (values.region !== undefined && !/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/.test(values.region)) {
      throw new UsageError(`--region: "${values.region}" is not an AWS region name such as eu-west-1`);
    }
    if (values['aws-endpoint-url'] !== undefined && !/^https?:\/\/[^\s]+$/.test(values['aws-endpoint-url'])) {
      throw new UsageError(`--aws-endpoint-url: "${values['aws-endpoint-url']}" must be an http(s) URL`);
    }
    keySource = {
      kind: 'secrets-manager',
      stage: values.stage,
      ...(values.region !== undefined ? { region: values.region } : {}),
      ...(values['aws-endpoint-url'] !== undefined ? { endpointUrl: values['aws-endpoint-url'] } : {}),
    };
  } else {
    keySource = { kind: 'env-file', file: values['keys-file'] ?? DEFAULT_KEYS_FILE };
  }

  if (values['wrong-key'] !== undefined && values['wrong-key'].trim() === '') {
    throw new UsageError('--wrong-key: the key is empty (omit the flag to use a random one)');
  }
  if (
    values['wrong-key'] !== undefined &&
    keySource.kind === 'flag' &&
    values['wrong-key'] === keySource.key
  ) {
    throw new UsageError('--wrong-key: must differ from --key');
  }
  const keyHeader = values['key-header'] ?? 'apikey';
  if (!HEADER.test(keyHeader))
    throw new UsageError(`--key-header: "${keyHeader}" is not a valid header name`);
  if (values.bearer && values['key-header'] !== undefined) {
    throw new UsageError('--bearer and --key-header exclude each other: the key goes in one place');
  }
  const model = values.model ?? 'placeholder-1';
  if (!/^[A-Za-z0-9][A-Za-z0-9._:/-]{0,99}$/.test(model))
    throw new UsageError(`--model: "${model}" is not a model id`);

  return {
    help: false,
    options: {
      baseUrl,
      consumer,
      keySource,
      ...(values['wrong-key'] !== undefined ? { wrongKey: values['wrong-key'] } : {}),
      keyHeader,
      bearer: values.bearer ?? false,
      prefix: pathFlag('prefix', values.prefix, '/llm', true),
      echoPath: pathFlag('echo-path', values['echo-path'], '/v1/echo'),
      completionsPath: pathFlag('completions-path', values['completions-path'], '/v1/chat/completions'),
      model,
      maxRateLimitRequests: integerFlag('max-rate-requests', values['max-rate-requests'], 40, 1, 1000),
      maxGuardRequests: integerFlag('max-guard-requests', values['max-guard-requests'], 40, 1, 1000),
      maxBodyMiB: integerFlag('max-body-mib', values['max-body-mib'], 8, 1, 128),
      requestTimeoutMs: integerFlag('timeout', values.timeout, 15, 1, 600) * 1000,
      deadlineMs: integerFlag('deadline', values.deadline, 120, 5, 3600) * 1000,
      maxRetryAfterMs: integerFlag('max-retry-after', values['max-retry-after'], 65, 0, 3600) * 1000,
    },
  };
}
