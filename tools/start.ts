// `npm start`: the app in one command. Where Electron's binary can be fetched, the desktop app (`electron-vite
// preview` builds and opens it). Where it cannot (no route to Electron's download host), the browser host instead:
// the renderer is built as `npm run web` builds it, then src/web-host/server.ts serves it on 127.0.0.1, prints its URLs
// and opens the start page in the default browser (`--open`). Arguments after `npm start --` go to the browser host
// (`npm start -- --port 8080`).
//
// This script only decides and spawns. The app runs in its own process group and gets each stop signal once from
// here: Ctrl+C reaches both npm and this script, and npm passes it on again, so repeats within a second are one.

import { spawn, spawnSync } from 'node:child_process'
import { constants } from 'node:os'
import { resolve } from 'node:path'
import { fetchElectron } from './ensure-electron'

const ROOT = resolve(__dirname, '..')
const ELECTRON_VITE = resolve(ROOT, 'node_modules/electron-vite/bin/electron-vite.js')
const POSIX = process.platform !== 'win32'

/** Run a Node script to its end on this terminal; its exit code (1 when a signal ended it). */
function step(args: string[]): number {
  return spawnSync(process.execPath, args, { cwd: ROOT, stdio: 'inherit' }).status ?? 1
}

/** Run a Node script until it exits, relaying stop signals to it, and exit with its code. */
function follow(args: string[]): void {
  const app = spawn(process.execPath, args, { cwd: ROOT, stdio: 'inherit', detached: POSIX })
  let lastSignal = 0
  const relay = (signal: NodeJS.Signals): void => {
    const now = Date.now()
    // On Windows the console delivers Ctrl+C to the app itself; here it only must not end this script first.
    if (POSIX && now - lastSignal > 1000) app.kill(signal)
    lastSignal = now
  }
  process.on('SIGINT', () => relay('SIGINT'))
  process.on('SIGTERM', () => relay('SIGTERM'))
  // The terminal closed: the app, in its own group, would not hear of it.
  process.on('SIGHUP', () => relay('SIGTERM'))
  // `kill <npm's pid>`: npm passes SIGTERM to the shell running this script, which dies without passing it on.
  // Orphaned, this script stops the app rather than leave it serving.
  const parent = process.ppid
  const orphaned = setInterval(() => {
    if (process.ppid === parent) return
    clearInterval(orphaned)
    relay('SIGTERM')
  }, 500)
  orphaned.unref()
  app.on('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)))
}

if (fetchElectron()) {
  follow([ELECTRON_VITE, 'preview'])
} else {
  console.error(
    [
      '',
      "Electron's binary could not be fetched (see above), so Framecast runs as a browser host instead: the same app,",
      'served to Chrome or Chromium on this machine only (127.0.0.1). Ctrl+C stops it.',
      ''
    ].join('\n')
  )
  const built = step([ELECTRON_VITE, 'build'])
  if (built !== 0) process.exit(built)
  follow(['--import', 'tsx', resolve(ROOT, 'src/web-host/server.ts'), '--open', ...process.argv.slice(2)])
}
