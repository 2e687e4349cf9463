import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import globals from 'globals'

const nodeBuiltins = ['node:*', 'fs', 'net', 'path', 'os', 'child_process', 'crypto', 'http', 'https', 'tls', 'dgram', 'stream', 'events', 'util', 'worker_threads']

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'coverage/**', 'test-results/**', 'playwright-report/**', 'e2e/artifacts/**', 'e2e/.fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': [
        'error',
        { paths: [{ name: 'electron', importNames: ['ipcMain'], message: 'Only src/main/ipc.ts may use ipcMain.' }] }
      ]
    }
  },
  {
    files: ['src/main/ipc.ts'],
    rules: { 'no-restricted-imports': 'off' }
  },
  {
    // Networking and shared code are plain Node / plain TypeScript: they run in tests and the web host unchanged.
    files: ['src/main/net/**', 'src/shared/**'],
    rules: {
      'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'src/main/net and src/shared never import electron.' }] }]
    }
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/shared is pure TypeScript.' }],
          patterns: [{ group: nodeBuiltins, message: 'src/shared is pure TypeScript: no Node built-ins.' }]
        }
      ]
    }
  },
  {
    files: ['src/renderer/**'],
    languageOptions: { globals: { ...globals.browser, ...globals.worker } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The renderer reaches main only through src/renderer/src/lib/api.ts.' }],
          patterns: [{ group: nodeBuiltins, message: 'The renderer never imports Node built-ins.' }]
        }
      ]
    }
  },
  {
    files: ['src/renderer/src/**'],
    ignores: ['src/renderer/src/lib/api.ts'],
    rules: {
      'no-restricted-properties': ['error', { object: 'window', property: 'api', message: 'Read window.api only in src/renderer/src/lib/api.ts.' }]
    }
  }
)
