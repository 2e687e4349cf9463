// Run the browser host (src/web-host/server.ts) as its own process, the way `npm run web` does, on a free port.

import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { type AddressInfo, createServer } from 'node:net'
import { join, resolve } from 'node:path'
import type { WindowRole } from '../src/shared/ipc'

const ROOT = resolve(__dirname, '..')

/** A port that was free a moment ago on 127.0.0.1 (bind 0, read the port, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo
      s.close(() => resolve(port))
    })
  })
}

export interface HostProcess {
  /** http://127.0.0.1:PORT */
  readonly origin: string
  readonly token: string
  pageUrl(role?: WindowRole): string
  /** Everything the host printed (for failure messages). */
  output(): string
  stop(): Promise<void>
}

/**
 * Start the browser host on a free port. It keeps its device key and paired devices in a fresh temporary folder
 * (removed by stop()): every host is a new installation that has paired with nothing.
 */
export async function launchHost(options: { timeoutMs?: number } = {}): Promise<HostProcess> {
  const configDir = mkdtempSync(join(tmpdir(), 'framecast-e2e-config-'))
  const child: ChildProcess = spawn(
    process.execPath,
    [resolve(ROOT, 'node_modules/tsx/dist/cli.mjs'), resolve(ROOT, 'src/web-host/server.ts'), '--port', '0', '--config-dir', configDir],
    // Multicast DNS kept to loopback (the specs and the e2e benchmark), unless the caller chose an interface.
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { FRAMECAST_MDNS_INTERFACE: '127.0.0.1', ...process.env, FORCE_COLOR: '0' } }
  )
  let log = ''
  child.stdout?.setEncoding('utf8')
  child.stderr?.setEncoding('utf8')
  child.stderr?.on('data', (s: string) => (log += s))

  const startUrl = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`web host did not start:\n${log}`)), options.timeoutMs ?? 30_000)
    child.stdout?.on('data', (s: string) => {
      log += s
      const m = /start:\s+(\S+)/.exec(log)
      if (m) {
        clearTimeout(timer)
        resolveUrl(m[1]!)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`web host exited with ${code}:\n${log}`))
    })
  })
  const url = new URL(startUrl)
  const token = url.searchParams.get('token') ?? ''
  return {
    origin: url.origin,
    token,
    pageUrl: (role?: WindowRole) => `${url.origin}/?token=${encodeURIComponent(token)}${role && role !== 'start' ? `#${role}` : ''}`,
    output: () => log,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return rmSync(configDir, { recursive: true, force: true })
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
      rmSync(configDir, { recursive: true, force: true })
    }
  }
}
