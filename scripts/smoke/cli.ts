/**
 * `npm run smoke -- --url <base-url> [options]`: black-box checks against a running gateway.
 * Exit 0 when every check passed, 1 when one failed, 2 for bad flags or a key that cannot be read.
 */
import { parseSmokeArgs, USAGE, UsageError, type SmokeOptions } from './args';
import { CHECKS, runSmoke, type CheckResult } from './checks';
import { keyFromEnvFile, keyFromSecretsManager, KeySourceError, randomWrongKey } from './keys';

/** Where the CLI writes; injectable for tests. */
export interface Output {
  out(line: string): void;
  err(line: string): void;
}

/** Reads the key the options point at. Throws `KeySourceError`. */
export function resolveKey(options: SmokeOptions): string {
  const source = options.keySource;
  switch (source.kind) {
    case 'flag':
      return source.key;
    case 'env-file':
      return keyFromEnvFile(source.file, options.consumer);
    case 'secrets-manager':
      return keyFromSecretsManager({
        stage: source.stage,
        consumer: options.consumer,
        ...(source.region ? { region: source.region } : {}),
        ...(source.endpointUrl ? { endpointUrl: source.endpointUrl } : {}),
        ...(process.env.SMOKE_AWS_CLI ? { awsCli: process.env.SMOKE_AWS_CLI } : {}),
      });
  }
}

function describeSource(options: SmokeOptions): string {
  const s = options.keySource;
  if (s.kind === 'flag') return '--key';
  if (s.kind === 'env-file') return s.file;
  return `Secrets Manager kong-gateway/${s.stage}/consumers/${options.consumer}${s.endpointUrl ? ` at ${s.endpointUrl}` : ''}`;
}

/** Formats one result line: `PASS  key-200  200 with the consumer key: ...`. */
export function formatResult(r: CheckResult): string {
  const width = Math.max(...Object.keys(CHECKS).map((k) => k.length));
  return `${r.passed ? 'PASS' : 'FAIL'}  ${r.id.padEnd(width)}  ${r.title}: ${r.detail}`;
}

/** Runs the CLI; resolves with the exit status. */
export async function main(argv: readonly string[], io: Output): Promise<number> {
  let options: SmokeOptions;
  try {
    const parsed = parseSmokeArgs(argv);
    if (parsed.help) {
      io.out(USAGE);
      return 0;
    }
    options = parsed.options;
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    io.err(`smoke: ${err.message}`);
    return 2;
  }
  let key: string;
  try {
    key = resolveKey(options);
  } catch (err) {
    if (!(err instanceof KeySourceError)) throw err;
    io.err(`smoke: no key for consumer "${options.consumer}": ${err.message}`);
    return 2;
  }
  const wrongKey = options.wrongKey ?? randomWrongKey();
  io.out(
    `Smoke test of ${options.baseUrl.href} as consumer "${options.consumer}" (key from ${describeSource(options)}; ` +
      `LLM prefix "${options.prefix || '/'}"; deadline ${options.deadlineMs / 1000} s)`,
  );
  const started = Date.now();
  const results = await runSmoke({ ...options, key, wrongKey }, (r) => io.out(formatResult(r)));
  const failed = results.filter((r) => !r.passed);
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (failed.length === 0) {
    io.out(`smoke: all ${results.length} checks passed in ${seconds} s`);
    return 0;
  }
  io.out(
    `smoke: FAILED ${failed.length} of ${results.length} checks in ${seconds} s: ${failed.map((r) => r.id).join(', ')}`,
  );
  return 1;
}

if (require.main === module) {
  main(process.argv.slice(2), { out: (l) => console.log(l), err: (l) => console.error(l) }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(`smoke: unexpected error: ${err instanceof Error ? err.stack : String(err)}`);
      process.exitCode = 2;
    },
  );
}
