/**
 * Throughput of the placeholder upstream on loopback, under a bounded load: a fixed number of
 * requests over a fixed number of keep-alive connections, with a hard time cap per scenario.
 *
 * The service runs as it does in its image (`node dist/main.js`, compiled here with the service's
 * own tsconfig) in a child process on 127.0.0.1 and an ephemeral port; the client is a small
 * node:http loop in this process. `npm run bench` includes the returned markdown section; alone:
 *   npx ts-node --transpile-only scripts/bench-placeholder.ts
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';

const SERVICE = path.resolve(__dirname, '..', 'services', 'llm-gateway-placeholder');

/** Load of one run; every field bounded. */
export interface BenchOptions {
  /** Measured requests per scenario (after the warm-up). @default 4000 */
  readonly requests?: number;
  /** Concurrent keep-alive connections. @default 16 */
  readonly connections?: number;
  /** Requests sent before measuring, not counted. @default 300 */
  readonly warmup?: number;
  /** Hard cap per scenario in ms; a scenario that reaches it reports what it measured so far. @default 20000 */
  readonly timeCapMs?: number;
}

/** What one scenario measured. */
interface ScenarioResult {
  readonly name: string;
  readonly sent: number;
  readonly ok: number;
  readonly errors: number;
  readonly elapsedMs: number;
  readonly latenciesMs: number[];
  readonly capped: boolean;
  /** CPU time of the server process per request, in microseconds (Linux /proc only). */
  readonly serverCpuUsPerRequest: number | undefined;
}

interface Scenario {
  readonly name: string;
  readonly body: string;
  /** Whether a response counts as correct. */
  readonly check: (status: number, text: string) => boolean;
}

const MESSAGES = [{ role: 'user', content: 'Summarise the quarterly report in three sentences, please.' }];
const SCENARIOS: Scenario[] = [
  {
    name: 'chat completion, non-streaming',
    body: JSON.stringify({ model: 'placeholder-1', messages: MESSAGES }),
    check: (status, text) => status === 200 && text.includes('"chat.completion"'),
  },
  {
    name: 'chat completion, streaming (SSE to `[DONE]`)',
    body: JSON.stringify({ model: 'placeholder-1', stream: true, messages: MESSAGES }),
    check: (status, text) => status === 200 && text.endsWith('data: [DONE]\n\n'),
  },
];

/** Starts the built service on an ephemeral loopback port; resolves with the child and its port. */
async function startService(dist: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [path.join(dist, 'main.js')], {
    // Request logs go to /dev/null: the server still formats and writes them, as in production.
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    env: { PATH: process.env.PATH, HOST: '127.0.0.1', PORT: '0' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('placeholder did not start within 30 s')), 30_000);
    child.once('exit', (code) => reject(new Error(`placeholder exited with ${code} before listening`)));
    child.on('message', (m: { type?: string; port?: number }) => {
      if (m.type === 'listening' && typeof m.port === 'number') {
        clearTimeout(timer);
        resolve(m.port);
      }
    });
  });
  return { child, port };
}

/** CPU seconds (user + system) used so far by `pid`, from /proc; undefined elsewhere. */
function cpuSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields 14 and 15 of stat(5) (utime, stime), counted after the command name: indexes 11, 12.
    return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
  } catch {
    return undefined;
  }
}

function post(agent: http.Agent, port: number, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Sends `total` requests over `connections` parallel loops, stopping early at `deadline`. */
async function drive(
  agent: http.Agent,
  port: number,
  scenario: Scenario,
  total: number,
  connections: number,
  deadline: number,
): Promise<{ sent: number; ok: number; errors: number; latenciesMs: number[]; capped: boolean }> {
  let sent = 0;
  let ok = 0;
  let errors = 0;
  let capped = false;
  const latenciesMs: number[] = [];
  const loop = async (): Promise<void> => {
    while (sent < total) {
      if (Date.now() >= deadline) {
        capped = true;
        return;
      }
      sent++;
      const t0 = process.hrtime.bigint();
      try {
        const { status, text } = await post(agent, port, scenario.body);
        if (scenario.check(status, text)) {
          ok++;
          latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } else {
          errors++;
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
  return { sent, ok, errors, latenciesMs, capped };
}

async function runScenario(
  port: number,
  pid: number | undefined,
  scenario: Scenario,
  o: Required<BenchOptions>,
): Promise<ScenarioResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: o.connections });
  try {
    const t0 = Date.now();
    await drive(agent, port, scenario, o.warmup, o.connections, t0 + o.timeCapMs);
    const cpu0 = cpuSeconds(pid);
    const start = Date.now();
    const r = await drive(agent, port, scenario, o.requests, o.connections, t0 + o.timeCapMs);
    const elapsedMs = Date.now() - start;
    const cpu1 = cpuSeconds(pid);
    const serverCpuUsPerRequest =
      cpu0 !== undefined && cpu1 !== undefined && r.sent > 0 ? ((cpu1 - cpu0) * 1e6) / r.sent : undefined;
    return { name: scenario.name, elapsedMs, serverCpuUsPerRequest, ...r };
  } finally {
    agent.destroy();
  }
}

/** The q-quantile (0..1) of sorted values, nearest-rank. */
function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

const ms = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(2)} ms` : 'n/a');

function render(results: ScenarioResult[], o: Required<BenchOptions>): string {
  const cpus = os.cpus();
  const rows = results.map((r) => {
    const sorted = [...r.latenciesMs].sort((a, b) => a - b);
    const rps = r.elapsedMs > 0 ? (r.ok / r.elapsedMs) * 1000 : 0;
    const cpu = r.serverCpuUsPerRequest === undefined ? 'n/a' : `${Math.round(r.serverCpuUsPerRequest)} us`;
    return (
      `| ${r.name} | ${r.sent}${r.capped ? ' (time cap hit)' : ''} | ${r.errors} | ${(r.elapsedMs / 1000).toFixed(2)} s ` +
      `| ${Math.round(rps)} | ${ms(quantile(sorted, 0.5))} | ${ms(quantile(sorted, 0.99))} | ${ms(sorted[sorted.length - 1])} | ${cpu} |`
    );
  });
  return [
    '## Placeholder upstream (loopback)',
    '',
    `Bounded load: ${o.requests} measured requests per scenario after ${o.warmup} warm-up requests, ` +
      `${o.connections} keep-alive connections, at most ${o.timeCapMs / 1000} s per scenario, 127.0.0.1 only. ` +
      `Server: \`node dist/main.js\` (one process, request logs on, no artificial delay) in a child process; ` +
      `client: a node:http loop in this process on the same machine (${cpus.length} x ${cpus[0]?.model ?? 'unknown CPU'}, ` +
      `Node ${process.version}).`,
    '',
    '| scenario | requests | errors | duration | req/s | p50 | p99 | max | server CPU / request |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    verdict(results[0]),
    '',
  ].join('\n');
}

/** Kong 3.9.3 worker CPU per request, measured for the design brief (real Kong, one worker on its own core). */
const KONG_WORKER_US = { bare: 84, keyAuthRateLimitLocal: 279, keyAuthRateLimitRedis: 395 };

/** Whether the placeholder keeps up with Kong, judged on CPU per request (the figure that carries over). */
function verdict(r: ScenarioResult | undefined): string {
  const caveat =
    'Client and server share the cores, so req/s is a floor for one placeholder process; CPU per request ' +
    'is the figure that carries over to other machines.';
  if (r === undefined || r.serverCpuUsPerRequest === undefined || r.serverCpuUsPerRequest <= 0) {
    return `${caveat} (Server CPU per request is read from /proc and was not available here.)`;
  }
  const us = r.serverCpuUsPerRequest;
  const perCore = Math.round(1e6 / us);
  const k = KONG_WORKER_US;
  const withPlugins =
    us <= k.keyAuthRateLimitLocal
      ? `below the ${k.keyAuthRateLimitLocal} us a Kong 3.9.3 worker spends with key-auth + rate-limiting \`local\` ` +
        `(${k.keyAuthRateLimitRedis} us with \`redis\`), so one placeholder core keeps up with one Kong worker ` +
        'running the gateway plugins'
      : `above the ${k.keyAuthRateLimitLocal} us a Kong 3.9.3 worker spends with key-auth + rate-limiting, so give ` +
        `the placeholder ${Math.ceil(us / k.keyAuthRateLimitLocal)} cores (tasks) per Kong worker`;
  return (
    `${caveat} Non-streaming: ${Math.round(us)} us of server CPU per request (~${perCore} req/s per core): ` +
    `${withPlugins}. Against a plugin-free Kong route (${k.bare} us) the placeholder needs ` +
    `~${Math.ceil(us / k.bare)} cores per Kong worker not to be the bottleneck.`
  );
}

/** Runs the bounded benchmark and returns its markdown section. */
export async function benchPlaceholder(options: BenchOptions = {}): Promise<string> {
  const o: Required<BenchOptions> = {
    requests: options.requests ?? 4000,
    connections: options.connections ?? 16,
    warmup: options.warmup ?? 300,
    timeCapMs: options.timeCapMs ?? 20_000,
  };
  const dist = fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-bench-'));
  let child: ChildProcess | undefined;
  try {
    // Emit only (--noCheck): `npm test` type-checks the service.
    const tsc = require.resolve('typescript/bin/tsc');
    execFileSync(process.execPath, [tsc, '-p', SERVICE, '--outDir', dist, '--noCheck'], { stdio: 'pipe' });
    const started = await startService(dist);
    child = started.child;
    const results: ScenarioResult[] = [];
    for (const scenario of SCENARIOS) {
      results.push(await runScenario(started.port, child.pid, scenario, o));
    }
    return render(results, o);
  } finally {
    if (child !== undefined && child.exitCode === null) {
      const gone = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      const killTimer = setTimeout(() => child?.kill('SIGKILL'), 5000);
      await gone;
      clearTimeout(killTimer);
    }
    fs.rmSync(dist, { recursive: true, force: true });
  }
}

if (require.main === module) {
  benchPlaceholder()
    .then((section) => process.stdout.write(`${section}\n`))
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    });
}
