// ESLint flat config. Type-aware rules read one TypeScript program built from tsconfig.json;
// building it is most of the run time. `project` measured ~25% less CPU than `projectService` here.
import { builtinModules } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import eslint from '@eslint/js';
import { defineConfig } from 'eslint/config';
import tseslint from 'typescript-eslint';

/** Files in tsconfig.json, linted with type information; a file outside it fails with a message saying so. */
const TYPED_FILES = ['src/**/*.ts', 'examples/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', '*.ts'];

const WORKFLOW_SANDBOX_MESSAGE =
  'Workflow code runs in the deterministic Temporal sandbox: do I/O in an activity and import only its types here (`import type` stays allowed).';

/** Bare names of Node built-ins, subpaths such as `fs/promises` included; `node:` names are banned by pattern. */
const NODE_BUILTINS = builtinModules.filter((name) => !name.startsWith('_'));
/** Packages that do I/O or need Node; none of them load in the workflow sandbox. */
const IO_PACKAGES = ['kafkajs', 'axios', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'];

export default defineConfig(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.tributary/'] },
  eslint.configs.recommended,
  tseslint.configs.recommended,
  {
    files: TYPED_FILES,
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: dirname(fileURLToPath(import.meta.url)) },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  {
    // src/temporal/ holds the search attribute keys that workflow code imports, so it obeys the same sandbox rules.
    files: ['src/workflows/**/*.ts', 'src/temporal/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [...NODE_BUILTINS, ...IO_PACKAGES].map((name) => ({ name, message: WORKFLOW_SANDBOX_MESSAGE, allowTypeImports: true })),
          patterns: [
            {
              group: ['node:*', '@tensorflow/*', '@kafkajs/*', ...IO_PACKAGES.map((name) => `${name}/*`)],
              message: WORKFLOW_SANDBOX_MESSAGE,
              allowTypeImports: true,
            },
            {
              regex: '(^|/)activities(/|$)',
              message: 'Workflows call activities through proxyActivities: import activity modules with `import type` only.',
              allowTypeImports: true,
            },
          ],
        },
      ],
    },
  },
);
