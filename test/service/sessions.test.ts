import net from 'node:net'
import sharp from 'sharp'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { partnerAddresses, Sessions, type Peer } from '../../src/service/sessions'
import { freePort, rawServer } from '../support/net'
import { encodeFrame, encodeInfo, encodePreamble } from '../../src/core/codec/codec'
import type { BroadcastStatus, DeviceList, EventChannel, EventMap, NetInterface, Result, WatchFrame, WatchStatus, WindowRole } from '../../src/shared/ipc'
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

/**
 * Start a (private) broadcast and a watch on loopback, type the code the broadcast window shows into the watch window
 * when it asks, as a person would, and wait until the viewer is live.
 */
async function liveLink(sessions: Sessions, watchSessions = sessions) {
  const b = new RecordingPeer('b1', 'broadcast')
  const w = new RecordingPeer('w1', 'watch')
  const port = await freePort()
  const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', startRequest(port)))
  expect(status.access).toBe('private')
  expect(value(await watchSessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))).toBeNull()
  await w.waitFor('watch:state', (s) => s.state === 'pairing')
  expect(value(await watchSessions.handle(w, 'watch:code', { code: status.pairing!.code }))).toBeNull()
  await w.waitFor('watch:state', (s) => s.state === 'live')
  await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)
  return { b, w, port, status }
}

describe('Sessions with real loopback sockets', () => {
  it('starts a broadcast, lets a real Watcher connect, and delivers broadcast:frame to the watch peer as watch:frame', async () => {
    const sessions = makeSessions()
    const { b, w, port, status } = await liveLink(sessions)
    expect(status).toMatchObject({ state: 'live', port, host: '127.0.0.1', addresses: [`127.0.0.1:${port}`], classic: 'off', mjpegPort: null, error: null })
    const live = await w.waitFor('watch:state', (s) => s.state === 'live')
    expect(live.security).toEqual({ encrypted: true, fingerprint: status.fingerprint, paired: true })
    expect(b.all('broadcast:status')[0]).toMatchObject({ state: 'live', port })
    expect(live.info).toEqual({ codec: 'jpeg', width: 32, height: 24, fps: 30, name: 'Desk' })

    const capturedAtUs = nowUs()
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 41, capturedAtUs, jpeg }))).toEqual({ sent: true })
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
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg }))).toEqual({ sent: false })
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
    expect(status).toMatchObject({ state: 'live', port, classic: 'pickle', mjpegPort, access: 'open', pairing: null })
    expect(status.mjpegPath).toMatch(/^\/stream\.mjpg\?token=[\w-]{20,}$/)
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
      expect((await fetch(`http://127.0.0.1:${mjpegPort}/snapshot.jpg`)).status, 'no token, no picture').toBe(404)
      const snapshot = await fetch(`http://127.0.0.1:${mjpegPort}${status.mjpegPath!.replace('/stream.mjpg', '/snapshot.jpg')}`)
      expect(snapshot.status).toBe(200)
      expect(Buffer.from(await snapshot.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true)
    } finally {
      clearInterval(feed)
    }
    value(await sessions.handle(b, 'broadcast:stop', {}))
    await expect(fetch(`http://127.0.0.1:${mjpegPort}/snapshot.jpg`)).rejects.toThrow()
  })
})

describe('Sessions: devices, Kick and Block', () => {
  it('kicks a viewer (it may connect again), blocks a device (it may not), and lists, renames and forgets devices', async () => {
    const sessions = makeSessions()
    const { b, w, port } = await liveLink(sessions)
    const feed = setInterval(() => void sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: nowUs(), jpeg }), 33)
    try {
      const devices = value<DeviceList>(await sessions.handle(b, 'devices:list', {}))
      const viewerDevice = devices.devices.find((d) => d.role === 'viewer')!
      expect(viewerDevice).toMatchObject({ fingerprint: devices.self, blocked: false })
      expect(devices.devices.find((d) => d.role === 'broadcaster')?.name).toBe('Desk')

      const viewer = (await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)).viewers[0]!
      expect(viewer.fingerprint).toBe(devices.self)
      // Renamed in Paired devices: the viewer list says the new name.
      value(await sessions.handle(b, 'devices:rename', { role: 'viewer', fingerprint: devices.self, name: 'Mia’s laptop' }))
      await b.waitFor('broadcast:status', (s) => s.viewers[0]?.name === 'Mia’s laptop')
      value(await sessions.handle(b, 'broadcast:kick', { viewerId: viewer.id }))
      // Kicked: the watch stops and says why; connecting again needs no code, the device is still paired.
      expect((await w.waitFor('watch:state', (s) => s.state === 'error')).error?.code).toBe('KICKED')
      const restart = w.events.length
      value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))
      await w.waitFor('watch:state', (s) => s.state === 'live', restart)
      const states = w.events.slice(restart).flatMap((e) => (e.channel === 'watch:state' ? [(e.payload as WatchStatus).state] : []))
      expect(states).not.toContain('pairing')
      const back = (await b.waitFor('broadcast:status', (s) => s.viewers.length === 1 && s.viewers[0]!.id !== viewer.id)).viewers[0]!

      const blocking = w.events.length
      value(await sessions.handle(b, 'broadcast:block', { viewerId: back.id }))
      const blocked = await w.waitFor('watch:state', (s) => s.state === 'error', blocking)
      expect(blocked.error?.code).toBe('BLOCKED')
      const changed = await b.waitFor('devices:changed', (l) => l.devices.some((d) => d.role === 'viewer' && d.blocked))
      expect(changed.self).toBe(devices.self)

      const renamed = value<DeviceList>(await sessions.handle(b, 'devices:rename', { role: 'broadcaster', fingerprint: devices.self, name: 'Attic' }))
      expect(renamed.devices.find((d) => d.role === 'broadcaster')?.name).toBe('Attic')
      const forgotten = value<DeviceList>(await sessions.handle(b, 'devices:forget', { role: 'viewer', fingerprint: devices.self }))
      expect(forgotten.devices.filter((d) => d.role === 'viewer')).toEqual([])
    } finally {
      clearInterval(feed)
    }
  })

  it('blocking a device from Paired devices closes it where it is watching, and unblocking lets it back without a code', async () => {
    const sessions = makeSessions()
    const { b, w, port } = await liveLink(sessions)
    const self = value<DeviceList>(await sessions.handle(b, 'devices:list', {})).self
    const blocking = w.events.length
    const list = value<DeviceList>(await sessions.handle(b, 'devices:block', { fingerprint: self, blocked: true }))
    expect(list.devices.find((d) => d.role === 'viewer')?.blocked).toBe(true)
    expect((await w.waitFor('watch:state', (s) => s.state === 'error', blocking)).error?.code).toBe('BLOCKED')
    await b.waitFor('broadcast:status', (s) => s.viewers.length === 0)

    value(await sessions.handle(b, 'devices:block', { fingerprint: self, blocked: false }))
    const restart = w.events.length
    value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))
    await w.waitFor('watch:state', (s) => s.state === 'live', restart)
    const states = w.events.slice(restart).flatMap((e) => (e.channel === 'watch:state' ? [(e.payload as WatchStatus).state] : []))
    expect(states).not.toContain('pairing')
  })

  it('streams to anyone in the clear when the broadcast is open, and says so', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    const w = new RecordingPeer('w1', 'watch')
    const port = await freePort()
    const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), access: 'open' }))
    expect(status).toMatchObject({ access: 'open', pairing: null, fingerprint: null })
    value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))
    const live = await w.waitFor('watch:state', (s) => s.state === 'live')
    expect(live.security).toEqual({ encrypted: false, fingerprint: null, paired: false })
    const kick = await sessions.handle(b, 'broadcast:block', { viewerId: (await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)).viewers[0]!.id })
    expect(!kick.ok && kick.error.code).toBe('INVALID_ARGUMENT')
  })
})

describe('Sessions requests without sockets', () => {
  it('answers broadcast:frame with sent:false when not broadcasting', async () => {
    const sessions = makeSessions()
    expect(value(await sessions.handle(new RecordingPeer('b', 'broadcast'), 'broadcast:frame', { seq: 0, capturedAtUs: 0, jpeg }))).toEqual({ sent: false })
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

  it('lists the LAN addresses for a dual-stack wildcard, and global IPv6 (in brackets) only when asked', () => {
    expect(partnerAddresses('::', 9999, ifaces)).toEqual(['192.168.1.20:9999', '10.0.0.7:9999'])
    expect(partnerAddresses('::', 9999, ifaces, { global: true })).toEqual(['192.168.1.20:9999', '10.0.0.7:9999', '[2001:db8::5]:9999'])
  })

  it('puts LAN addresses before public ones, IPv6 unique local among them', () => {
    const mixed: NetInterface[] = [
      { name: 'wan', address: '203.0.113.9', family: 'IPv4', internal: false },
      { name: 'eth0', address: 'fd12:3456::7', family: 'IPv6', internal: false },
      { name: 'eth0', address: '192.168.1.20', family: 'IPv4', internal: false }
    ]
    expect(partnerAddresses('::', 9999, mixed)).toEqual(['192.168.1.20:9999', '203.0.113.9:9999', '[fd12:3456::7]:9999'])
  })

  it('lists only IPv4 addresses for the IPv4 wildcard', () => {
    expect(partnerAddresses('0.0.0.0', 9000, ifaces)).toEqual(['192.168.1.20:9000', '10.0.0.7:9000'])
  })

  it('lists just the bound address for a specific interface', () => {
    expect(partnerAddresses('192.168.1.20', 9999, ifaces)).toEqual(['192.168.1.20:9999'])
    expect(partnerAddresses('2001:db8::5', 9999, ifaces)).toEqual(['[2001:db8::5]:9999'])
  })
})
