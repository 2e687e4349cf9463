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
    // Only src/main and src/preload run inside Electron. The core, the session services, the browser host and the CLI
    // are plain Node: they run unchanged in the app, the browser host, the CLI and the tests.
    files: ['src/core/**', 'src/service/**', 'src/web-host/**', 'src/cli/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only src/main and src/preload import electron.' }],
          patterns: [{ group: ['electron/*'], message: 'Only src/main and src/preload import electron.' }]
        }
      ]
    }
  },
  {
    // The domain core never depends on the IPC contract: the contract imports domain types, not the reverse.
    files: ['src/core/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'Only src/main and src/preload import electron.' }],
          patterns: [
            { group: ['electron/*'], message: 'Only src/main and src/preload import electron.' },
            { group: ['**/shared/ipc'], message: 'src/core does not import the IPC contract; use src/shared/status or address.' }
          ]
        }
      ]
    }
  },
  {
    // The browser host's page script runs in the page, like the renderer.
    files: ['src/web-host/page-client.ts'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'The page client runs in the browser.' }],
          patterns: [{ group: nodeBuiltins, message: 'The page client runs in the browser: no Node built-ins.' }]
        }
      ]
    }
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [{ name: 'electron', message: 'src/shared is pure TypeScript.' }],
          patterns: [
            { group: ['electron/*'], message: 'src/shared is pure TypeScript.' },
            { group: nodeBuiltins, message: 'src/shared is pure TypeScript: no Node built-ins.' }
          ]
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
