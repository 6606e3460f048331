/**
 * `npm run local:keys`: writes the git-ignored secrets of the local compose profile.
 *
 * - `infra/local/.env.keys`: `DECK_CONSUMER_<NAME>_KEY` for every consumer of the `local` stage
 *   (and `_PREVIOUS_KEY` for a rotating one), the variables the decK file references. Random keys
 *   by default; existing ones are kept, so re-running only fills in new consumers (`--force`
 *   regenerates all).
 * - `infra/local/.secrets/postgres_password`: the local database password (compose secret).
 *
 * With `--from-localstack [--endpoint-url <url>]`, the keys are read instead from the `local`
 * stage's secrets in LocalStack (`kong-gateway/local/consumers/<name>`, deployed by
 * `cdktf deploy kong-gateway-local`) with the AWS CLI, so the compose Kong serves those keys.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { parseArgs } from 'util';
import { loadStage } from '../../lib/settings/load';
import { consumerEnvStem } from '../../lib/contracts/consumers';
import type { ConsumerSettings } from '../../lib/settings/stage-settings';
import { keyFromSecretsManagerField, parseEnvFile } from '../smoke/keys';

export const ROOT = path.join(__dirname, '..', '..');
export const LOCAL_DIR = path.join(ROOT, 'infra', 'local');
/**
 * The consumer keys file. `LOCAL_KEYS_FILE` moves it (absolute path); the compose file reads the
 * same variable, so both sides agree.
 */
export const KEYS_FILE = process.env.LOCAL_KEYS_FILE || path.join(LOCAL_DIR, '.env.keys');
/** The database password file; `POSTGRES_PASSWORD_FILE` moves it, as in the compose file. */
export const POSTGRES_PASSWORD_FILE =
  process.env.POSTGRES_PASSWORD_FILE || path.join(LOCAL_DIR, '.secrets', 'postgres_password');
/** The stage the compose profile runs. */
export const LOCAL_STAGE = 'local';

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** A random key of letters and digits (header- and URL-safe), without modulo bias. */
export function randomKey(length = 48): string {
  let out = '';
  while (out.length < length) {
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += ALPHANUMERIC[byte % 62];
    }
  }
  return out;
}

/** The variables one consumer needs: its current key, and its previous key while rotating. */
export function consumerVariables(consumer: Pick<ConsumerSettings, 'name' | 'rotating'>): {
  current: string;
  previous?: string;
} {
  const stem = consumerEnvStem(consumer.name);
  return {
    current: `DECK_CONSUMER_${stem}_KEY`,
    ...(consumer.rotating ? { previous: `DECK_CONSUMER_${stem}_PREVIOUS_KEY` } : {}),
  };
}

/** Where the keys come from. */
export type KeyProvider = (consumer: string, field: 'current' | 'previous') => string;

/**
 * The env file's text for `consumers`: values from `existing` when present (unless `force`), else
 * from `provide`. Only the variables of declared consumers are written.
 */
export function renderKeysFile(
  consumers: readonly Pick<ConsumerSettings, 'name' | 'rotating'>[],
  existing: ReadonlyMap<string, string>,
  provide: KeyProvider,
  force = false,
): string {
  const lines = [
    '# Local consumer keys for the compose profile, written by `npm run local:keys`.',
    '# Git-ignored; never commit. The decK file references these variables.',
  ];
  for (const consumer of consumers) {
    const vars = consumerVariables(consumer);
    const current = (!force && existing.get(vars.current)) || provide(consumer.name, 'current');
    lines.push(`${vars.current}=${current}`);
    if (vars.previous) {
      const previous = (!force && existing.get(vars.previous)) || provide(consumer.name, 'previous');
      lines.push(`${vars.previous}=${previous}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Options of {@link writeLocalSecrets}. */
export interface WriteLocalSecretsOptions {
  /** Regenerate (or re-read) every key. @default false */
  readonly force?: boolean;
  /** Read the keys from LocalStack at this endpoint instead of generating them. */
  readonly fromLocalStack?: string;
  /** The keys file. @default infra/local/.env.keys */
  readonly keysFile?: string;
  /** The database password file. @default infra/local/.secrets/postgres_password */
  readonly passwordFile?: string;
  /** The consumers. @default the `local` stage's */
  readonly consumers?: readonly Pick<ConsumerSettings, 'name' | 'rotating'>[];
  /** The AWS CLI. @default "aws" */
  readonly awsCli?: string;
}

/** Writes the keys file (0600) and, if missing, the database password file; returns what it did. */
export function writeLocalSecrets(options: WriteLocalSecretsOptions = {}): string[] {
  const keysFile = options.keysFile ?? KEYS_FILE;
  const passwordFile = options.passwordFile ?? POSTGRES_PASSWORD_FILE;
  const stage = loadStage(path.join(ROOT, 'config'), LOCAL_STAGE);
  const consumers = options.consumers ?? stage.settings.consumers;
  const done: string[] = [];

  const existing = fs.existsSync(keysFile) ? parseEnvFile(fs.readFileSync(keysFile, 'utf8')) : new Map();
  const endpoint = options.fromLocalStack;
  const provide: KeyProvider = endpoint
    ? (consumer, field) =>
        keyFromSecretsManagerField({
          stage: LOCAL_STAGE,
          consumer,
          field,
          endpointUrl: endpoint,
          region: stage.settings.region,
          ...(options.awsCli ? { awsCli: options.awsCli } : {}),
        })
    : () => randomKey();
  // Keys from LocalStack replace whatever the file had: they are the source of truth then.
  const text = renderKeysFile(consumers, existing, provide, options.force || endpoint !== undefined);
  const before = fs.existsSync(keysFile) ? fs.readFileSync(keysFile, 'utf8') : undefined;
  if (text !== before) {
    fs.mkdirSync(path.dirname(keysFile), { recursive: true });
    fs.writeFileSync(keysFile, text, { mode: 0o600 });
    fs.chmodSync(keysFile, 0o600);
    done.push(
      `wrote ${path.relative(process.cwd(), keysFile)} (${consumers.map((c) => c.name).join(', ')}; keys ${endpoint ? `from LocalStack ${endpoint}` : 'random'})`,
    );
  }
  if (!fs.existsSync(passwordFile)) {
    // The directory keeps other users out; the file itself must be readable by the containers'
    // users (postgres, kong), as compose mounts it with the host's permissions.
    fs.mkdirSync(path.dirname(passwordFile), { recursive: true, mode: 0o700 });
    fs.writeFileSync(passwordFile, randomKey(32), { mode: 0o644 });
    done.push(`wrote ${path.relative(process.cwd(), passwordFile)}`);
  }
  return done;
}

if (require.main === module) {
  try {
    const { values } = parseArgs({
      options: {
        force: { type: 'boolean' },
        'from-localstack': { type: 'boolean' },
        'endpoint-url': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    });
    if (values['endpoint-url'] !== undefined && !values['from-localstack']) {
      throw new Error('--endpoint-url only applies with --from-localstack');
    }
    const done = writeLocalSecrets({
      ...(values.force ? { force: true } : {}),
      ...(values['from-localstack']
        ? { fromLocalStack: values['endpoint-url'] ?? 'http://localhost:4566' }
        : {}),
    });
    console.log(done.length ? done.join('\n') : 'local keys are up to date');
  } catch (err) {
    console.error(`local:keys: ${(err as Error).message}`);
    process.exitCode = 2;
  }
}
