// One lint setup for the whole tree. The folder decides the process, and these rules enforce it:
// the renderer never reaches Node or Electron, services never import Electron, the contract is
// pure (common/) so every side can import it.
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import importX from 'eslint-plugin-import-x';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const nodeBuiltins = ['fs', 'path', 'os', 'child_process', 'crypto', 'url', 'zlib', 'worker_threads', 'http', 'net'];
const noNodeMessage = 'The renderer and the contract run without Node; go through window.hsam.';
const noNode = { group: ['node:*'], message: noNodeMessage };
const noNodePaths = nodeBuiltins.map((name) => ({ name, message: noNodeMessage }));
const noElectron = { name: 'electron', message: 'Only electron/main and electron/preload may import Electron.' };

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'native-models/**/*.py', '**/*.cjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  ...svelte.configs['flat/recommended'],
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs', 'bin/*.mjs', 'renderer/*.js'] },
        tsconfigRootDir: import.meta.dirname,
        extraFileExtensions: ['.svelte'],
      },
    },
    plugins: { 'import-x': importX },
    settings: { 'import-x/resolver-next': [createTypeScriptImportResolver({ project: ['tsconfig.json', 'renderer/tsconfig.json'], noWarnOnMultipleProjects: true })] },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Handlers return promises by contract even when their work is synchronous.
      '@typescript-eslint/require-await': 'off',
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser } },
  },
  { files: ['renderer/**', 'e2e/host/bridge.ts'], languageOptions: { globals: globals.browser } },
  {
    files: ['electron/**', 'e2e/**', 'scripts/**', 'bin/**', 'native-models/**', '*.js', '*.ts'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['renderer/**', 'common/**'],
    ignores: ['renderer/vite.config.ts', 'renderer/svelte.config.js'],
    rules: { 'no-restricted-imports': ['error', { paths: [...noNodePaths, noElectron], patterns: [noNode] }] },
  },
  {
    files: ['electron/services/**', 'electron/cli/**', 'electron/main/ipc.ts', 'electron/main/security.ts', 'e2e/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [noElectron] }] },
  },
  {
    // Layers: reading, labels, export and studies never reach into the model runtime; what they
    // share with it (the model's view of a slice) is preprocessing/.
    files: ['electron/services/{imaging,labels,export,preprocessing,studies}/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        { paths: [noElectron], patterns: [{ group: ['**/inference/*'], message: 'Only the model host and the inference worker use inference/; shared preprocessing lives in preprocessing/.' }] },
      ],
    },
  },
);
