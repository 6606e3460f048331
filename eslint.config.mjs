// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@cdktf/provider-aws',
              message: "Import from the submodule, e.g. '@cdktf/provider-aws/lib/vpc' (the root is slow).",
            },
            {
              name: '@cdktf/provider-random',
              message: "Import from the submodule, e.g. '@cdktf/provider-random/lib/password'.",
            },
          ],
        },
      ],
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
);
