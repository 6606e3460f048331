/**
 * `npm run bench`: one report, in sections. Wall times are medians of several runs on this
 * machine; compare them between commits on the same machine, not across machines.
 *
 *   BENCH_RUNS=5 npm run bench          (default 3 runs per measurement)
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { benchPlaceholder } from './bench-placeholder';

const ROOT = path.join(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`BENCH_RUNS must be a positive integer, got "${process.env.BENCH_RUNS}"`);
  process.exit(2);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Runs a command `RUNS` times and returns each wall time in seconds; fails on a non-zero exit. */
function timeCommand(label: string, command: string, args: string[]): number[] {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, {
      cwd: ROOT,
      env: { ...process.env, CHECKPOINT_DISABLE: '1', CI: '1' },
      encoding: 'utf8',
    });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) {
      throw new Error(`${label} failed (exit ${result.status}):\n${result.stdout}\n${result.stderr}`);
    }
    times.push(seconds);
  }
  return times;
}

function row(label: string, times: number[], goal: number): string {
  const m = median(times);
  const verdict = m <= goal ? 'ok' : 'OVER GOAL';
  return `| ${label} | ${m.toFixed(1)} s | ${times.map((t) => t.toFixed(1)).join(', ')} | < ${goal} s | ${verdict} |`;
}

async function main(): Promise<void> {
  const outdir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-synth-'));
  const bin = (name: string) => path.join(ROOT, 'node_modules', '.bin', name);
  const sections: string[] = [];

  console.error(`synth x${RUNS} ...`);
  const synth = timeCommand('cdktf synth', bin('cdktf'), ['synth', '--output', outdir]);
  // `npm test` as a developer runs it after a clone: Jest's cache and tsc's build info cleared
  // before each run, so the goal holds cold (issue 12: at most 60 s on 2 cores).
  console.error(`npm test (cold caches) x${RUNS} ...`);
  const npmTest = timeCommand('npm test', 'sh', [
    '-c',
    `${bin('jest')} --clearCache >/dev/null && rm -f node_modules/.cache/tsbuildinfo && npm test -- --silent`,
  ]);
  fs.rmSync(outdir, { recursive: true, force: true });

  sections.push(
    [
      '## Synth and test suite (wall time)',
      '',
      `${os.cpus().length} CPUs, node ${process.version}, median of ${RUNS} runs.`,
      '',
      '| what | median | runs | goal | |',
      '|---|---|---|---|---|',
      row('`cdktf synth` (all stacks)', synth, 20),
      row('`npm test` (lint, format, tsc, jest; cold caches)', npmTest, 60),
    ].join('\n'),
  );

  console.error('placeholder load ...');
  sections.push(await benchPlaceholder());

  console.log(`# Benchmark report\n\n${sections.join('\n\n')}\n`);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
