import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { BrowserWindow, FakeWebContents, ipcMain, type FakeFrame } from './fake-electron'
import { ownBytes, registerIpc } from '../../src/main/ipc'
import { Sessions, type Peer } from '../../src/service/sessions'
import { createWindow } from '../../src/main/windows'
import { IPC_REQUEST_CHANNEL, type Result, type WindowRole } from '../../src/shared/ipc'

vi.mock('electron', () => import('./fake-electron'))

const JPEG = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46, 0xff, 0xd9])

let logs: string[]
let opened: string[]
let sessions: Sessions
let unregister: () => void

beforeEach(() => {
  logs = []
  opened = []
  sessions = new Sessions({ log: (l) => logs.push(l), openWindow: (role) => opened.push(role), listInterfaces: () => [] })
  unregister = registerIpc({ sessions, log: (l) => logs.push(l) })
})

afterEach(async () => {
  unregister()
  for (const w of BrowserWindow.all.splice(0)) if (!w.destroyed) w.close()
  await sessions.closeAll()
})

function windowFor(role: WindowRole): FakeWebContents {
  return (createWindow(role) as unknown as BrowserWindow).webContents
}

async function invoke(sender: FakeWebContents, channel: unknown, payload: unknown, frame: FakeFrame | null = sender.mainFrame): Promise<Result<unknown>> {
  const handler = ipcMain.handlers.get(IPC_REQUEST_CHANNEL)
  expect(handler).toBeDefined()
  return (await handler!({ sender, senderFrame: frame }, channel, payload)) as Result<unknown>
}

function errorOf(r: Result<unknown>): { code: string; message: string } {
  expect(r.ok).toBe(false)
  return (r as { ok: false; error: { code: string; message: string } }).error
}

describe('registerIpc', () => {
  it('answers a valid request from one of our windows', async () => {
    const start = windowFor('start')
    expect(await invoke(start, 'app:open', { role: 'watch' })).toEqual({ ok: true, value: null })
    expect(opened).toEqual(['watch'])
  })

  it('refuses a request from a webContents we did not create, and logs it', async () => {
    const stranger = new FakeWebContents()
    stranger.url = windowFor('start').url
    expect(errorOf(await invoke(stranger, 'app:open', { role: 'watch' })).code).toBe('ACCESS_DENIED')
    expect(opened).toEqual([])
    expect(logs.some((l) => l.includes('not a window we created'))).toBe(true)
  })

  it('refuses a request from a subframe of our window', async () => {
    const start = windowFor('start')
    expect(errorOf(await invoke(start, 'app:open', { role: 'watch' }, start.subFrame())).code).toBe('ACCESS_DENIED')
    expect(logs.some((l) => l.includes('subframe'))).toBe(true)
    expect(opened).toEqual([])
  })

  it('refuses a request whose frame is gone or shows another page', async () => {
    const start = windowFor('start')
    expect(errorOf(await invoke(start, 'app:open', { role: 'watch' }, null)).code).toBe('ACCESS_DENIED')
    start.url = 'https://example.com/'
    expect(errorOf(await invoke(start, 'app:open', { role: 'watch' })).code).toBe('ACCESS_DENIED')
    expect(logs.some((l) => l.includes('not ours'))).toBe(true)
    expect(opened).toEqual([])
  })

  it('refuses a request from a window that has closed', async () => {
    const win = createWindow('start') as unknown as BrowserWindow
    win.close()
    expect(errorOf(await invoke(win.webContents, 'app:open', { role: 'watch' })).code).toBe('ACCESS_DENIED')
  })

  it('answers bad payloads with an error Result and a log line', async () => {
    const broadcast = windowFor('broadcast')
    const watch = windowFor('watch')
    const start = { port: 9999, host: '127.0.0.1', name: 'cam', width: 640, height: 480, fps: 30 }
    const cases: Array<[FakeWebContents, unknown, unknown, string, RegExp]> = [
      [broadcast, 'broadcast:start', { ...start, port: 0 }, 'INVALID_ARGUMENT', /port/],
      [broadcast, 'broadcast:start', { ...start, port: 70_000 }, 'INVALID_ARGUMENT', /port/],
      [broadcast, 'broadcast:start', { ...start, port: '9999' }, 'INVALID_ARGUMENT', /port/],
      [broadcast, 'broadcast:start', { ...start, host: 'example.com' }, 'INVALID_ARGUMENT', /host/],
      [broadcast, 'broadcast:start', { ...start, extra: 1 }, 'INVALID_ARGUMENT', /extra/],
      [broadcast, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: new Uint8Array([0x89, 0x50, 0x4e, 0x47]) }, 'INVALID_ARGUMENT', /JPEG/],
      [broadcast, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: Array.from(JPEG) }, 'INVALID_ARGUMENT', /binary/],
      [broadcast, 'broadcast:frame', { seq: -1, capturedAtUs: 1, jpeg: JPEG }, 'INVALID_ARGUMENT', /seq/],
      [broadcast, 'broadcast:frame', null, 'INVALID_ARGUMENT', /./],
      [watch, 'watch:start', { host: 'not a host!', port: 9999 }, 'INVALID_ARGUMENT', /host/],
      [watch, 'watch:start', { host: '10.0.0.1', port: 65_536 }, 'INVALID_ARGUMENT', /port/],
      [watch, 'watch:delete-everything', {}, 'INVALID_ARGUMENT', /Unknown request/],
      [watch, { toString: () => 'x' }, {}, 'INVALID_ARGUMENT', /Unknown request/],
      [watch, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: JPEG }, 'ACCESS_DENIED', /watch window cannot use broadcast:frame/],
      [watch, 'broadcast:start', start, 'ACCESS_DENIED', /watch window/],
      [broadcast, 'watch:start', { host: '127.0.0.1', port: 9999 }, 'ACCESS_DENIED', /broadcast window/],
      [broadcast, '__proto__', {}, 'INVALID_ARGUMENT', /Unknown request/]
    ]
    // Identical complaints within a second are summarised; a second apart, each gets its own line.
    let clock = Date.now()
    const now = vi.spyOn(Date, 'now').mockImplementation(() => clock)
    for (const [sender, channel, payload, code, message] of cases) {
      clock += 2_000
      logs.length = 0
      const error = errorOf(await invoke(sender, channel, payload))
      expect(error.code, `${String(channel)} ${JSON.stringify(payload)}`).toBe(code)
      expect(error.message).toMatch(message)
      expect(logs.length, `a log line for ${String(channel)}`).toBeGreaterThan(0)
    }
    now.mockRestore()
  })

  it('keeps answering after a flood of bad frames, logging each kind only once a second', async () => {
    const broadcast = windowFor('broadcast')
    logs.length = 0
    for (let i = 0; i < 50; i++) await invoke(broadcast, 'broadcast:frame', { seq: i, capturedAtUs: 1, jpeg: new Uint8Array([1, 2, 3]) })
    expect(logs).toHaveLength(1)
    expect(await invoke(broadcast, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg: JPEG })).toEqual({
      ok: true,
      value: { sent: false, wantKeyframe: false, wantJpeg: false, target: { quality: 100, scale: 1, bitrateBps: null } }
    })
  })

  it('never throws to the window when the session layer fails', async () => {
    unregister()
    const failing = { handle: vi.fn(async () => Promise.reject(new Error('boom'))), release: vi.fn(async () => undefined) }
    unregister = registerIpc({ sessions: failing, log: (l) => logs.push(l) })
    const r = await invoke(windowFor('start'), 'app:open', { role: 'watch' })
    expect(errorOf(r)).toEqual({ code: 'INTERNAL', message: 'boom' })
    expect(logs.some((l) => l.includes('boom'))).toBe(true)
  })

  it('gives the session layer a peer with the role of the window we created and releases it when the window closes', async () => {
    unregister()
    const seen: Peer[] = []
    const fake = {
      handle: vi.fn(async (peer: Peer) => {
        seen.push(peer)
        return { ok: true as const, value: null }
      }),
      release: vi.fn(async () => undefined)
    }
    unregister = registerIpc({ sessions: fake, log: (l) => logs.push(l) })
    const win = createWindow('watch') as unknown as BrowserWindow
    await invoke(win.webContents, 'watch:stop', {})
    await invoke(win.webContents, 'watch:stop', {})
    expect(seen[0]!.role).toBe('watch')
    expect(seen[0]!.id).toBe(String(win.webContents.id))
    expect(seen[1]).toBe(seen[0])

    seen[0]!.send('watch:stats', { fps: 1, kbps: 2, frames: 3, gaps: 0, skippedWhileEncoding: 0, latencyP50Ms: null, latencyP95Ms: null, rttMs: null })
    expect(win.webContents.sent.map(([c]) => c)).toEqual(['watch:stats'])

    win.close()
    expect(fake.release).toHaveBeenCalledWith(seen[0])
    // Sending to a closed window is a no-op, not an exception.
    expect(() => seen[0]!.send('watch:stats', { fps: 0, kbps: 0, frames: 0, gaps: 0, skippedWhileEncoding: 0, latencyP50Ms: null, latencyP95Ms: null, rttMs: null })).not.toThrow()
  })

  it('sends a frame that is a view into a larger buffer as its own bytes only', async () => {
    unregister()
    let peer: Peer | undefined
    unregister = registerIpc({
      sessions: { handle: async (p) => ((peer = p), { ok: true, value: null }), release: async () => undefined },
      log: () => undefined
    })
    const wc = windowFor('watch')
    await invoke(wc, 'watch:stop', {})
    const slab = new Uint8Array(1 << 20)
    slab.set(JPEG, 4096)
    peer!.send('watch:frame', { seq: 3, capturedAtUs: 5, latencyMs: null, quality: 70, codec: 'jpeg', keyframe: true, payload: slab.subarray(4096, 4096 + JPEG.length) })
    const [channel, payload] = wc.sent[0]! as [string, { payload: Uint8Array; seq: number }]
    expect(channel).toBe('watch:frame')
    expect(payload.seq).toBe(3)
    expect(payload.payload.buffer.byteLength).toBe(JPEG.length)
    expect([...payload.payload]).toEqual([...JPEG])
  })
})

describe('ownBytes', () => {
  it('returns a tight array unchanged and copies a view', () => {
    const tight = new Uint8Array(8)
    expect(ownBytes(tight)).toBe(tight)
    const view = new Uint8Array(16).subarray(4, 8)
    const copy = ownBytes(view)
    expect(copy).not.toBe(view)
    expect(copy.byteLength).toBe(4)
    expect(copy.buffer.byteLength).toBe(4)
  })
})
