import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import react from '@vitejs/plugin-react'
import type { Plugin } from 'vite'

/**
 * `npm run dev` only: Vite's dev server injects an inline React-refresh preamble, inline <style> tags and a WebSocket
 * for hot reload, which the strict CSP in index.html forbids. Loosen it for the dev server; builds keep it as written.
 */
function devServerCsp(): Plugin {
  return {
    name: 'framecast-dev-csp',
    apply: 'serve',
    transformIndexHtml: (html) =>
      html
        .replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
        .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
        .replace("connect-src 'self'", "connect-src 'self' ws://localhost:* ws://127.0.0.1:*")
  }
}

export default defineConfig({
  main: {
    build: { rollupOptions: { input: { index: resolve('src/main/index.ts') } } }
  },
  preload: {
    // Sandboxed preloads must be CommonJS and self-contained: a sandboxed preload can require only 'electron'.
    build: { externalizeDeps: false, rollupOptions: { input: { index: resolve('src/preload/index.ts') }, output: { format: 'cjs' } } }
  },
  renderer: {
    root: resolve('src/renderer'),
    resolve: { alias: { '@renderer': resolve('src/renderer/src') } },
    plugins: [react(), devServerCsp()],
    build: { rollupOptions: { input: { index: resolve('src/renderer/index.html') } } }
  }
})
