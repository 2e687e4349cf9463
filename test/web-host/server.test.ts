import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { mkdirSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { type Peer, Sessions } from '../../src/service/sessions'
import { freePort } from '../support/net'
import type { BroadcastStatus, Result, WatchFrame, WatchStatus, WindowRole } from '../../src/shared/ipc'
import { decodeBinary, encodeBinary, type EnvelopeHeader, parseHeader, splitBinary } from '../../src/web-host/envelope'
import { injectClient, type SessionService, startWebHost, type WebHost } from '../../src/web-host/server'

const PAGE = `<!doctype html><html><head><meta charset="UTF-8" /><title>t</title>
<script type="module" crossorigin src="./assets/index.js"></script></head><body></body></html>`

let dir: string
let host: WebHost
const logs: string[] = []

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'framecast-web-'))
  writeFileSync(join(dir, 'index.html'), PAGE)
  mkdirSync(join(dir, 'assets'))
  writeFileSync(join(dir, 'assets', 'index.js'), 'console.log("app")\n')
  host = await startWebHost({ port: 0, rendererDir: dir, sessions: new Sessions({ log: () => undefined }), log: (l) => logs.push(l) })
})

afterAll(async () => {
  await host.close()
  rmSync(dir, { recursive: true, force: true })
})

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: host.port, path, headers }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), type: String(res.headers['content-type']) })
      )
    })
    req.on('error', reject)
    req.end()
  })
}

/** Try to open a WebSocket; resolves with the HTTP status of a refusal, or 101 when it was accepted. */
function upgradeStatus(url: string, origin: string | undefined, extra: { host?: string } = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { ...(origin ? { origin } : {}), ...(extra.host ? { headers: { host: extra.host } } : {}) })
    ws.on('open', () => {
      ws.close()
      resolve(101)
    })
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0)
      ws.terminate()
    })
    ws.on('error', (e) => {
      if (!/Unexpected server response/.test(e.message)) reject(e)
    })
  })
}

function wsUrl(params: Record<string, string>, on: WebHost = host): string {
  return `ws://127.0.0.1:${on.port}/api?${new URLSearchParams(params).toString()}`
}

/** A page's side of the connection, speaking the envelope like the injected client does. */
class PageClient {
  private nextId = 1
  private readonly pending = new Map<number, (r: Result<unknown>) => void>()
  readonly events: { channel: string; payload: unknown; binary: boolean }[] = []
  private readonly waiters: (() => void)[] = []

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const msg: EnvelopeHeader = isBinary ? decodeBinary(new Uint8Array(data)) : parseHeader(data.toString('utf8'))
      if (msg.kind === 'response') {
        this.pending.get(msg.id)?.(msg.result)
        this.pending.delete(msg.id)
      } else if (msg.kind === 'event') {
        this.events.push({ channel: msg.channel, payload: msg.payload, binary: isBinary })
        for (const w of this.waiters.splice(0)) w()
      }
    })
  }

  static open(role: WindowRole, on: WebHost = host): Promise<PageClient> {
    const ws = new WebSocket(wsUrl({ token: on.token, role }, on), { origin: on.origin })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(new PageClient(ws)))
      ws.once('error', reject)
    })
  }

  call(channel: string, payload: unknown): Promise<Result<unknown>> {
    const id = this.nextId++
    const { json, bin, bytes } = splitBinary(payload)
    const header: EnvelopeHeader = { kind: 'request', id, channel, payload: json, ...(bin ? { bin } : {}) }
    const answer = new Promise<Result<unknown>>((resolve) => this.pending.set(id, resolve))
    this.ws.send(bytes ? encodeBinary(header, bytes) : JSON.stringify(header))
    return answer
  }

  async waitFor<T>(channel: string, pred: (p: T) => boolean = () => true, timeoutMs = 8000): Promise<{ payload: T; binary: boolean }> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const hit = this.events.find((e) => e.channel === channel && pred(e.payload as T))
      if (hit) return { payload: hit.payload as T, binary: hit.binary }
      if (Date.now() > deadline) throw new Error(`no ${channel} event within ${timeoutMs} ms`)
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 50)
      })
    }
  }

  close(): void {
    this.ws.close()
  }
}

function startRequest(port: number): Record<string, unknown> {
  return { port, host: '127.0.0.1', name: 'test', width: 64, height: 48, fps: 30 }
}

describe('web host', () => {
  it('listens on 127.0.0.1 and on no other address of this machine', async () => {
    expect(host.origin).toBe(`http://127.0.0.1:${host.port}`)
    const reach = (address: string): Promise<boolean> =>
      new Promise((resolve) => {
        const s = connect({ host: address, port: host.port })
        s.once('connect', () => {
          s.destroy()
          resolve(true)
        })
        s.once('error', () => resolve(false))
      })
    expect(await reach('127.0.0.1')).toBe(true)
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((i) => i && i.address !== '127.0.0.1')
      .map((i) => i!.address)
    for (const address of [...new Set(['::1', ...others])]) expect(await reach(address), address).toBe(false)
  })

  it('serves the page only with the token, with the client script injected before the app script', async () => {
    expect((await get('/')).status).toBe(401)
    expect((await get('/?token=wrong')).status).toBe(401)
    const page = await get(`/?token=${host.token}`)
    expect(page.status).toBe(200)
    const client = page.body.indexOf(`<script src="/web-api.js?token=${host.token}"></script>`)
    expect(client).toBeGreaterThan(0)
    expect(client).toBeLessThan(page.body.indexOf('<script type="module"'))
  })

  it('serves the client script only with the token', async () => {
    expect((await get('/web-api.js')).status).toBe(401)
    const script = await get(`/web-api.js?token=${host.token}`)
    expect(script.status).toBe(200)
    expect(script.type).toMatch(/^text\/javascript/)
    expect(script.body).toContain('startBroadcast')
    expect(script.body).toContain('/api')
  })

  it('serves build assets and nothing outside the build directory', async () => {
    expect((await get('/assets/index.js')).body).toContain('console.log')
    expect((await get('/%2e%2e/%2e%2e/etc/passwd')).status).toBe(404)
    expect((await get('/assets/%2e%2e%2f%2e%2e%2fpackage.json')).status).toBe(404)
  })

  it('refuses requests that name another host (DNS rebinding)', async () => {
    expect((await get(`/?token=${host.token}`, { host: `evil.example:${host.port}` })).status).toBe(403)
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'watch' }), host.origin, { host: 'evil.example' })).toBe(403)
  })

  it('refuses a WebSocket without the token or with a wrong one', async () => {
    expect(await upgradeStatus(wsUrl({ role: 'watch' }), host.origin)).toBe(401)
    expect(await upgradeStatus(wsUrl({ token: host.token.slice(1) + 'x', role: 'watch' }), host.origin)).toBe(401)
  })

  it('refuses a WebSocket from another origin or with no origin', async () => {
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'watch' }), 'http://evil.example')).toBe(403)
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'watch' }), 'http://localhost:' + host.port)).toBe(403)
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'watch' }), undefined)).toBe(403)
  })

  it('refuses a WebSocket that claims an unknown role', async () => {
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'admin' }), host.origin)).toBe(400)
    expect(await upgradeStatus(wsUrl({ token: host.token, role: 'watch' }), host.origin)).toBe(101)
  })

  it('lets the page it served start a broadcast and sends it the status', async () => {
    const page = await PageClient.open('broadcast')
    const port = await freePort()
    const result = (await page.call('broadcast:start', startRequest(port))) as Result<BroadcastStatus>
    expect(result.ok).toBe(true)
    if (result.ok) expect(result.value).toMatchObject({ state: 'live', port, host: '127.0.0.1' })
    const status = await page.waitFor<BroadcastStatus>('broadcast:status', (s) => s.state === 'live')
    expect(status.payload.port).toBe(port)
    expect(await page.call('broadcast:stop', {})).toEqual({ ok: true, value: null })
    page.close()
  })

  it('answers bad payloads with the shared INVALID_ARGUMENT error', async () => {
    const page = await PageClient.open('broadcast')
    const bad = await page.call('broadcast:start', { ...startRequest(70000) })
    expect(bad).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    if (!bad.ok) expect(bad.error.message).toMatch(/^port: /)
    const extra = await page.call('broadcast:start', { ...startRequest(9999), evil: true })
    expect(extra).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const notJpeg = await page.call('broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: new Uint8Array([1, 2, 3, 4]) })
    expect(notJpeg).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'jpeg: A frame must be a JPEG image' } })
    const jsonJpeg = await page.call('broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: [0xff, 0xd8, 0xff] })
    expect(jsonJpeg).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    const unknown = await page.call('system:exec', {})
    expect(unknown).toMatchObject({ ok: false, error: { code: 'INVALID_ARGUMENT' } })
    page.close()
  })

  it('refuses a request the window role may not make', async () => {
    const page = await PageClient.open('watch')
    const r = await page.call('broadcast:start', startRequest(await freePort()))
    expect(r).toMatchObject({ ok: false, error: { code: 'ACCESS_DENIED' } })
    page.close()
  })

  it('survives an unreadable message and keeps answering on the same connection', async () => {
    const page = await PageClient.open('broadcast')
    page.ws.send('{not json')
    page.ws.send(new Uint8Array([0, 0, 0, 200, 1, 2]))
    expect(await page.call('broadcast:interfaces', {})).toMatchObject({ ok: true })
    page.close()
  })

  it('carries JPEG frames as binary messages from a broadcast page to a watch page', async () => {
    const jpeg = new Uint8Array(
      await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 10, b: 10 } } }).jpeg().toBuffer()
    )
    const broadcast = await PageClient.open('broadcast')
    const watch = await PageClient.open('watch')
    const port = await freePort()
    const started = await broadcast.call('broadcast:start', startRequest(port))
    expect(started.ok).toBe(true)
    expect(await watch.call('watch:start', { host: '127.0.0.1', port })).toEqual({ ok: true, value: null })
    // A private broadcast: the watch page asks for the code the broadcast page shows.
    await watch.waitFor<{ state: string }>('watch:state', (s) => s.state === 'pairing')
    const code = (started as { value: { pairing: { code: string } } }).value.pairing.code
    expect(await watch.call('watch:code', { code })).toEqual({ ok: true, value: null })
    await watch.waitFor<{ state: string }>('watch:state', (s) => s.state === 'live')

    let seq = 0
    const sender = setInterval(() => {
      void broadcast.call('broadcast:frame', { seq: ++seq, capturedAtUs: Date.now() * 1000, jpeg })
    }, 30)
    try {
      const frame = await watch.waitFor<WatchFrame>('watch:frame')
      expect(frame.binary).toBe(true)
      expect(frame.payload.payload).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(frame.payload.payload).equals(Buffer.from(jpeg))).toBe(true)
      expect(frame.payload.seq).toBeGreaterThan(0)
    } finally {
      clearInterval(sender)
    }
    broadcast.close()
    watch.close()
  })

  it('writes one frame at a time to a page: frames that come meanwhile are replaced by the newest, events keep their order', async () => {
    // Session services that only remember the page, so the test can send it events directly.
    let peer: Peer | undefined
    const sessions: SessionService = {
      handle: async (p) => {
        peer = p
        return { ok: true, value: null }
      },
      release: async () => undefined,
      closeAll: async () => undefined
    }
    const lines: string[] = []
    const own = await startWebHost({ port: 0, rendererDir: dir, sessions, log: (l) => lines.push(l) })
    try {
      const page = await PageClient.open('watch', own)
      await page.call('watch:stop', {})
      const frame = (seq: number): WatchFrame => ({ seq, capturedAtUs: seq, latencyMs: null, quality: 70, codec: 'jpeg', keyframe: true, payload: new Uint8Array(64 * 1024).fill(seq) })
      // One burst in one turn of the event loop: the first frame is being written while the others come.
      for (let seq = 1; seq <= 10; seq++) peer!.send('watch:frame', frame(seq))
      peer!.send('watch:state', { state: 'live', host: '127.0.0.1', port: 9, attempt: 1, format: 'native', info: null, security: null, error: null })
      await page.waitFor<WatchStatus>('watch:state')
      expect(page.events.map((e) => (e.channel === 'watch:frame' ? (e.payload as WatchFrame).seq : e.channel))).toEqual([1, 10, 'watch:state'])
      const last = page.events[1]!.payload as WatchFrame
      expect(last.payload.every((b) => b === 10)).toBe(true)
      // Once the page has caught up, the next frame goes out at once.
      peer!.send('watch:frame', frame(11))
      await page.waitFor<WatchFrame>('watch:frame', (f) => f.seq === 11)
      page.close()
      await expect.poll(() => lines.some((l) => l.includes('(8 frames replaced while waiting for a slow page)'))).toBe(true)
    } finally {
      await own.close()
    }
  })

  it('stops a page’s broadcast when its connection closes', async () => {
    const page = await PageClient.open('broadcast')
    const port = await freePort()
    expect((await page.call('broadcast:start', startRequest(port))).ok).toBe(true)
    page.close()
    const deadline = Date.now() + 5000
    let free = false
    while (!free && Date.now() < deadline) {
      free = await new Promise<boolean>((resolve) => {
        const s = connect({ host: '127.0.0.1', port })
        s.once('connect', () => {
          s.destroy()
          resolve(false)
        })
        s.once('error', () => resolve(true))
      })
      if (!free) await new Promise((r) => setTimeout(r, 50))
    }
    expect(free).toBe(true)
  })
})

describe('injectClient', () => {
  it('puts the client script before the first script of the page', () => {
    const out = injectClient(PAGE, 'abc')
    expect(out.indexOf('<script src="/web-api.js?token=abc"></script>')).toBeLessThan(out.indexOf('type="module"'))
  })

  it('falls back to the end of the head when the page has no script', () => {
    expect(injectClient('<html><head></head><body></body></html>', 'a b')).toContain('<script src="/web-api.js?token=a%20b"></script>\n</head>')
  })
})
