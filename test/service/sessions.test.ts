import net from 'node:net'
import sharp from 'sharp'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { partnerAddresses, Sessions, type Peer } from '../../src/service/sessions'
import { freePort, rawServer } from '../support/net'
import { encodeFrame, encodeInfo, encodePreamble } from '../../src/core/codec/codec'
import type { BroadcastStatus, EventChannel, EventMap, NetInterface, Result, WatchFrame, WatchStatus, WindowRole } from '../../src/shared/ipc'
import { nowUs } from '../../src/shared/protocol'

class RecordingPeer implements Peer {
  readonly events: Array<{ channel: EventChannel; payload: unknown }> = []
  private readonly waiters = new Set<() => void>()
  constructor(
    readonly id: string,
    readonly role: WindowRole
  ) {}
  send<E extends EventChannel>(channel: E, payload: EventMap[E]): void {
    this.events.push({ channel, payload })
    for (const w of [...this.waiters]) w()
  }
  all<E extends EventChannel>(channel: E): Array<EventMap[E]> {
    return this.events.filter((e) => e.channel === channel).map((e) => e.payload as EventMap[E])
  }
  /** The first event on `channel` at or after event index `from` (already received or still to come) that matches. */
  waitFor<E extends EventChannel>(channel: E, match: (p: EventMap[E]) => boolean = () => true, from = 0, timeoutMs = 8_000): Promise<EventMap[E]> {
    return new Promise((resolve, reject) => {
      const look = (): boolean => {
        const hit = this.events
          .slice(from)
          .filter((e) => e.channel === channel)
          .map((e) => e.payload as EventMap[E])
          .find(match)
        if (hit === undefined) return false
        this.waiters.delete(tryNow)
        clearTimeout(timer)
        resolve(hit)
        return true
      }
      const tryNow = (): void => void look()
      const timer = setTimeout(() => {
        this.waiters.delete(tryNow)
        reject(new Error(`${this.id}: no matching ${channel} within ${timeoutMs} ms; got ${JSON.stringify(this.all(channel)).slice(0, 400)}`))
      }, timeoutMs)
      if (!look()) this.waiters.add(tryNow)
    })
  }
}

function value<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`)
  return r.value as T
}

let jpeg: Uint8Array
beforeAll(async () => {
  jpeg = new Uint8Array(await sharp({ create: { width: 32, height: 24, channels: 3, background: '#c33' } }).jpeg().toBuffer())
})

const open: Sessions[] = []
function makeSessions(logs: string[] = []): Sessions {
  const s = new Sessions({ log: (l) => logs.push(l), listInterfaces: () => [] })
  open.push(s)
  return s
}
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.closeAll()))
})

const startRequest = (port: number) => ({ port, host: '127.0.0.1', name: 'Desk', width: 32, height: 24, fps: 30 })

/** Start a broadcast and a watch on loopback and wait until the viewer is live. */
async function liveLink(sessions: Sessions, watchSessions = sessions) {
  const b = new RecordingPeer('b1', 'broadcast')
  const w = new RecordingPeer('w1', 'watch')
  const port = await freePort()
  const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', startRequest(port)))
  expect(value(await watchSessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))).toBeNull()
  await w.waitFor('watch:state', (s) => s.state === 'live')
  await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)
  return { b, w, port, status }
}

describe('Sessions with real loopback sockets', () => {
  it('starts a broadcast, lets a real Watcher connect, and delivers broadcast:frame to the watch peer as watch:frame', async () => {
    const sessions = makeSessions()
    const { b, w, port, status } = await liveLink(sessions)
    expect(status).toMatchObject({ state: 'live', port, host: '127.0.0.1', addresses: [`127.0.0.1:${port}`], classic: 'off', mjpegPort: null, error: null })
    expect(b.all('broadcast:status')[0]).toMatchObject({ state: 'live', port })
    const live = await w.waitFor('watch:state', (s) => s.state === 'live')
    expect(live.info).toEqual({ codec: 'jpeg', width: 32, height: 24, fps: 30, name: 'Desk' })

    const capturedAtUs = nowUs()
    const full = { quality: 100, scale: 1, bitrateBps: null }
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 41, capturedAtUs, jpeg }))).toEqual({ sent: true, target: full })
    const frame = await w.waitFor('watch:frame')
    expect(frame.seq).toBe(41)
    expect(frame.capturedAtUs).toBe(capturedAtUs)
    expect(frame.jpeg).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(frame.jpeg).equals(Buffer.from(jpeg))).toBe(true)
    const joined = await b.waitFor('broadcast:status', (s) => s.totals.frames >= 1)
    expect(joined.viewers[0]!.address).toMatch(/127\.0\.0\.1/)
  })

  it('hands a burst of frames on newest-last, never out of order and never more than were sent', async () => {
    const sessions = makeSessions()
    const { b, w } = await liveLink(sessions)
    const seqs = [100, 101, 102, 103, 104, 105, 106, 107]
    await Promise.all(seqs.map((seq) => sessions.handle(b, 'broadcast:frame', { seq, capturedAtUs: nowUs(), jpeg })))
    await w.waitFor('watch:frame', (f) => f.seq === 107)
    const got = w.all('watch:frame').map((f: WatchFrame) => f.seq)
    expect(got[got.length - 1]).toBe(107)
    expect(got.length).toBeLessThanOrEqual(seqs.length)
    for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThan(got[i - 1]!)
  })

  it('hands the window only the newest of the frames the watcher decoded in one turn', async () => {
    const sessions = makeSessions()
    const sockets: net.Socket[] = []
    const server = await rawServer((socket) => {
      sockets.push(socket)
      socket.write(Buffer.concat([encodePreamble('broadcaster'), encodeInfo({ codec: 'jpeg', width: 32, height: 24, fps: 30, name: 'Burst' })]))
    })
    try {
      const w = new RecordingPeer('w1', 'watch')
      value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port: server.port }))
      await w.waitFor('watch:state', (s) => s.state === 'live')
      // One write of five small frames reaches the watcher as one read: five 'frame' events in the same turn.
      sockets[0]!.write(Buffer.concat([1, 2, 3, 4, 5].flatMap((seq) => encodeFrame(seq, nowUs(), jpeg))))
      await w.waitFor('watch:frame', (f) => f.seq === 5)
      await new Promise((r) => setTimeout(r, 100))
      expect(w.all('watch:frame').map((f) => f.seq)).toEqual([5])
    } finally {
      await server.close()
    }
  })

  it('re-describes the stream without dropping viewers when broadcast:start repeats on the same address', async () => {
    const sessions = makeSessions()
    const { b, w, port } = await liveLink(sessions)
    const again = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), width: 64, height: 48 }))
    expect(again.state).toBe('live')
    const updated = await w.waitFor('watch:state', (s) => s.info?.width === 64)
    expect(updated.state).toBe('live')
    expect(w.all('watch:state').filter((s) => s.state === 'reconnecting')).toEqual([])
  })

  it('stops on broadcast:stop: the broadcast window hears idle and the watcher leaves live', async () => {
    const sessions = makeSessions()
    const { b, w } = await liveLink(sessions)
    const mark = w.events.length
    expect(value(await sessions.handle(b, 'broadcast:stop', {}))).toBeNull()
    expect(b.all('broadcast:status').at(-1)).toMatchObject({ state: 'idle', port: null, addresses: [] })
    const after = await w.waitFor('watch:state', (s) => s.state !== 'live', mark)
    expect(['reconnecting', 'lost']).toContain(after.state)
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg, ceiling: 55 }))).toEqual({
      sent: false,
      target: { quality: 55, scale: 1, bitrateBps: null }
    })
  })

  it("follows the window's quality setting, and retells the picture size when a frame comes at another", async () => {
    const sessions = makeSessions()
    const { b, w } = await liveLink(sessions)
    const fixed = value(await sessions.handle(b, 'broadcast:frame', { seq: 1, capturedAtUs: nowUs(), jpeg, quality: 60, ceiling: 60, adaptive: false }))
    expect(fixed).toEqual({ sent: true, target: { quality: 60, scale: 1, bitrateBps: null } })
    const off = await b.waitFor('broadcast:status', (s) => s.adaptation.state === 'off')
    expect(off.adaptation).toEqual({ state: 'off', ceiling: 60, target: { quality: 60, scale: 1, bitrateBps: null } })
    // Adaptation on again over loopback: nothing is network-limited, so it asks for the setting at full size.
    const adaptive = value(await sessions.handle(b, 'broadcast:frame', { seq: 2, capturedAtUs: nowUs(), jpeg, quality: 60, adaptive: true }))
    expect(adaptive).toEqual({ sent: true, target: { quality: 60, scale: 1, bitrateBps: null } })
    await b.waitFor('broadcast:status', (s) => s.adaptation.state === 'full' && s.adaptation.ceiling === 60)
    // A frame made smaller (a scale step): the viewers hear the new size without reconnecting.
    const half = new Uint8Array(await sharp({ create: { width: 16, height: 12, channels: 3, background: '#3c3' } }).jpeg().toBuffer())
    value(await sessions.handle(b, 'broadcast:frame', { seq: 3, capturedAtUs: nowUs(), jpeg: half, quality: 45 }))
    const resized = await w.waitFor('watch:state', (s) => s.info?.width === 16)
    expect(resized.info).toMatchObject({ width: 16, height: 12 })
    expect(w.all('watch:state').filter((s) => s.state === 'reconnecting')).toEqual([])
  })

  it('says BYE on closeAll, so a watcher elsewhere learns the broadcaster stopped rather than vanished', async () => {
    const broadcastSide = makeSessions()
    const watchSide = makeSessions()
    const { w } = await liveLink(broadcastSide, watchSide)
    const mark = w.events.length
    await broadcastSide.closeAll()
    const after: WatchStatus = await w.waitFor('watch:state', (s) => s.state !== 'live', mark)
    expect(after.error?.code).toBe('PEER_LOST')
    expect(after.error?.message).toMatch(/stopped/)
  })

  it('releases a closed window: its broadcast port is free again and its watcher stops talking', async () => {
    const broadcastSide = makeSessions()
    const watchSide = makeSessions()
    const { b, w, port } = await liveLink(broadcastSide, watchSide)
    await watchSide.release(w)
    const heard = w.events.length
    await broadcastSide.release(b)
    await new Promise((r) => setTimeout(r, 300))
    expect(w.events.length).toBe(heard)
    await new Promise<void>((resolve, reject) => {
      const s = net.createServer().once('error', reject)
      s.listen(port, '127.0.0.1', () => s.close(() => resolve()))
    })
  })

  it('answers ADDRESS_IN_USE when the port is taken and tells the window in an error status', async () => {
    const blocker = net.createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as net.AddressInfo).port
    try {
      const logs: string[] = []
      const sessions = makeSessions(logs)
      const b = new RecordingPeer('b1', 'broadcast')
      const r = await sessions.handle(b, 'broadcast:start', startRequest(port))
      expect(r.ok).toBe(false)
      expect(!r.ok && r.error.code).toBe('ADDRESS_IN_USE')
      expect(b.all('broadcast:status').at(-1)).toMatchObject({ state: 'error', error: { code: 'ADDRESS_IN_USE' } })
      expect(logs.some((l) => l.includes('ADDRESS_IN_USE'))).toBe(true)
    } finally {
      await new Promise((r) => blocker.close(r))
    }
  })

  it('reports CONNECTION_REFUSED while nothing listens, and goes quiet after watch:stop', async () => {
    const sessions = makeSessions()
    const w = new RecordingPeer('w1', 'watch')
    const port = await freePort()
    value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))
    const refused = await w.waitFor('watch:state', (s) => s.error?.code === 'CONNECTION_REFUSED')
    expect(refused.state).toBe('reconnecting')
    expect(refused.error!.message).toContain(`127.0.0.1:${port}`)
    value(await sessions.handle(w, 'watch:stop', {}))
    expect(w.all('watch:state').at(-1)!.state).toBe('idle')
    const heard = w.events.length
    await new Promise((r) => setTimeout(r, 600))
    expect(w.events.length).toBe(heard)
  })

  it('sends broadcast:status about once a second while live', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    value(await sessions.handle(b, 'broadcast:start', startRequest(await freePort())))
    const before = b.all('broadcast:status').length
    await new Promise((r) => setTimeout(r, 2_200))
    const ticks = b.all('broadcast:status').length - before
    expect(ticks).toBeGreaterThanOrEqual(1)
    expect(ticks).toBeLessThanOrEqual(3)
  })

  it('serves the classic format on the broadcast port and MJPEG on its own port when asked', async () => {
    const logs: string[] = []
    const sessions = makeSessions(logs)
    const b = new RecordingPeer('b1', 'broadcast')
    const port = await freePort()
    const mjpegPort = await freePort()
    const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), classic: 'pickle', mjpegPort }))
    expect(status).toMatchObject({ state: 'live', port, classic: 'pickle', mjpegPort })
    expect(logs.some((l) => l.includes('classic pickle') && l.includes(`MJPEG on port ${mjpegPort}`))).toBe(true)
    const w = new RecordingPeer('w1', 'watch')
    value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port, mode: 'classic' }))
    await new Promise((r) => setTimeout(r, 100))
    const feed = setInterval(() => void sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: nowUs(), jpeg }), 33)
    try {
      const live = await w.waitFor('watch:state', (s) => s.state === 'live')
      expect(live.format).toBe('classic')
      expect(live.info).toMatchObject({ width: 32, height: 24 })
      const frame = await w.waitFor('watch:frame')
      expect((await sharp(frame.jpeg).metadata()).width).toBe(32)
      const snapshot = await fetch(`http://127.0.0.1:${mjpegPort}/snapshot.jpg`)
      expect(snapshot.status).toBe(200)
      expect(Buffer.from(await snapshot.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true)
    } finally {
      clearInterval(feed)
    }
    value(await sessions.handle(b, 'broadcast:stop', {}))
    await expect(fetch(`http://127.0.0.1:${mjpegPort}/snapshot.jpg`)).rejects.toThrow()
  })
})

describe('Sessions requests without sockets', () => {
  it('answers broadcast:frame with sent:false when not broadcasting', async () => {
    const sessions = makeSessions()
    expect(value(await sessions.handle(new RecordingPeer('b', 'broadcast'), 'broadcast:frame', { seq: 0, capturedAtUs: 0, jpeg }))).toEqual({
      sent: false,
      target: { quality: 100, scale: 1, bitrateBps: null }
    })
  })

  it('lists the interfaces it was given for broadcast:interfaces', async () => {
    const ifaces: NetInterface[] = [{ name: 'eth0', address: '192.168.1.20', family: 'IPv4', internal: false }]
    const sessions = new Sessions({ log: () => undefined, listInterfaces: () => ifaces })
    expect(value(await sessions.handle(new RecordingPeer('b', 'broadcast'), 'broadcast:interfaces', {}))).toEqual(ifaces)
  })

  it('opens a window for app:open when the host can, and says so when it cannot', async () => {
    const opened: string[] = []
    const withWindows = new Sessions({ log: () => undefined, openWindow: (r) => opened.push(r) })
    value(await withWindows.handle(new RecordingPeer('s', 'start'), 'app:open', { role: 'broadcast' }))
    expect(opened).toEqual(['broadcast'])
    const r = await makeSessions().handle(new RecordingPeer('s', 'start'), 'app:open', { role: 'watch' })
    expect(!r.ok && r.error.code).toBe('INVALID_ARGUMENT')
  })
})

describe('partnerAddresses', () => {
  const ifaces: NetInterface[] = [
    { name: 'lo', address: '127.0.0.1', family: 'IPv4', internal: true },
    { name: 'lo', address: '::1', family: 'IPv6', internal: true },
    { name: 'eth0', address: 'fe80::1c2:3ff:fe4:5', family: 'IPv6', internal: false },
    { name: 'eth0', address: '2001:db8::5', family: 'IPv6', internal: false },
    { name: 'eth0', address: '192.168.1.20', family: 'IPv4', internal: false },
    { name: 'wlan0', address: '10.0.0.7', family: 'IPv4', internal: false }
  ]

  it('lists every non-internal address for a dual-stack wildcard, IPv4 first and IPv6 in brackets', () => {
    expect(partnerAddresses('::', 9999, ifaces)).toEqual(['192.168.1.20:9999', '10.0.0.7:9999', '[2001:db8::5]:9999'])
  })

  it('lists only IPv4 addresses for the IPv4 wildcard', () => {
    expect(partnerAddresses('0.0.0.0', 9000, ifaces)).toEqual(['192.168.1.20:9000', '10.0.0.7:9000'])
  })

  it('lists just the bound address for a specific interface', () => {
    expect(partnerAddresses('192.168.1.20', 9999, ifaces)).toEqual(['192.168.1.20:9999'])
    expect(partnerAddresses('2001:db8::5', 9999, ifaces)).toEqual(['[2001:db8::5]:9999'])
  })
})
