import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster, type BroadcasterOptions, STALL_TIMEOUT_MS, type ViewerLeft } from '../../../src/core/fanout/broadcaster'
import { frameWireBytes } from '../../../src/core/fanout/native-framing'
import { encodeFrame, encodeMessage, encodePing } from '../../../src/core/codec/codec'
import { FramecastError } from '../../../src/core/errors'
import {
  DEFAULT_MAX_VIEWERS,
  HANDSHAKE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  type Message,
  type MessageOf,
  nowUs,
  type StreamInfo
} from '../../../src/shared/protocol'
import type { ViewerStats } from '../../../src/shared/ipc'
import { fakeJpeg, rawClient, type RawPeer, rawServer, sleep, waitFor, waitUntil } from '../../support/net'

const info: StreamInfo = { codec: 'jpeg', width: 640, height: 480, fps: 30, name: 'Desk camera' }
const open: Array<{ close(): Promise<void> }> = []
const peers: RawPeer[] = []

async function broadcaster(options: Partial<BroadcasterOptions> = {}): Promise<Broadcaster> {
  const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, ...options })
  open.push(b)
  return b
}

async function viewer(
  b: Broadcaster,
  role: 'viewer' | 'broadcaster' | null = 'viewer',
  host = '127.0.0.1',
  options: { hello?: string | null } = {}
): Promise<RawPeer> {
  const p = await rawClient(b.port, host, role, options)
  peers.push(p)
  return p
}

function ofType<T extends Message['type']>(messages: Message[], type: T): MessageOf<T>[] {
  return messages.filter((m): m is MessageOf<T> => m.type === type)
}

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy()
  await Promise.all(open.splice(0).map((b) => b.close()))
})

describe('Broadcaster', () => {
  it('answers a viewer preamble with its own, and sends the stream info only after the viewer introduces itself', async () => {
    const b = await broadcaster()
    const silent = await viewer(b, null)
    const quiet = await viewer(b, 'viewer', '127.0.0.1', { hello: null })
    await waitUntil(() => quiet.messages.length >= 1, 2_000, 'the preamble')
    const v = await viewer(b, 'viewer', '127.0.0.1', { hello: 'Mia’s laptop' })
    await waitUntil(() => v.messages.length >= 2, 2_000, 'preamble and INFO')
    expect(v.messages[0]).toMatchObject({ type: 'preamble', role: 'broadcaster', version: 2, flags: 0 })
    expect(v.messages[1]).toEqual({ type: 'info', ...info })
    expect(b.viewers().map((x) => x.name)).toEqual(['Mia’s laptop'])
    await sleep(50)
    expect(quiet.messages).toEqual([expect.objectContaining({ type: 'preamble', role: 'broadcaster' })])
    expect(silent.messages).toEqual([])
  })

  it('reports a joining viewer with its address and counts it among the viewers', async () => {
    const b = await broadcaster()
    const joined = waitFor<ViewerStats>(b, 'viewer-joined')
    const v = await viewer(b)
    const stats = await joined
    expect(stats.address).toBe(`127.0.0.1:${v.socket.localPort}`)
    expect(stats.since).toBeGreaterThan(Date.now() - 5_000)
    expect(b.viewers().map((x) => x.id)).toEqual([stats.id])
    expect(b.stats().viewersEver).toBe(1)
  })

  it('delivers frames in order with header, sequence, capture time and the exact payload', async () => {
    const b = await broadcaster()
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    const sent: Uint8Array[] = []
    // As a camera does, each frame comes after the previous one was delivered (a burst is newest-frame-wins, below).
    for (let i = 0; i < 5; i++) {
      const payload = fakeJpeg(10_000 + i * 1_000, i)
      sent.push(payload)
      expect(b.send({ capturedAtUs: 1_000_000 + i, payload })).toBe(1)
      await waitUntil(() => ofType(v.messages, 'frame').length === i + 1, 2_000, `frame ${i}`)
    }
    const frames = ofType(v.messages, 'frame')
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2, 3, 4])
    expect(frames.map((f) => f.capturedAtUs)).toEqual([1_000_000, 1_000_001, 1_000_002, 1_000_003, 1_000_004])
    frames.forEach((f, i) => expect(Buffer.from(f.payload).equals(Buffer.from(sent[i]!))).toBe(true))
    const [stats] = b.viewers()
    expect(stats!.frames).toBe(5)
    expect(stats!.fps).toBe(5)
    expect(stats!.kbps).toBeGreaterThan(0)
    expect(b.stats()).toMatchObject({ frames: 5, replaced: 0, fps: 5 })
  })

  it('answers a PING with a PONG that echoes the ping and carries its own receive and send times', async () => {
    const b = await broadcaster()
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    const t1 = nowUs()
    v.socket.write(encodePing(42, t1))
    await waitUntil(() => ofType(v.messages, 'pong').length === 1, 2_000, 'a PONG')
    const [pong] = ofType(v.messages, 'pong')
    expect(pong!.id).toBe(42)
    expect(pong!.t1).toBe(t1)
    expect(pong!.t2).toBeGreaterThanOrEqual(t1)
    expect(pong!.t3).toBeGreaterThanOrEqual(pong!.t2)
    expect(pong!.t3).toBeLessThanOrEqual(nowUs())
  })

  it('answers at most 20 PINGs a second, so a PING flood cannot pile up PONGs', async () => {
    const b = await broadcaster()
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    v.socket.write(Buffer.concat(Array.from({ length: 1_000 }, (_, i) => encodePing(i, nowUs()))))
    await sleep(300)
    expect(ofType(v.messages, 'pong')).toHaveLength(20)
    expect(b.viewers()).toHaveLength(1)
  })

  it('re-sends the stream info to every viewer when it changes', async () => {
    const b = await broadcaster()
    const a = await viewer(b)
    const c = await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    b.setInfo({ ...info, width: 1280, height: 720, name: 'Now in HD' })
    for (const p of [a, c]) {
      await waitUntil(() => ofType(p.messages, 'info').length === 2, 2_000, 'a second INFO')
      expect(ofType(p.messages, 'info')[1]).toMatchObject({ width: 1280, height: 720, name: 'Now in HD' })
    }
  })

  it('rejects a port that is already taken with ADDRESS_IN_USE naming the port', async () => {
    const taken = await rawServer(() => {})
    try {
      const err = await Broadcaster.listen({ host: '127.0.0.1', port: taken.port, info }).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(FramecastError)
      expect((err as FramecastError).code).toBe('ADDRESS_IN_USE')
      expect((err as FramecastError).message).toContain(String(taken.port))
    } finally {
      await taken.close()
    }
  })

  it('rejects an address that is not on this machine with ADDRESS_NOT_AVAILABLE', async () => {
    // 192.0.2.1 is TEST-NET-1: never assigned to a local interface, so bind() fails without any traffic.
    const err = await Broadcaster.listen({ host: '192.0.2.1', port: 0, info }).catch((e: unknown) => e)
    expect((err as FramecastError).code).toBe('ADDRESS_NOT_AVAILABLE')
  })

  it('refuses invalid stream info and oversized frames with typed errors instead of writing garbage', async () => {
    await expect(Broadcaster.listen({ host: '127.0.0.1', port: 0, info: { ...info, width: 70_000 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const b = await broadcaster({ maxMessageBytes: 1_000 })
    expect(() => b.send({ capturedAtUs: 0, payload: new Uint8Array(0) })).toThrow(FramecastError)
    expect(() => b.send({ capturedAtUs: 0, payload: fakeJpeg(2_000) })).toThrow(/1 to 984 bytes/)
  })

  it('uses a 3 s handshake deadline by default', async () => {
    const b = await broadcaster()
    expect(HANDSHAKE_TIMEOUT_MS).toBe(3_000)
    expect(b.limits).toEqual({
      maxViewers: DEFAULT_MAX_VIEWERS,
      maxMessageBytes: 8 * 1024 * 1024,
      handshakeTimeoutMs: 3_000,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      stallTimeoutMs: STALL_TIMEOUT_MS
    })
  })

  it('drops a client that says nothing at the handshake deadline and tells it why', async () => {
    const b = await broadcaster({ handshakeTimeoutMs: 300 })
    const refused = waitFor<{ code: string }>(b, 'refused')
    const started = performance.now()
    const silent = await viewer(b, null)
    await silent.closed
    const elapsed = performance.now() - started
    expect(elapsed).toBeGreaterThanOrEqual(280)
    expect(elapsed).toBeLessThan(1_500)
    expect((await refused).code).toBe('HANDSHAKE_TIMEOUT')
    expect(ofType(silent.messages, 'error')).toEqual([expect.objectContaining({ code: 'HANDSHAKE_TIMEOUT' })])
    expect(b.stats().refused).toBe(1)
  })

  it('drops an HTTP client with BAD_MAGIC while a viewer keeps receiving frames', async () => {
    const b = await broadcaster()
    const good = await viewer(b)
    await waitFor(b, 'viewer-joined')
    const refused = waitFor<{ code: string; address: string }>(b, 'refused')
    const http = await viewer(b, null)
    http.socket.write('GET / HTTP/1.1\r\nHost: localhost\r\n\r\n')
    expect(await refused).toMatchObject({ code: 'BAD_MAGIC', address: `127.0.0.1:${http.socket.localPort}` })
    await http.closed
    expect(ofType(http.messages, 'error')).toEqual([expect.objectContaining({ code: 'BAD_MAGIC' })])
    b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(5_000) })
    await waitUntil(() => ofType(good.messages, 'frame').length === 1, 2_000, 'the frame')
    expect(b.viewers()).toHaveLength(1)
  })

  it('closes a viewer that sends a FRAME with UNEXPECTED_MESSAGE and keeps the others', async () => {
    const b = await broadcaster()
    const good = await viewer(b)
    const bad = await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    const left = waitFor<ViewerLeft>(b, 'viewer-left')
    const [head, payload] = encodeFrame(0, 0, fakeJpeg(100))
    bad.socket.write(Buffer.concat([head, payload]))
    expect((await left).code).toBe('UNEXPECTED_MESSAGE')
    await bad.closed
    expect(ofType(bad.messages, 'error')[0]?.code).toBe('UNEXPECTED_MESSAGE')
    b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(100) })
    await waitUntil(() => ofType(good.messages, 'frame').length === 1, 2_000, 'the frame')
  })

  it('rejects a viewer that declares a huge message before buffering it', async () => {
    const b = await broadcaster()
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    const left = waitFor<ViewerLeft>(b, 'viewer-left')
    const header = Buffer.from([0x7f, 0, 0, 0, 0x10, 0, 0, 0]) // unknown type, 256 MiB
    v.socket.write(header)
    expect((await left).code).toBe('MESSAGE_TOO_LARGE')
    expect(b.stats().pendingBytes).toBe(0)
  })

  it('accepts a preamble and a PING that arrive one byte at a time', async () => {
    const b = await broadcaster()
    const v = await viewer(b, null)
    const byteByByte = async (bytes: Buffer): Promise<void> => {
      for (const byte of bytes) {
        v.socket.write(Buffer.from([byte]))
        await sleep(1)
      }
    }
    await byteByByte(encodeMessage({ type: 'preamble', version: 2, role: 'viewer', flags: 0 }))
    await waitUntil(() => ofType(v.messages, 'preamble').length === 1, 2_000, 'the answering preamble')
    await byteByByte(Buffer.concat([encodeMessage({ type: 'hello', name: 'slow' }), encodePing(7, nowUs())]))
    await waitUntil(() => ofType(v.messages, 'pong').length === 1, 2_000, 'a PONG')
    expect(b.viewers()).toHaveLength(1)
  })

  it('refuses the 17th viewer with SERVER_FULL while the 16 stay', async () => {
    const b = await broadcaster()
    const sixteen: RawPeer[] = []
    for (let i = 0; i < 16; i++) sixteen.push(await viewer(b))
    await waitUntil(() => b.viewers().length === 16, 3_000, '16 viewers')
    const refused = waitFor<{ code: string }>(b, 'refused')
    const extra = await viewer(b)
    expect((await refused).code).toBe('SERVER_FULL')
    await extra.closed
    expect(extra.messages.map((m) => m.type)).toEqual(['preamble', 'error'])
    expect(ofType(extra.messages, 'error')[0]?.code).toBe('SERVER_FULL')
    expect(b.viewers()).toHaveLength(16)
    b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(1_000) })
    for (const p of sixteen) await waitUntil(() => ofType(p.messages, 'frame').length === 1, 2_000, 'the frame')
    expect(b.stats()).toMatchObject({ refused: 1, viewersEver: 16 })
  })

  it('honours a smaller viewer limit', async () => {
    const b = await broadcaster({ maxViewers: 2 })
    await viewer(b)
    await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    const third = await viewer(b)
    await third.closed
    expect(ofType(third.messages, 'error')[0]?.code).toBe('SERVER_FULL')
  })

  it('holds at most one pending frame plus the socket buffer for a viewer that stopped reading, and cuts it off', async () => {
    const b = await broadcaster({ stallTimeoutMs: 600 })
    const stalled = await viewer(b)
    const healthy = await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    stalled.socket.pause()
    const frameBytes = 256 * 1024
    const bound = 2 * frameWireBytes(frameBytes) + stalled.socket.writableHighWaterMark + 1_024
    const left = waitFor<ViewerLeft>(b, 'viewer-left', undefined, 15_000)
    let leftAt: number | null = null
    void left.then(() => (leftAt = performance.now()))
    let maxPending = 0
    let blockedAt: number | null = null
    let sent = 0
    while (leftAt === null && sent < 2_000) {
      b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(frameBytes, sent) })
      sent++
      const mine = b.viewers().find((v) => v.address.endsWith(`:${stalled.socket.localPort}`))
      if (mine) {
        maxPending = Math.max(maxPending, mine.pendingBytes)
        if (mine.blocked && blockedAt === null) blockedAt = performance.now()
      }
      await sleep(5)
    }
    const gone = await left
    expect(gone.code).toBe('STALLED')
    expect(gone.viewer.address).toBe(`127.0.0.1:${stalled.socket.localPort}`)
    expect(gone.viewer.replaced).toBeGreaterThan(0)
    expect(blockedAt).not.toBeNull()
    expect(leftAt! - blockedAt!).toBeGreaterThanOrEqual(550)
    expect(maxPending).toBeGreaterThan(0)
    expect(maxPending).toBeLessThanOrEqual(bound)
    await waitUntil(() => ofType(healthy.messages, 'frame').length === sent, 5_000, 'every frame at the healthy viewer')
    expect(ofType(healthy.messages, 'frame').map((f) => f.seq)).toEqual([...Array(sent).keys()])
    expect(b.stats().replaced).toBe(gone.viewer.replaced)
  })

  it('closes a viewer that sends nothing for the idle limit with BYE idle', async () => {
    const b = await broadcaster({ idleTimeoutMs: 300 })
    const v = await viewer(b)
    const left = await waitFor<ViewerLeft>(b, 'viewer-left')
    expect(left.code).toBe('IDLE_TIMEOUT')
    await v.closed
    expect(ofType(v.messages, 'bye')[0]?.reason).toBe('idle')
  })

  it('keeps a viewer that pings regularly past the idle limit', async () => {
    const b = await broadcaster({ idleTimeoutMs: 300 })
    const joined = waitFor(b, 'viewer-joined')
    const v = await viewer(b)
    await joined
    for (let i = 0; i < 8; i++) {
      v.socket.write(encodePing(i, nowUs()))
      await sleep(100)
    }
    expect(b.viewers()).toHaveLength(1)
  })

  it('reports a viewer that says BYE as having left without an error', async () => {
    const b = await broadcaster()
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    const left = waitFor<ViewerLeft>(b, 'viewer-left')
    v.socket.end(encodeMessage({ type: 'bye', reason: 'stopped', text: '' }))
    expect(await left).toMatchObject({ code: null })
    expect(b.viewers()).toHaveLength(0)
  })

  it('says BYE to every viewer on close, releases the port, and is idempotent', async () => {
    const b = await broadcaster()
    const a = await viewer(b)
    const c = await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    const closing = b.close('shutdown')
    expect(b.close()).toBe(closing)
    a.socket.on('end', () => a.socket.end())
    c.socket.on('end', () => c.socket.end())
    await closing
    await Promise.all([a.closed, c.closed])
    for (const p of [a, c]) expect(ofType(p.messages, 'bye')[0]?.reason).toBe('shutdown')
    const again = await Broadcaster.listen({ host: '127.0.0.1', port: b.port, info })
    open.push(again)
    expect(again.port).toBe(b.port)
  })

  it('listens on IPv6 loopback', async () => {
    const b = await broadcaster({ host: '::1' })
    expect(b.host).toBe('::1')
    const v = await viewer(b, 'viewer', '::1')
    const joined = await waitFor<ViewerStats>(b, 'viewer-joined')
    expect(joined.address).toBe(`[::1]:${v.socket.localPort}`)
    await waitUntil(() => ofType(v.messages, 'info').length === 1, 2_000, 'INFO')
  })

  it('listens on all interfaces of both families by default', async () => {
    const b = await Broadcaster.listen({ port: 0, info })
    open.push(b)
    expect(['::', '0.0.0.0']).toContain(b.host)
    const v4 = await rawClient(b.port, '127.0.0.1')
    peers.push(v4)
    await waitUntil(() => b.viewers().length === 1, 2_000, 'an IPv4 viewer')
    expect(b.viewers()[0]!.address).toBe(`127.0.0.1:${v4.socket.localPort}`)
  })

  it('survives a burst of connections that reset at once', async () => {
    const b = await broadcaster()
    const good = await viewer(b)
    await waitFor(b, 'viewer-joined')
    for (let i = 0; i < 20; i++) {
      const s = net.connect({ host: '127.0.0.1', port: b.port })
      s.on('error', () => {})
      s.on('connect', () => s.resetAndDestroy())
    }
    await sleep(200)
    b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(1_000) })
    await waitUntil(() => ofType(good.messages, 'frame').length === 1, 2_000, 'the frame')
    expect(b.viewers()).toHaveLength(1)
  })

  it('speaks the classic framing when asked: no handshake, an 8-byte little-endian length before each frame, no idle limit', async () => {
    const b = await broadcaster({ framing: 'classic-jpeg', idleTimeoutMs: 200 })
    const received: Buffer[] = []
    const classic = await viewer(b, null)
    classic.socket.on('data', (c: Buffer) => received.push(c))
    await waitUntil(() => b.viewers().length === 1, 2_000, 'a classic viewer')
    const payload = fakeJpeg(3_000, 1)
    expect(b.send({ capturedAtUs: nowUs(), payload })).toBe(1)
    await waitUntil(() => Buffer.concat(received).length === 8 + payload.length, 2_000, 'one classic message')
    const wire = Buffer.concat(received)
    expect(wire.readBigUInt64LE(0)).toBe(BigInt(payload.length))
    expect(wire.subarray(8).equals(Buffer.from(payload))).toBe(true)
    await sleep(400)
    expect(b.viewers()).toHaveLength(1)
  })
})
