/**
 * Jest runs every *.test.ts under __tests__/ and services/. ts-jest is told to skip type checking
 * (isolatedModules): `npm run typecheck` (tsc --noEmit) does that once for the whole tree, which
 * keeps each test file at a few seconds (isolatedModules in tsconfig.json puts ts-jest in transpile mode) instead of re-checking the provider bindings per file.
 * @type {import('jest').Config}
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__', '<rootDir>/services'],
  testMatch: ['**/*.test.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { diagnostics: false }],
  },
  // One synth per committed stage per run, shared by the worker processes (__tests__/support/synth-cache.js).
  globalSetup: '<rootDir>/__tests__/support/synth-cache.js',
  globalTeardown: '<rootDir>/__tests__/support/synth-cache-teardown.js',
  modulePathIgnorePatterns: ['<rootDir>/cdktf.out/', '/dist/'],
  testTimeout: 60000,
  // Jest defaults to cores - 1 workers: one on a 2-core CI machine. Many files wait on child
  // processes, sockets and timers (synth CLI, smoke tool, placeholder drains), so one worker more
  // than there are cores keeps both cores busy: 31.6 s instead of 37.8 s for a cold run on 2 cores.
  maxWorkers: require('os').cpus().length + 1,
};
