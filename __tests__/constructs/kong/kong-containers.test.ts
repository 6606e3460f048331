/**
 * Runs the task's shell scripts for real with /bin/sh against fake `kong`, `deck`, `date` and
 * `sleep` commands, so the migrations gate and the config-sync retries are tested as behaviour,
 * not only as text. The real images use dash (Kong, Ubuntu) and busybox ash (decK, Alpine); this
 * runs the host's /bin/sh, a POSIX shell as well.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import {
  CONFIG_SYNC_ATTEMPTS,
  DECK_CONFIG_ENV,
  CREDENTIAL_VERSIONS_ENV,
  MIGRATIONS_SCRIPT,
  VOLUME_INIT_SCRIPT,
  configSyncScript,
  databaseEnvironmentProblems,
  kongEnvironment,
} from '../../../lib/constructs/kong/kong-containers';
import {
  KONG_ACCESS_LOG_FIELDS,
  KONG_LOG_FILTER_PATTERNS,
} from '../../../lib/constructs/kong/kong-access-log';
import { CONFIG_SYNC_FAILED_LINE } from '../../../lib/contracts/log-lines';

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
  calls: string[];
  sleeps: number[];
  dir: string;
}

const scratchDirs: string[] = [];
afterAll(() => scratchDirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** Writes an executable shell script. */
function executable(file: string, body: string): void {
  fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
}

/**
 * Runs `script` (with /tmp redirected to a scratch directory) with fake commands on PATH.
 * `listExits`: exit codes `kong migrations list` returns, in order (the last one repeats).
 * `deckExits`: the same for `deck gateway sync`. `clock`: values `date +%s` returns, in order.
 */
function run(
  script: string,
  opts: { listExits?: number[]; deckExits?: number[]; clock?: number[]; env?: Record<string, string> } = {},
): Run {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kong-task-'));
  scratchDirs.push(dir);
  const bin = path.join(dir, 'bin');
  fs.mkdirSync(bin);
  const queue = (name: string, values: number[]) =>
    fs.writeFileSync(path.join(dir, name), values.map(String).join('\n') + '\n');
  queue('list-exits', opts.listExits ?? [0]);
  queue('deck-exits', opts.deckExits ?? [0]);
  queue('clock', opts.clock ?? [1000]);
  // Pops the next value of a queue file, keeping the last one.
  const pop = (file: string) =>
    `f="${path.join(dir, file)}"; v=$(head -n 1 "$f"); if [ "$(wc -l < "$f")" -gt 1 ]; then tail -n +2 "$f" > "$f.n" && mv "$f.n" "$f"; fi`;
  executable(
    path.join(bin, 'kong'),
    `echo "kong $*" >> "${dir}/calls"
if [ "$1 $2" = "migrations list" ]; then ${pop('list-exits')}; exit "$v"; fi
exit 0`,
  );
  executable(path.join(bin, 'deck'), `echo "deck $*" >> "${dir}/calls"\n${pop('deck-exits')}\nexit "$v"`);
  executable(path.join(bin, 'date'), `${pop('clock')}\necho "$v"`);
  executable(path.join(bin, 'sleep'), `echo "$1" >> "${dir}/sleeps"`);
  const result = spawnSync('/bin/sh', ['-c', script.replace(/\/tmp\//g, `${dir}/`)], {
    env: { PATH: `${bin}:${process.env.PATH}`, ...opts.env },
    encoding: 'utf8',
    timeout: 20000,
  });
  const lines = (file: string) =>
    fs.existsSync(path.join(dir, file))
      ? fs.readFileSync(path.join(dir, file), 'utf8').trim().split('\n')
      : [];
  return {
    status: result.status,
    stdout: result.stdout,
    stderr: result.stderr,
    calls: lines('calls'),
    sleeps: lines('sleeps').map(Number),
    dir,
  };
}

describe('the migrations gate (kong-migrations container)', () => {
  it('bootstraps an empty database (list: 3) and lets Kong start once list says 0', () => {
    const r = run(MIGRATIONS_SCRIPT, { listExits: [3, 0] });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['kong migrations list', 'kong migrations bootstrap', 'kong migrations list']);
    expect(r.stdout).toMatch(/empty database, bootstrapping[\s\S]*schema up to date/);
  });

  it('runs up for new migrations (list: 5) and starts Kong with finish pending (list: 4)', () => {
    const r = run(MIGRATIONS_SCRIPT, { listExits: [5, 4] });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(['kong migrations list', 'kong migrations up', 'kong migrations list']);
    expect(r.stdout).toMatch(/finish is pending/);
  });

  it('after a lost bootstrap race asks list again instead of trusting the exit code', () => {
    // Another task bootstrapped meanwhile; its up is still running (5), then everything is done.
    const r = run(MIGRATIONS_SCRIPT, { listExits: [3, 5, 0] });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([
      'kong migrations list',
      'kong migrations bootstrap',
      'kong migrations list',
      'kong migrations up',
      'kong migrations list',
    ]);
  });

  it('waits, with growing pauses, while the database is unreachable, and never runs finish', () => {
    const r = run(MIGRATIONS_SCRIPT, { listExits: [1, 1, 1, 0] });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual(Array(4).fill('kong migrations list'));
    expect(r.sleeps).toEqual([5, 10, 15]);
    expect(r.calls.join('\n')).not.toMatch(/finish/);
  });

  it('gives up with exit 1 after its deadline, so the task fails and the deployment rolls back', () => {
    // First `date` sets the deadline (1000 + 900), the next ones are past it.
    const r = run(MIGRATIONS_SCRIPT, { listExits: [1], clock: [1000, 1100, 5000] });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/still not ready after 2 attempts; giving up/);
  });
});

describe('the config-sync container', () => {
  const config = '_format_version: "3.0"\nservices: []\n';
  const env = { [DECK_CONFIG_ENV]: Buffer.from(config).toString('base64') };
  const script = configSyncScript('http://127.0.0.1:8001');
  /** Output lines the config-sync failure metric filter counts. */
  const failureLines = (r: Run) =>
    `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.includes(CONFIG_SYNC_FAILED_LINE));

  it('decodes the file and syncs it through the loopback admin API', () => {
    const r = run(script, { env });
    expect(r.status).toBe(0);
    expect(r.calls).toEqual([`deck gateway sync --kong-addr http://127.0.0.1:8001 ${r.dir}/kong.yaml`]);
    expect(fs.readFileSync(path.join(r.dir, 'kong.yaml'), 'utf8')).toBe(config);
    expect(r.stdout).toMatch(/sha256 [0-9a-f]{64}/);
  });

  it('retries a failed sync (a concurrent task won a create) with exponential backoff and jitter', () => {
    const r = run(script, { env, deckExits: [1, 1, 1, 0] });
    expect(r.status).toBe(0);
    expect(r.calls).toHaveLength(4);
    expect(r.sleeps).toHaveLength(3);
    [2, 4, 8].forEach((base, i) => {
      expect(r.sleeps[i]).toBeGreaterThanOrEqual(base);
      expect(r.sleeps[i]).toBeLessThan(base + 5);
    });
    expect(r.stdout).toMatch(/configuration applied \(attempt 4\)/);
    // Failed attempts that are retried are not a failure the alarm should count.
    expect(failureLines(r)).toEqual([]);
  });

  it(`gives up after ${CONFIG_SYNC_ATTEMPTS} attempts with exit 1`, () => {
    const r = run(script, { env, deckExits: [1] });
    expect(r.status).toBe(1);
    expect(r.calls).toHaveLength(CONFIG_SYNC_ATTEMPTS);
    expect(r.stderr).toMatch(/giving up after 8 attempts/);
    expect(failureLines(r)).toEqual([
      'config-sync: FAILED: giving up after 8 attempts; Kong keeps its previous configuration',
    ]);
  });

  it('stops at once when the file cannot be decoded', () => {
    const r = run(script, { env: { [DECK_CONFIG_ENV]: '%%% not base64 %%%' } });
    expect(r.status).toBe(1);
    expect(r.calls).toEqual([]);
    expect(failureLines(r)).toEqual([`config-sync: FAILED: cannot decode ${DECK_CONFIG_ENV}`]);
  });

  it('prints the key-version digest of its task, by which a revocation is watched', () => {
    const digest = 'ab'.repeat(32);
    const r = run(script, { env: { ...env, [CREDENTIAL_VERSIONS_ENV]: digest } });
    expect(r.stdout).toContain(`config-sync: credential versions sha256 ${digest}\n`);
    expect(r.stdout.indexOf('credential versions')).toBeLessThan(r.stdout.indexOf('configuration applied'));
  });

  it('prints no failure line when the first sync succeeds', () => {
    expect(failureLines(run(script, { env }))).toEqual([]);
  });
});

describe('the volume-init container', () => {
  it('is valid POSIX shell', () => {
    const r = spawnSync('/bin/sh', ['-n', '-c', VOLUME_INIT_SCRIPT], { encoding: 'utf8' });
    expect(r.status).toBe(0);
  });
});

describe('the 429 filter patterns over the access log (ADR 0013)', () => {
  /** Evaluates the `{ $.f = v && $.g != "w" }` subset of CloudWatch's JSON filter patterns. */
  const matches = (pattern: string, line: Record<string, unknown>): boolean =>
    pattern
      .replace(/^\{\s*|\s*\}$/g, '')
      .split('&&')
      .every((term) => {
        const m = /^\s*\$\.([a-z_]+)\s*(!=|=)\s*("?)([^"\s]*)\3\s*$/.exec(term);
        if (!m) throw new Error(`unsupported term ${term}`);
        const actual = String(line[m[1]!]);
        return m[2] === '=' ? actual === m[4] : actual !== m[4];
      });
  const consumer429 = { status: 429, consumer: 'acme-app', anonymous: '' };
  const guard429 = { status: 429, consumer: '', anonymous: 'true' };

  it("splits consumers' 429s by consumer and counts the key guard's apart, never as a consumer", () => {
    const p = KONG_LOG_FILTER_PATTERNS;
    expect([
      matches(p.rateLimitedByConsumer, consumer429),
      matches(p.keyGuardThrottled, consumer429),
    ]).toEqual([true, false]);
    expect([matches(p.rateLimitedByConsumer, guard429), matches(p.keyGuardThrottled, guard429)]).toEqual([
      false,
      true,
    ]);
    expect(matches('{ $.status = 401 }', { status: 401, consumer: '', anonymous: 'true' })).toBe(true);
  });

  it('logs key-auth X-Anonymous-Consumer beside the consumer, the fields those patterns read', () => {
    expect(KONG_ACCESS_LOG_FIELDS).toMatchObject({
      consumer: '"$http_x_consumer_username"',
      anonymous: '"$http_x_anonymous_consumer"',
    });
  });
});

describe("Kong's trusted addresses", () => {
  const base = {
    database: {},
    cpu: 1024,
    maxRequestBodyMiB: 8,
    loadBalancerIdleTimeoutSeconds: 300,
    workerShutdownTimeoutSeconds: 100,
  };
  it("lists the load balancer's subnets, comma-separated", () => {
    expect(kongEnvironment({ ...base, trustedCidrs: ['10.0.0.0/20', '10.0.16.0/20'] }).KONG_TRUSTED_IPS).toBe(
      '10.0.0.0/20,10.0.16.0/20',
    );
  });
  it('refuses none and refuses the whole internet', () => {
    expect(() => kongEnvironment({ ...base, trustedCidrs: [] })).toThrow(/trustedCidrs/);
    expect(() => kongEnvironment({ ...base, trustedCidrs: ['0.0.0.0/0'] })).toThrow(/any client/);
  });
});

describe('the database TLS settings handed to Kong (issue 13)', () => {
  const base = {
    KONG_DATABASE: 'postgres',
    KONG_PG_HOST: 'db.internal',
    KONG_PG_PORT: '5432',
    KONG_PG_DATABASE: 'kong',
    KONG_PG_USER: 'kong',
    KONG_PG_SSL: 'on',
  };

  it("accepts TLS 1.2 or 1.3 as the floor, and Kong's default (tlsv1_2) when absent", () => {
    expect(databaseEnvironmentProblems(base)).toEqual([]);
    for (const v of ['tlsv1_2', 'tlsv1_3']) {
      expect(databaseEnvironmentProblems({ ...base, KONG_PG_SSL_VERSION: v })).toEqual([]);
    }
  });

  it.each(['tlsv1_1', 'any'])('refuses KONG_PG_SSL_VERSION=%s, which lets a downgrade through', (v) => {
    expect(databaseEnvironmentProblems({ ...base, KONG_PG_SSL_VERSION: v })).toEqual([
      `KONG_PG_SSL_VERSION must be "tlsv1_2" or "tlsv1_3", got "${v}"`,
    ]);
  });
});
