// Lint rules for the whole workspace. The module-boundary rule is what keeps the design honest:
// apps never import apps, and pure libraries (routing, api, configgen) never touch sockets,
// files or timers, so they can be tested fast and exhaustively.
import nx from '@nx/eslint-plugin';
import tseslint from 'typescript-eslint';

const socketModules = ['net', 'http', 'https', 'http2', 'tls', 'dgram', 'fs', 'child_process', 'worker_threads'];
const restrictedForPure = [
  ...socketModules.flatMap((m) => [m, `node:${m}`, `node:${m}/promises`, `${m}/promises`]),
  'undici',
  'express',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  'chokidar',
];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '**/.nx', '**/test-results'] },
  {
    files: ['**/*.ts', '**/*.mjs'],
    // Nx registers the TypeScript plugin for .ts files only; the rules below also apply to .mjs.
    plugins: { '@typescript-eslint': tseslint.plugin },
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:pure', 'type:runtime'] },
            { sourceTag: 'type:e2e', onlyDependOnLibsWithTags: ['type:pure', 'type:runtime'] },
            { sourceTag: 'type:runtime', onlyDependOnLibsWithTags: ['type:pure', 'type:runtime'] },
            { sourceTag: 'type:pure', onlyDependOnLibsWithTags: ['type:pure'] },
          ],
        },
      ],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Pure libraries: no I/O and no clocks. Time and randomness are passed in.
    files: ['libs/pki/src/**/*.ts', 'libs/security/src/**/*.ts', 'libs/api/src/**/*.ts', 'libs/routing/src/**/*.ts', 'libs/configgen/src/**/*.ts', 'libs/analyze/src/**/*.ts', 'libs/meshtest/src/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: restrictedForPure.map((name) => ({ name, message: 'pure libraries do no I/O; do it in a runtime lib or an app' })) }],
      'no-restricted-globals': [
        'error',
        ...['setTimeout', 'setInterval', 'setImmediate', 'fetch'].map((name) => ({ name, message: 'pure libraries take time and I/O as inputs' })),
      ],
    },
  },
];
