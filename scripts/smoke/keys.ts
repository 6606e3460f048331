/**
 * Where the smoke test's key comes from: a flag, the local env file written by
 * `npm run local:keys` (`infra/local/.env.keys`), or the stage's Secrets Manager secret
 * (`kong-gateway/<stage>/consumers/<consumer>`, read with the AWS CLI: no SDK dependency).
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import { consumerSecretName } from '../../lib/contracts/naming';

/** The key could not be obtained; the message says from where and what to do. */
export class KeySourceError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeySourceError';
  }
}

/** `acme-app` -> `ACME_APP`, as `consumerEnvStem` in lib/settings/stage-settings.ts. */
export function envStem(consumer: string): string {
  return consumer.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/** The variable that holds a consumer's current key, in the env file and in Kong's task. */
export function keyVariable(consumer: string): string {
  return `DECK_CONSUMER_${envStem(consumer)}_KEY`;
}

/** Parses `NAME=value` lines (blank lines and `#` comments skipped, optional quotes removed). */
export function parseEnvFile(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!match) continue;
    let value = match[2]!.trim();
    if (/^(['"]).*\1$/.test(value)) value = value.slice(1, -1);
    vars.set(match[1]!, value);
  }
  return vars;
}

/** Reads a consumer's key from an env file such as `infra/local/.env.keys`. */
export function keyFromEnvFile(file: string, consumer: string): string {
  if (!fs.existsSync(file)) {
    throw new KeySourceError(
      `${file} does not exist: run "npm run local:keys" (or "npm run local:up"), or pass --key / --stage`,
    );
  }
  const variable = keyVariable(consumer);
  const key = parseEnvFile(fs.readFileSync(file, 'utf8')).get(variable);
  if (!key) throw new KeySourceError(`${file} has no ${variable}: regenerate it with "npm run local:keys"`);
  return key;
}

/** Options of {@link keyFromSecretsManager}. */
export interface SecretsManagerSource {
  /** Stage whose secret to read. */
  readonly stage: string;
  /** Consumer name. */
  readonly consumer: string;
  /** AWS region; the CLI's own configuration when absent. */
  readonly region?: string;
  /** Another endpoint (LocalStack: `http://localhost:4566`). */
  readonly endpointUrl?: string;
  /** The AWS CLI executable. @default "aws" */
  readonly awsCli?: string;
  /** Give up after this many milliseconds. @default 30000 */
  readonly timeoutMs?: number;
}

/** The secret's name, as the contracts fix it. */
export function secretId(stage: string, consumer: string): string {
  return consumerSecretName(stage, consumer);
}

/**
 * Reads the `current` key from the stage's secret with
 * `aws secretsmanager get-secret-value`. The key never appears in the error messages.
 */
export function keyFromSecretsManager(source: SecretsManagerSource): string {
  return keyFromSecretsManagerField({ ...source, field: 'current' });
}

/** Reads one field (`current`, or `previous` during a rotation) of the stage's key secret. */
export function keyFromSecretsManagerField(
  source: SecretsManagerSource & { readonly field: 'current' | 'previous' },
): string {
  const id = secretId(source.stage, source.consumer);
  const args = [
    'secretsmanager',
    'get-secret-value',
    '--secret-id',
    id,
    '--query',
    'SecretString',
    '--output',
    'text',
  ];
  if (source.region) args.push('--region', source.region);
  if (source.endpointUrl) args.push('--endpoint-url', source.endpointUrl);
  const cli = source.awsCli ?? 'aws';
  // LocalStack accepts any credentials; without configured ones the CLI would refuse to sign, so
  // give it LocalStack's documented dummy pair (only for another endpoint, never for AWS itself).
  const env =
    source.endpointUrl && !process.env.AWS_ACCESS_KEY_ID && !process.env.AWS_PROFILE
      ? { ...process.env, AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test' }
      : process.env;
  const result = spawnSync(cli, args, { encoding: 'utf8', timeout: source.timeoutMs ?? 30_000, env });
  if (result.error) {
    throw new KeySourceError(`could not run "${cli}" to read secret ${id}: ${result.error.message}`);
  }
  if (result.status !== 0) {
    throw new KeySourceError(
      `"${cli} secretsmanager get-secret-value --secret-id ${id}" exited ${result.status}: ${result.stderr.trim()}`,
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(result.stdout);
  } catch {
    throw new KeySourceError(`secret ${id} is not JSON (expected {"current": "<key>"})`);
  }
  const key = (value as Record<string, unknown> | null)?.[source.field];
  if (typeof key !== 'string' || key === '') {
    throw new KeySourceError(
      `secret ${id} has no "${source.field}" key (expected {"current": "<key>"}${source.field === 'previous' ? ' with "previous" while rotating' : ''})`,
    );
  }
  return key;
}

/** A random key that no consumer holds (for the wrong-key check). */
export function randomWrongKey(): string {
  return `smoke-wrong-${crypto.randomBytes(18).toString('base64url')}`;
}
