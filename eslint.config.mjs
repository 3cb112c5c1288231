// Lint rules for every TypeScript folder; formatting is Prettier's job (npm run lint runs both).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'test-artifacts/**', 'data/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      'no-console': ['error', { allow: ['warn', 'error'] }],
      // `import { type A }` keeps a side-effect import in the bundle; `import type { A }` does not.
      '@typescript-eslint/no-import-type-side-effects': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', 'bin/**/*.js'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        require: 'readonly',
        module: 'writable',
        __dirname: 'readonly',
      },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  // The layering (README, "What is where"): a wrong arrow is a build error
  // (test/deploy/eslintLayers.test.ts proves each block refuses one).
  {
    files: ['service/store/migrations/**/*.ts'],
    ignores: ['service/store/migrations/index.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../*', '../../*'],
              message:
                'Migrations are frozen: import only kysely (and ./frozenTypes), never live code.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['service/store/**/*.ts'],
    ignores: ['service/store/migrations/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../commands/*',
                '../domain/*',
                '../routers/*',
                '../http/*',
                '../gateway/*',
                '../workspaces/*',
              ],
              message: 'The store knows nothing above it.',
            },
          ],
        },
      ],
    },
  },
  // The store sits below the services over it (crypto, audit, accounts, providers, ssh, oauth)
  // and the API contract, and knows nothing of start-up: they import the store, never the other
  // way. A rule of its own (the TypeScript variant, so the block above stays in force as well).
  {
    files: ['service/store/**/*.ts'],
    ignores: ['service/store/migrations/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '../crypto/*',
                '../audit/*',
                '../accounts/*',
                '../providers/*',
                '../ssh/*',
                '../oauth/*',
                '../api/*',
                '../bootstrap',
                '../server',
                '../cli',
                '../trpc',
                '../context',
              ],
              message:
                'The store is the lowest layer above the basics: services import it, never the reverse (a narrow interface such as SecretSealer goes the other way).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['service/domain/**/*.ts', 'service/workspaces/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../http/*', '../gateway/*', '../commands/*', '../server'],
              message: 'The domain never imports the HTTP layer or the CLI.',
            },
          ],
        },
      ],
    },
  },
  // The API contract (service/api/) and the layers around it. These blocks use the typescript-eslint
  // copy of the rule so that they add to, and never replace, the core-rule blocks above that
  // match the same files (in flat config a later block's options for one rule replace earlier ones).
  {
    files: ['service/domain/**/*.ts', 'service/workspaces/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['../routers/*', '../trpc', '../context'],
              message:
                'The domain takes its types from api/ and never imports the routers or tRPC.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['service/api/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // Anything but zod, another api/ file and the dependency-free basics.
              regex:
                '^(?!zod$|\\./[A-Za-z]+$|\\.\\./vocabulary$|\\.\\./envNames$|\\.\\./providers/addresses$)',
              message:
                'The API contract imports only zod, other api/ files and the dependency-free vocabulary.ts, envNames.ts and providers/addresses.ts.',
            },
          ],
        },
      ],
    },
  },
  // The webview runs in the browser and the protocol is bundled into it: service and host code
  // reach them as types only (import type, export type ... from), never as code, at any depth.
  {
    files: ['webview/**/*.ts', 'protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/service/*', '**/extension/*'],
              message:
                'The webview and the protocol take service and host code by import type only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportExpression[source.value=/(^|\\/)(service|extension)\\//]',
          message: 'The webview and the protocol never load service or host code, not even lazily.',
        },
      ],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**'],
    rules: { 'no-console': 'off' },
  },
);
