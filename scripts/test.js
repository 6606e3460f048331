#!/usr/bin/env node
/**
 * `npm test`: lint, format check, type check and every Jest test, as one command that fails when
 * any of them fails. The four are independent, so they run at the same time: on the 2-core machine
 * the linters and tsc fill the gaps Jest leaves while its workers wait on child processes and
 * sockets, which saves most of their 10 s (measured by `npm run bench`).
 *
 * Jest's output streams as it runs; the others are printed whole when they finish, so lines never
 * interleave. Arguments after `--` go to Jest (`npm test -- __tests__/stacks`).
 */
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const ROOT = path.join(__dirname, '..');
const bin = (name) => path.join(ROOT, 'node_modules', '.bin', name);

/** The checks besides Jest: name, command, arguments. */
const CHECKS = [
  ['eslint', bin('eslint'), ['.']],
  ['prettier', bin('prettier'), ['--check', '.', '--log-level', 'warn']],
  ['tsc', bin('tsc'), ['--noEmit']],
];

function run(name, command, args, stream) {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: stream ? 'inherit' : 'pipe' });
    let output = '';
    if (!stream) {
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
    }
    child.on('error', (err) => resolve({ name, code: 1, output: `${name}: ${err.message}\n`, started }));
    child.on('close', (code, signal) =>
      resolve({ name, code: code ?? (signal ? 1 : 0), output, seconds: (Date.now() - started) / 1000 }),
    );
  });
}

async function main() {
  const jestArgs = process.argv.slice(2);
  const others = CHECKS.map(([name, command, args]) =>
    run(name, command, args, false).then((r) => {
      process.stdout.write(r.output);
      console.log(`--- ${r.name}: ${r.code === 0 ? 'ok' : `FAILED (exit ${r.code})`} in ${r.seconds} s`);
      return r;
    }),
  );
  const jest = run('jest', bin('jest'), jestArgs, true);
  const results = await Promise.all([...others, jest]);
  const failed = results.filter((r) => r.code !== 0).map((r) => r.name);
  console.log(
    failed.length ? `--- npm test FAILED: ${failed.join(', ')}` : '--- npm test: all checks passed',
  );
  process.exitCode = failed.length ? 1 : 0;
}

void main();
