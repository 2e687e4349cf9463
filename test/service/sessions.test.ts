import net from 'node:net'
import sharp from 'sharp'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { partnerAddresses, Sessions, type Peer } from '../../src/service/sessions'
import { freePort, rawServer } from '../support/net'
import { encodeFrame, encodeInfo, encodePreamble } from '../../src/core/codec/codec'
import type { BroadcastStatus, DeviceList, EventChannel, EventMap, NetInterface, Result, WatchFrame, WatchStatus, WindowRole } from '../../src/shared/ipc'
import { nowUs } from '../../src/shared/protocol'
import { Discovery } from '../../src/service/discovery'
import type { DiscoveryList } from '../../src/shared/discovery'

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
    const full = { quality: 100, scale: 1, bitrateBps: null }
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 41, capturedAtUs, jpeg }))).toEqual({ sent: true, wantKeyframe: false, wantJpeg: false, target: full })
    const frame = await w.waitFor('watch:frame')
    expect(frame.seq).toBe(41)
    expect(frame.capturedAtUs).toBe(capturedAtUs)
    expect(frame).toMatchObject({ codec: 'jpeg', keyframe: true })
    expect(frame.payload).toBeInstanceOf(Uint8Array)
    expect(Buffer.from(frame.payload).equals(Buffer.from(jpeg))).toBe(true)
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
    expect(value(await sessions.handle(b, 'broadcast:frame', { seq: 1, capturedAtUs: 1, jpeg, ceiling: 55 }))).toMatchObject({
      sent: false,
      target: { quality: 55, scale: 1, bitrateBps: null }
    })
  })

  it("follows the window's quality setting, and retells the picture size when a frame comes at another", async () => {
    const sessions = makeSessions()
    const { b, w } = await liveLink(sessions)
    const fixed = value(await sessions.handle(b, 'broadcast:frame', { seq: 1, capturedAtUs: nowUs(), jpeg, quality: 60, ceiling: 60, adaptive: false }))
    expect(fixed).toMatchObject({ sent: true, target: { quality: 60, scale: 1, bitrateBps: null } })
    const off = await b.waitFor('broadcast:status', (s) => s.adaptation.state === 'off')
    expect(off.adaptation).toEqual({ state: 'off', ceiling: 60, target: { quality: 60, scale: 1, bitrateBps: null } })
    // Adaptation on again over loopback: nothing is network-limited, so it asks for the setting at full size.
    const adaptive = value(await sessions.handle(b, 'broadcast:frame', { seq: 2, capturedAtUs: nowUs(), jpeg, quality: 60, adaptive: true }))
    expect(adaptive).toMatchObject({ sent: true, target: { quality: 60, scale: 1, bitrateBps: null } })
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
      expect((await sharp(frame.payload).metadata()).width).toBe(32)
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
    expect(value(await sessions.handle(new RecordingPeer('b', 'broadcast'), 'broadcast:frame', { seq: 0, capturedAtUs: 0, jpeg }))).toEqual({
      sent: false,
      wantKeyframe: false,
      wantJpeg: false,
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

describe('Sessions and discovery (multicast DNS on loopback, on a port of this test its own)', () => {
  const mdnsPort = 30_000 + (process.pid % 10_000)
  function withDiscovery(): Sessions {
    const s = new Sessions({ log: () => undefined, listInterfaces: () => [], discovery: new Discovery({ interface: '127.0.0.1', port: mdnsPort }) })
    open.push(s)
    return s
  }
  const name = `Desk ${process.pid}`
  const listed = (l: DiscoveryList): boolean => l.broadcasters.some((x) => x.name === name)

  it('advertises a broadcast, lists it in a watch window, and takes it off the list when the broadcast stops', async () => {
    const sessions = withDiscovery()
    const b = new RecordingPeer('b1', 'broadcast')
    const w = new RecordingPeer('w1', 'watch')
    const port = await freePort()
    expect(value<DiscoveryList>(await sessions.handle(w, 'discovery:start', {}))).toMatchObject({ error: null })
    value(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), name }))
    const list = await w.waitFor('discovery:list', listed)
    expect(list.broadcasters.find((x) => x.name === name)).toMatchObject({ kind: 'framecast', port, host: '127.0.0.1', supported: true })
    const status = await b.waitFor('broadcast:status', (s) => s.advertised !== null)
    expect(status.advertised).toMatch(new RegExp(`^${name} on `))

    const before = w.events.length
    value(await sessions.handle(b, 'broadcast:stop', {}))
    await w.waitFor('discovery:list', (l) => !listed(l), before)
    expect(b.all('broadcast:status').at(-1)).toMatchObject({ state: 'idle', advertised: null })
  })

  it('advertises nothing when the broadcast asks not to be, and only watch windows may browse', async () => {
    const sessions = withDiscovery()
    const b = new RecordingPeer('b1', 'broadcast')
    const w = new RecordingPeer('w1', 'watch')
    value(await sessions.handle(w, 'discovery:start', {}))
    const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', { ...startRequest(await freePort()), name, advertise: false }))
    expect(status.advertised).toBeNull()
    const refused = await sessions.handle(b, 'discovery:start', {})
    expect(!refused.ok && refused.error.code).toBe('ACCESS_DENIED')
    // An advertisement would be heard within about a second (probe, then announce); wait well past that.
    await new Promise((r) => setTimeout(r, 2_500))
    expect(w.all('discovery:list').some(listed)).toBe(false)
    expect(b.all('broadcast:status').every((s) => s.advertised === null)).toBe(true)
  })

  it('stops sending the list after discovery:stop and when the window goes', async () => {
    const sessions = withDiscovery()
    const b = new RecordingPeer('b1', 'broadcast')
    const stopped = new RecordingPeer('w1', 'watch')
    const gone = new RecordingPeer('w2', 'watch')
    const staying = new RecordingPeer('w3', 'watch')
    for (const w of [stopped, gone, staying]) value(await sessions.handle(w, 'discovery:start', {}))
    expect(value(await sessions.handle(stopped, 'discovery:stop', {}))).toBeNull()
    await sessions.release(gone)
    value(await sessions.handle(b, 'broadcast:start', { ...startRequest(await freePort()), name }))
    await staying.waitFor('discovery:list', listed)
    expect(stopped.all('discovery:list')).toEqual([])
    expect(gone.all('discovery:list')).toEqual([])
  })
})

describe('Sessions with an H.264 stream', () => {
  const h264Start = (port: number) => ({ ...startRequest(port), codec: 'h264' as const, codecParams: 'avc1.42E01F' })
  const unit = (keyframe: boolean, fill: number): Uint8Array => {
    const b = new Uint8Array(300).fill(fill)
    b.set([0, 0, 0, 1, keyframe ? 0x65 : 0x41])
    return b
  }

  /** An H.264 broadcast and a watch of it on loopback, live with one viewer. */
  async function h264Link(sessions: Sessions) {
    const b = new RecordingPeer('b1', 'broadcast')
    const w = new RecordingPeer('w1', 'watch')
    const port = await freePort()
    const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', h264Start(port)))
    value(await sessions.handle(w, 'watch:start', { host: '127.0.0.1', port }))
    await w.waitFor('watch:state', (s) => s.state === 'pairing')
    value(await sessions.handle(w, 'watch:code', { code: status.pairing!.code }))
    const live = await w.waitFor('watch:state', (s) => s.state === 'live')
    await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)
    return { b, w, live }
  }

  it('announces H.264 with its codec string, asks the window for a keyframe when a viewer joins, and relays frames in order', async () => {
    const sessions = makeSessions()
    const { b, w, live } = await h264Link(sessions)
    expect(live.info).toEqual({ codec: 'h264', params: 'avc1.42E01F', width: 32, height: 24, fps: 30, name: 'Desk' })

    // The joining viewer needs a keyframe: the next answer says so, once; a delta before it reaches no one.
    const first = value<{ sent: boolean; wantKeyframe: boolean }>(await sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: nowUs(), h264: unit(false, 1), keyframe: false }))
    expect(first).toMatchObject({ sent: true, wantKeyframe: true, wantJpeg: false })
    const seqs = [1, 2, 3, 4, 5]
    // A camera's pace, not a burst: each frame after the one before has reached the viewer (a burst meets the delivery
    // window, and a delta that finds a frame waiting is not sent: see "Keyframes and slow viewers").
    for (const seq of seqs) {
      const answer = value(await sessions.handle(b, 'broadcast:frame', { seq, capturedAtUs: nowUs(), h264: unit(seq === 1, seq), keyframe: seq === 1, quality: 100 }))
      expect(answer).toMatchObject({ sent: true, wantKeyframe: false, wantJpeg: false })
      await w.waitFor('watch:frame', (f) => f.seq === seq)
    }
    await w.waitFor('watch:frame', (f) => f.seq === 5)
    // Every frame of the chain reaches the window, none replaced by a newer one on the way.
    expect(w.all('watch:frame').map((f: WatchFrame) => [f.seq, f.codec, f.keyframe, f.payload[5]])).toEqual(seqs.map((s) => [s, 'h264', s === 1, s]))
  })

  it('passes a Watch window’s keyframe request to the broadcaster, whose window is asked for a keyframe', async () => {
    const sessions = makeSessions()
    const { b, w } = await h264Link(sessions)
    value(await sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: nowUs(), h264: unit(true, 0), keyframe: true }))
    await w.waitFor('watch:frame', (f) => f.seq === 0)
    // Past the request made for the joining viewer.
    await new Promise((r) => setTimeout(r, 550))
    expect(value(await sessions.handle(w, 'watch:keyframe', { lastSeq: 0 }))).toBeNull()
    let answer = { wantKeyframe: false }
    const deadline = Date.now() + 3_000
    for (let seq = 1; !answer.wantKeyframe && Date.now() < deadline; seq++) {
      answer = value(await sessions.handle(b, 'broadcast:frame', { seq, capturedAtUs: nowUs(), h264: unit(false, seq), keyframe: false }))
      await new Promise((r) => setTimeout(r, 20))
    }
    expect(answer.wantKeyframe).toBe(true)
  })

  it('refuses H.264 in a classic mode or without its codec string, and an H.264 frame in a JPEG broadcast', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    const port = await freePort()
    for (const request of [
      { ...h264Start(port), classic: 'jpeg' as const },
      { ...startRequest(port), codec: 'h264' as const },
      { ...startRequest(port), codecParams: 'avc1.42E01F' }
    ]) {
      const r = await sessions.handle(b, 'broadcast:start', request)
      expect(r.ok ? null : r.error.code).toBe('INVALID_ARGUMENT')
    }
    value(await sessions.handle(b, 'broadcast:start', startRequest(port)))
    const r = await sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: 1, h264: unit(true, 0), keyframe: true })
    expect(r.ok ? null : r.error).toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('JPEG') })
  })

  it('feeds MJPEG with the JPEGs it asks the window for, while the viewers get H.264', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    const port = await freePort()
    const mjpegPort = await freePort()
    const status = value<BroadcastStatus>(await sessions.handle(b, 'broadcast:start', { ...h264Start(port), mjpegPort }))
    // No MJPEG client yet: one JPEG a second is enough, for /snapshot.jpg.
    const asks: boolean[] = []
    for (let seq = 0; seq < 5; seq++) {
      const a = value<{ wantJpeg: boolean }>(await sessions.handle(b, 'broadcast:frame', { seq, capturedAtUs: nowUs(), h264: unit(seq === 0, seq), keyframe: seq === 0 }))
      asks.push(a.wantJpeg)
    }
    expect(asks).toEqual([true, false, false, false, false])
    const answer = value<{ sent: boolean }>(await sessions.handle(b, 'broadcast:frame', { seq: 5, capturedAtUs: nowUs(), jpeg }))
    expect(answer.sent).toBe(false)
    const snapshot = await fetch(`http://127.0.0.1:${mjpegPort}${status.mjpegPath!.replace('/stream.mjpg', '/snapshot.jpg')}`)
    expect(Buffer.from(await snapshot.arrayBuffer()).equals(Buffer.from(jpeg))).toBe(true)
  })
})

describe('Sessions with a classic length prefix and size limit', () => {
  it('broadcasts with the prefix asked for, and a watch told that prefix reads it; a watch told another stops and names it', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    const port = await freePort()
    value(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), classic: 'jpeg', classicPrefix: 'u32be', maxMessageBytes: 2 * 1024 * 1024 }))
    const feed = setInterval(() => void sessions.handle(b, 'broadcast:frame', { seq: 0, capturedAtUs: nowUs(), jpeg }), 33)
    try {
      // The raw bytes: a 4-byte big-endian length, then the JPEG.
      const head = await new Promise<Buffer>((resolve, reject) => {
        const socket = net.connect(port, '127.0.0.1')
        let got = Buffer.alloc(0)
        socket.on('data', (c: Buffer) => {
          got = Buffer.concat([got, c])
          if (got.length >= 7) {
            socket.destroy()
            resolve(got.subarray(0, 7))
          }
        })
        socket.on('error', reject)
      })
      expect([head.readUInt32BE(0), ...head.subarray(4, 7)]).toEqual([jpeg.length, 0xff, 0xd8, 0xff])
      const right = new RecordingPeer('w1', 'watch')
      const wrong = new RecordingPeer('w2', 'watch')
      value(await sessions.handle(right, 'watch:start', { host: '127.0.0.1', port, mode: 'classic', classicPrefix: 'u32be', maxMessageBytes: 1024 * 1024 }))
      value(await sessions.handle(wrong, 'watch:start', { host: '127.0.0.1', port, mode: 'auto', classicPrefix: 'u64le' }))
      expect((await right.waitFor('watch:state', (s) => s.state === 'live')).info?.name).toBe(`Classic sender at 127.0.0.1:${port} (prefix ">L")`)
      const failed = await wrong.waitFor('watch:state', (s) => s.state === 'error')
      expect(failed.error?.code).toBe('BAD_LENGTH_PREFIX')
      expect(failed.error?.message).toMatch(/they fit a 4-byte big-endian length prefix/)
    } finally {
      clearInterval(feed)
    }
  })

  it('restarts a classic broadcast whose prefix changes, so new readers get the new one', async () => {
    const sessions = makeSessions()
    const b = new RecordingPeer('b1', 'broadcast')
    const port = await freePort()
    value(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), classic: 'jpeg' }))
    const first = new RecordingPeer('w1', 'watch')
    value(await sessions.handle(first, 'watch:start', { host: '127.0.0.1', port, mode: 'classic' }))
    await b.waitFor('broadcast:status', (s) => s.viewers.length === 1)
    value(await sessions.handle(b, 'broadcast:start', { ...startRequest(port), classic: 'jpeg', classicPrefix: 'u16le' }))
    // The reader of the old prefix was let go with the old broadcaster.
    await b.waitFor('broadcast:status', (s) => s.viewers.length === 0, b.events.length)
  })
})
