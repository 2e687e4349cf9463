// The browser host against a page (or any local program) that misbehaves: requests sent faster than they can be
// answered, garbage in a loop, request targets that do not parse, tokens in URLs that fail. Real loopback sockets.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { Result } from '../../src/shared/ipc'
import { parseHeader } from '../../src/web-host/envelope'
import { MAX_REQUESTS_IN_FLIGHT, pathForLog, type SessionService, startWebHost, type WebHost } from '../../src/web-host/server'
import { sleep, waitUntil } from '../support/net'

const TOKEN = 'T0KEN-that-must-never-be-logged'

let dir: string
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'framecast-web-hardening-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** Session services whose answers wait until release(): how many requests the host has handed on shows in `calls`. */
class HeldSessions implements SessionService {
  calls = 0
  private readonly waiting: Array<() => void> = []
  async handle(): Promise<Result<unknown>> {
    this.calls++
    await new Promise<void>((r) => this.waiting.push(r))
    return { ok: true, value: null }
  }
  release(): Promise<void> {
    for (const r of this.waiting.splice(0)) r()
    return Promise.resolve()
  }
  closeAll(): Promise<void> {
    return this.release()
  }
  get held(): number {
    return this.waiting.length
  }
}

const hosts: WebHost[] = []
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.close()
})

async function host(sessions: SessionService, logs: string[]): Promise<WebHost> {
  const h = await startWebHost({ port: 0, rendererDir: dir, sessions, token: TOKEN, log: (l) => logs.push(l) })
  hosts.push(h)
  return h
}

function page(h: WebHost): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${h.port}/api?token=${TOKEN}&role=broadcast`, { origin: h.origin })
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws))
    ws.once('error', reject)
  })
}

/** Write raw bytes to the host and collect what comes back until it closes (or 2 s). */
function raw(h: WebHost, text: string): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(h.port, '127.0.0.1', () => s.write(text))
    let got = ''
    s.on('data', (d: Buffer) => (got += d.toString('latin1')))
    s.on('error', () => undefined)
    const t = setTimeout(() => s.destroy(), 2_000)
    s.on('close', () => {
      clearTimeout(t)
      resolve(got)
    })
  })
}

describe('the browser host under a flood of requests', () => {
  it(`answers at most ${MAX_REQUESTS_IN_FLIGHT} requests of one page at a time, and in the end answers them all`, async () => {
    const sessions = new HeldSessions()
    const h = await host(sessions, [])
    const ws = await page(h)
    const answers = new Set<number>()
    ws.on('message', (data: Buffer) => {
      const m = parseHeader(data.toString('utf8'))
      if (m.kind === 'response') answers.add(m.id)
    })
    const N = 2_000
    for (let id = 1; id <= N; id++) ws.send(JSON.stringify({ kind: 'request', id, channel: 'broadcast:interfaces', payload: {} }))
    await waitUntil(() => sessions.calls >= MAX_REQUESTS_IN_FLIGHT, 5_000, 'the first requests')
    await sleep(300)
    expect(sessions.calls).toBe(MAX_REQUESTS_IN_FLIGHT)
    expect(sessions.held).toBe(MAX_REQUESTS_IN_FLIGHT)

    // Let every answer through as it comes: all N are answered, each once.
    const releasing = setInterval(() => void sessions.release(), 5)
    try {
      await waitUntil(() => answers.size === N, 20_000, `${N} answers`)
    } finally {
      clearInterval(releasing)
    }
    expect(sessions.calls).toBe(N)
    ws.close()
  })
})

describe('the browser host log', () => {
  it('writes an unreadable-message complaint once a second at most, and counts the rest', async () => {
    const logs: string[] = []
    const h = await host(new HeldSessions(), logs)
    const ws = await page(h)
    for (let i = 0; i < 1_000; i++) ws.send('not json')
    ws.send(JSON.stringify({ kind: 'request', id: 1, channel: 'broadcast:interfaces', payload: {} }))
    await waitUntil(() => logs.some((l) => l.includes('unreadable')), 5_000, 'the first complaint')
    await sleep(300)
    expect(logs.filter((l) => l.includes('unreadable'))).toHaveLength(1)
    await sleep(800)
    ws.send('still not json')
    await waitUntil(() => logs.filter((l) => l.includes('unreadable')).length === 2, 5_000, 'the second complaint')
    expect(logs.filter((l) => l.includes('unreadable'))[1]).toMatch(/\(and 999 more like it\)/)
    ws.close()
  })

  it('never logs a query string: a request whose target does not parse is answered 400, and the token stays out of the log', async () => {
    const logs: string[] = []
    const h = await host(new HeldSessions(), logs)
    const at = `127.0.0.1:${h.port}`
    const get = await raw(h, `GET http://[bad?token=${TOKEN} HTTP/1.1\r\nHost: ${at}\r\nConnection: close\r\n\r\n`)
    expect(get).toMatch(/^HTTP\/1\.1 400 /)
    const upgrade = await raw(
      h,
      `GET http://[bad/api?token=${TOKEN}&role=watch HTTP/1.1\r\nHost: ${at}\r\nOrigin: http://${at}\r\nUpgrade: websocket\r\n` +
        'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n'
    )
    expect(upgrade).toMatch(/^HTTP\/1\.1 400 /)
    // The host is still serving.
    expect(await raw(h, `GET /?token=${TOKEN} HTTP/1.1\r\nHost: ${at}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 200 /)
    expect(logs.join('\n')).not.toContain(TOKEN)
  })

  it('shows a request target in a log line by its path alone', () => {
    expect(pathForLog(`/web-api.js?token=${TOKEN}`)).toBe('"/web-api.js"')
    expect(pathForLog(`/index.html#x?token=${TOKEN}`)).toBe('"/index.html"')
    expect(pathForLog('/a\u0000b\nc')).toBe('"/a\\u0000b\\nc"')
    expect(pathForLog(undefined)).toBe('""')
    expect(pathForLog('/' + 'x'.repeat(500)).length).toBeLessThanOrEqual(122)
  })
})
