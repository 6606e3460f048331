/**
 * The entry points as separate processes, built exactly as the image builds them (`tsc -p` with the
 * service's own tsconfig.json) into a temporary directory: start-up, SIGTERM with a stream in flight,
 * configuration errors, and the container health check.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { chatStream, HELLO } from './support';

const SERVICE = path.resolve(__dirname, '..');
let dist: string;

beforeAll(() => {
  dist = fs.mkdtempSync(path.join(os.tmpdir(), 'placeholder-dist-'));
  // --noCheck: emit only; `npm run typecheck` type-checks these files once for the whole tree.
  const tsc = require.resolve('typescript/bin/tsc');
  execFileSync(process.execPath, [tsc, '-p', SERVICE, '--outDir', dist, '--noCheck'], { stdio: 'pipe' });
});

afterAll(() => {
  fs.rmSync(dist, { recursive: true, force: true });
});

/** Runs a built entry point (`main`, `healthcheck`) as the container would: `node dist/<entry>.js`. */
function run(entry: string, env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [path.join(dist, `${entry}.js`)], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** The JSON lines a child wrote to stdout, as they come. */
function jsonLines(child: ChildProcess): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  let buffer = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (text: string) => {
    buffer += text;
    let cut = buffer.indexOf('\n');
    while (cut >= 0) {
      lines.push(JSON.parse(buffer.slice(0, cut)) as Record<string, unknown>);
      buffer = buffer.slice(cut + 1);
      cut = buffer.indexOf('\n');
    }
  });
  return lines;
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function until<T>(probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() - t0 > timeoutMs) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dist/main.js as a process', () => {
  it('on SIGTERM keeps serving through the accept window, finishes the stream, logs the drain and exits 0', async () => {
    // GIVEN the service on an ephemeral port with slow chunks and a 400 ms accept window
    const child = run('main', {
      HOST: '127.0.0.1',
      PORT: '0',
      PLACEHOLDER_CHUNK_DELAY_MS: '80',
      PLACEHOLDER_SHUTDOWN_ACCEPT_MS: '400',
      PLACEHOLDER_SHUTDOWN_TIMEOUT_MS: '5000',
    });
    const exit = exited(child);
    const lines = jsonLines(child);
    const port = await until(() => lines.find((l) => l.msg === 'listening')?.port as number | undefined);
    // WHEN SIGTERM arrives after the first chunk
    let health: Promise<number> | undefined;
    const reply = await chatStream(port, { ...HELLO, stream: true }, {}, (_e, index) => {
      if (index === 0) child.kill('SIGTERM');
      // AND the container health check runs during the window
      if (index === 2) health = exited(run('healthcheck', { PORT: String(port) })).then((c) => c ?? -1);
    });
    // THEN the stream completes, the health check fails (503), the process reports a clean drain
    expect(reply.outcome).toBe('end');
    expect(reply.events[reply.events.length - 1].data).toBe('[DONE]');
    expect(await health).toBe(1);
    expect(await exit).toBe(0);
    expect(lines.find((l) => l.msg === 'shutting down')).toEqual(
      expect.objectContaining({ signal: 'SIGTERM', in_flight: 1, accept_ms: 400, drain_limit_ms: 5000 }),
    );
    expect(lines.find((l) => l.msg === 'stopped')).toEqual(
      expect.objectContaining({ drained: true, in_flight_at_start: 1, cut_off: 0, accepted_during_drain: 1 }),
    );
    // AND the health probe's request was served (503), not refused
    expect(lines.find((l) => l.msg === 'request' && l.path === '/healthz')).toEqual(
      expect.objectContaining({ status: 503, completed: true }),
    );
    expect(lines.find((l) => l.msg === 'request' && l.path !== '/healthz')).toEqual(
      expect.objectContaining({ path: '/v1/chat/completions', status: 200, stream: true, completed: true }),
    );
  });

  it('fails to start with exit code 2 and a log line naming the bad variable', async () => {
    const child = run('main', { PORT: '0', PLACEHOLDER_MAX_BODY_BYTES: 'lots' });
    const lines = jsonLines(child);
    expect(await exited(child)).toBe(2);
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'error',
        msg: 'invalid configuration',
        variable: 'PLACEHOLDER_MAX_BODY_BYTES',
        error: expect.stringMatching(/^PLACEHOLDER_MAX_BODY_BYTES: expected a whole number .* got 'lots'$/),
      }),
    ]);
  });
});

describe('dist/healthcheck.js (the container HEALTHCHECK, no curl)', () => {
  it('exits 0 against a healthy service and 1 once nothing listens on the port', async () => {
    const service = run('main', { HOST: '127.0.0.1', PORT: '0' });
    const lines = jsonLines(service);
    const stopped = exited(service);
    const port = await until(() => lines.find((l) => l.msg === 'listening')?.port as number | undefined);

    expect(await exited(run('healthcheck', { PORT: String(port) }))).toBe(0);

    service.kill('SIGTERM');
    expect(await stopped).toBe(0);
    expect(await exited(run('healthcheck', { PORT: String(port) }))).toBe(1);
  });
});
