// Builds the `framecast` command into plain JavaScript: src/cli/framecast.ts and everything it imports from
// src/core and src/shared, bundled into one ES module, out/cli/framecast.mjs, which bin/framecast.mjs loads.
// Node's built-ins and the package's runtime `dependencies` (sharp, valibot, ws) stay imports, so they resolve from
// the installed package's node_modules; anything else the command reaches is bundled in.
//
//   npm run build:cli      (also part of `npm run build`, and of `npm pack` through `prepack`)

import { readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vite'

const root = dirname(fileURLToPath(import.meta.url))
const pkg = JSON.parse(readFileSync(resolve(root, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> }
const runtimeDependencies = Object.keys(pkg.dependencies ?? {})

/** True for a Node built-in or a runtime dependency (or a path inside one, such as `sharp/lib/x`). */
function isExternal(id: string): boolean {
  if (id.startsWith('node:') || builtinModules.includes(id)) return true
  return runtimeDependencies.some((name) => id === name || id.startsWith(`${name}/`))
}

export default defineConfig({
  root,
  publicDir: false,
  logLevel: 'warn',
  ssr: { noExternal: true, target: 'node' },
  build: {
    ssr: resolve(root, 'src/cli/framecast.ts'),
    outDir: resolve(root, 'out/cli'),
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      external: isExternal,
      output: { format: 'es', entryFileNames: 'framecast.mjs' }
    }
  }
})
