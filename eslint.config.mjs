// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Provider package roots: every `no-restricted-imports` below repeats them (an override replaces the options). */
const PROVIDER_ROOTS = [
  {
    name: '@cdktf/provider-aws',
    message: "Import from the submodule, e.g. '@cdktf/provider-aws/lib/vpc' (the root is slow).",
  },
  {
    name: '@cdktf/provider-random',
    message: "Import from the submodule, e.g. '@cdktf/provider-random/lib/password'.",
  },
];

/** Imports of the folders `dirs` of lib/, by any relative path (`../../settings/load`, `../stacks`). */
function banFolders(dirs, why) {
  // Relative paths only: the npm package `constructs` is not lib/constructs.
  return { regex: `^\\.\\.?/(.*/)?(${dirs.join('|')})(/|$)`, message: why };
}

/**
 * The dependency rule (README "Layout", ADR 0015), one override per layer. `import type` counts:
 * the core rule checks type imports too.
 */
const DEPENDENCY_RULE = [
  {
    files: ['lib/constructs/**/*.ts'],
    ban: banFolders(
      ['settings', 'stacks', 'kong-config'],
      'A construct takes typed props: it imports nothing from lib/settings, lib/stacks or lib/kong-config (move a shared name to lib/contracts).',
    ),
  },
  {
    files: ['lib/contracts/**/*.ts', 'lib/util/**/*.ts'],
    ban: {
      regex: '^\\.\\./',
      message:
        'lib/contracts and lib/util import nothing of the project: only their own folder (./x) and packages.',
    },
  },
  {
    // One exception: the alarm thresholds and their defaults belong to the observability code, and
    // the schema imports them (issue 12); that module imports nothing of the project (next entry).
    files: ['lib/settings/**/*.ts'],
    ban: banFolders(
      ['constructs(?!/observability/thresholds$)', 'stacks', 'kong-config', 'policy'],
      'Settings import nothing from constructs (but constructs/observability/thresholds), stacks, kong-config or policy: what they share lives in lib/contracts.',
    ),
  },
  {
    files: ['lib/constructs/observability/thresholds.ts'],
    ban: {
      regex: '^\\.\\.?/',
      message:
        'The alarm thresholds are imported by the settings schema: they import nothing of the project (and no provider class).',
    },
  },
  {
    // Constructs import lib/policy (Checkov skips): policy importing settings would bypass their rule.
    files: ['lib/policy/**/*.ts'],
    ban: banFolders(
      ['constructs', 'stacks', 'settings', 'kong-config'],
      'lib/policy reads synthesized stacks: it imports nothing from constructs, stacks, settings or kong-config.',
    ),
  },
  {
    files: ['lib/kong-config/**/*.ts'],
    ban: banFolders(
      ['constructs', 'stacks'],
      'The decK renderer imports nothing from constructs or stacks: what they share lives in lib/contracts.',
    ),
  },
].map(({ files, ban }) => ({
  files,
  rules: { 'no-restricted-imports': ['error', { paths: PROVIDER_ROOTS, patterns: [ban] }] },
}));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'cdktf.out/',
      '.gen/',
      'coverage/',
      '**/dist/',
      'jest.config.js',
      '.venv-checkov/',
      '.venv-iam/',
      '.tools/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      // The package root of a provider loads every resource binding: ~30 s per Jest file instead
      // of ~6 s. Import each class from its submodule instead.
      'no-restricted-imports': ['error', { paths: PROVIDER_ROOTS }],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // Plain Node scripts (scripts/test.js runs before any TypeScript tooling is loaded).
    files: ['scripts/**/*.js', '__tests__/support/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'readonly',
        __dirname: 'readonly',
        process: 'readonly',
        console: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  ...DEPENDENCY_RULE,
);
