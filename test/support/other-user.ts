// Requests made by a program of another user on this machine (`nobody`, uid 65534), for the checks that only this
// user's own programs may skip (src/core/mjpeg/local-peer.ts). Needs root to switch users; `otherUserSupport()` says
// why not where it cannot, so tests can skip with that reason.

import { spawn, spawnSync } from 'node:child_process'

const NOBODY = 65_534

/** Whether a program can be run here as another user: `{ ok: true }`, or why not. */
export function otherUserSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return { ok: false, reason: 'switching users is tried only on Linux' }
  if (process.getuid() !== 0) return { ok: false, reason: 'running a program as another user needs root; CI runs as root' }
  const trial = spawnSync(process.execPath, ['-e', 'process.exit(0)'], { uid: NOBODY, gid: NOBODY, cwd: '/', stdio: 'ignore' })
  if (trial.status !== 0) return { ok: false, reason: `${process.execPath} cannot be run as uid ${NOBODY}` }
  return { ok: true }
}

/** The status code of `GET http://host:port/path` asked by a Node program running as `nobody`. */
export function statusAsOtherUser(host: string, port: number, path: string): Promise<number> {
  const code = `require('node:http').get(${JSON.stringify({ host, port, path })}, (r) => { process.stdout.write(String(r.statusCode)); process.exit(0) }).on('error', (e) => { process.stderr.write(String(e)); process.exit(1) })`
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', code], { uid: NOBODY, gid: NOBODY, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.stderr.on('data', (c: Buffer) => (err += c.toString()))
    child.on('error', reject)
    child.on('exit', (status) => (status === 0 ? resolve(Number(out)) : reject(new Error(`the request as uid ${NOBODY} failed: ${err.trim()}`))))
  })
}
