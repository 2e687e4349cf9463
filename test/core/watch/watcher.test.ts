import type net from 'node:net'
import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster } from '../../../src/core/fanout/broadcaster'
import { Decoder, encodeBye, encodeError, encodeFrame, encodeFrameHead, encodeInfo, encodePong, encodePreamble } from '../../../src/core/codec/codec'
import { Watcher, type WatchedFrame, type WatcherOptions } from '../../../src/core/watch/watcher'
import type { WatchStatus } from '../../../src/shared/ipc'
import { LOST_AFTER_MS, type Message, nowUs, PROTOCOL_VERSION, type StreamInfo } from '../../../src/shared/protocol'
import { SNIFF_BYTES } from '../../../src/core/classic/framing'
import { splitAt } from '../../support/chunks'
import { fakeJpeg, freePort, rawServer, sleep, waitFor, waitUntil } from '../../support/net'

const info: StreamInfo = { codec: 'jpeg', width: 320, height: 240, fps: 30, name: 'Fake' }
const cleanups: Array<() => Promise<void>> = []

function watch(port: number, options: Partial<WatcherOptions> = {}): Watcher {
  const w = new Watcher({ host: '127.0.0.1', port, ...options })
  cleanups.push(() => w.stop())
  return w
}

function states(w: Watcher): WatchStatus[] {
  const seen: WatchStatus[] = []
  w.on('state', (s) => seen.push(s))
  return seen
}

interface FakeOptions {
  /** Answer PINGs with PONGs (default true). */
  pong?: boolean
  /** Send the preamble and INFO on connect (default true). */
  introduce?: boolean
}

/** A hand-driven broadcaster: says what the test tells it to, so the watcher can be put in any situation. */
async function fakeBroadcaster(options: FakeOptions = {}, onConnection?: (socket: net.Socket) => void) {
  const sockets: net.Socket[] = []
  const server = await rawServer((socket) => {
    sockets.push(socket)
    const decoder = new Decoder({ expectRole: 'viewer' })
    socket.on('data', (chunk: Buffer) => {
      const t2 = nowUs()
      for (const m of decoder.push(chunk)) {
        if (m.type === 'ping' && options.pong !== false) socket.write(encodePong(m.id, m.t1, t2, nowUs()))
      }
    })
    if (options.introduce !== false) socket.write(Buffer.concat([encodePreamble('broadcaster'), encodeInfo(info)]))
    onConnection?.(socket)
  })
  cleanups.push(server.close)
  return { ...server, sockets }
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('Watcher', () => {
  it('reports CONNECTION_REFUSED when nothing listens and keeps retrying quickly', async () => {
    const port = await freePort()
    const w = watch(port)
    const seen = states(w)
    w.start()
    expect(w.status.state).toBe('connecting')
    const first = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'reconnecting' && s.error !== null)
    expect(first.error?.code).toBe('CONNECTION_REFUSED')
    expect(first.error?.message).toContain(`127.0.0.1:${port}`)
    await waitUntil(() => w.status.attempt >= 4, 3_000, 'four attempts')
    expect(seen.every((s) => s.state === 'connecting' || s.state === 'reconnecting')).toBe(true)
  })

  it('stops with BAD_MAGIC when the server is an HTTP server', async () => {
    const http = await rawServer((socket) => {
      socket.once('data', () => socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n'))
    })
    cleanups.push(http.close)
    const w = watch(http.port)
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'error')
    expect(s.error?.code).toBe('BAD_MAGIC')
    expect(s.error?.message).toContain('is not a Framecast broadcaster')
    await sleep(600)
    expect(w.status).toMatchObject({ state: 'error', attempt: 1 })
  })

  it('emits an error event for a fatal error when someone listens', async () => {
    const http = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    cleanups.push(http.close)
    const w = watch(http.port)
    const err = waitFor<Error & { code: string }>(w, 'error')
    w.start()
    expect((await err).code).toBe('BAD_MAGIC')
  })

  it('reports HANDSHAKE_TIMEOUT against a server that never speaks, and retries', async () => {
    const mute = await rawServer(() => {})
    cleanups.push(mute.close)
    const w = watch(mute.port, { handshakeTimeoutMs: 300 })
    const started = performance.now()
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'reconnecting' && x.error !== null)
    expect(performance.now() - started).toBeGreaterThanOrEqual(280)
    expect(s.error?.code).toBe('HANDSHAKE_TIMEOUT')
    await waitUntil(() => w.status.attempt >= 2, 2_000, 'a second attempt')
  })

  it('stops with VERSION_MISMATCH against a broadcaster of another protocol version', async () => {
    const future = await rawServer((socket) => {
      const preamble = encodePreamble('broadcaster')
      preamble[4] = PROTOCOL_VERSION + 1
      socket.write(preamble)
    })
    cleanups.push(future.close)
    const w = watch(future.port)
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'error')
    expect(s.error?.code).toBe('VERSION_MISMATCH')
  })

  it('stops with BAD_ROLE against another viewer', async () => {
    const other = await rawServer((socket) => socket.write(encodePreamble('viewer')))
    cleanups.push(other.close)
    const w = watch(other.port)
    w.start()
    expect((await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'error')).error?.code).toBe('BAD_ROLE')
  })

  it('goes live on INFO and exposes the stream description', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port)
    const gotInfo = waitFor<StreamInfo>(w, 'info')
    w.start()
    const live = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    expect(live).toMatchObject({ format: 'native', info, error: null, attempt: 1, host: '127.0.0.1', port: fake.port })
    expect(await gotInfo).toEqual(info)
  })

  it('declares a broadcaster that stops answering lost within 3 s although TCP stays open', async () => {
    const fake = await fakeBroadcaster({ pong: false })
    const w = watch(fake.port)
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    const liveAt = performance.now()
    const lost = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'lost', 5_000)
    const after = performance.now() - liveAt
    expect(lost.error?.code).toBe('PEER_LOST')
    expect(after).toBeGreaterThanOrEqual(LOST_AFTER_MS - 100)
    expect(after).toBeLessThanOrEqual(LOST_AFTER_MS + 300)
    expect(fake.sockets[0]!.destroyed || fake.sockets[0]!.readableEnded).toBe(true)
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live', 2_000)
  }, 10_000)

  it('turns stalled when PONGs arrive but frames do not, and live again with the next frame', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port, { stalledAfterMs: 300, pingIntervalMs: 100 })
    const seen = states(w)
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'stalled')
    await sleep(400)
    expect(w.status.state).toBe('stalled')
    const [head, payload] = encodeFrame(0, nowUs(), fakeJpeg(500))
    fake.sockets[0]!.write(Buffer.concat([head, payload]))
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'live', 'stalled', 'live'])
  })

  it('counts sequence gaps and reports the frames with their metadata', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port, { pingIntervalMs: 50 })
    const frames: WatchedFrame[] = []
    w.on('frame', (f) => frames.push(f))
    w.start()
    await waitFor(w, 'state', (s: WatchStatus) => s.state === 'live')
    await waitUntil(() => w.stats().rttMs !== null, 2_000, 'a clock sample')
    const capturedAtUs = nowUs()
    for (const seq of [10, 11, 15, 16]) {
      const [head, payload] = encodeFrame(seq, capturedAtUs, fakeJpeg(1_000, seq))
      fake.sockets[0]!.write(Buffer.concat([head, payload]))
    }
    await waitUntil(() => frames.length === 4, 2_000, 'four frames')
    expect(frames.map((f) => f.seq)).toEqual([10, 11, 15, 16])
    expect(frames[2]!.payload[5]).toBe(15)
    expect(frames.every((f) => f.capturedAtUs === capturedAtUs && f.receivedAtUs >= capturedAtUs)).toBe(true)
    expect(frames.every((f) => f.latencyMs !== null && f.latencyMs >= 0 && f.latencyMs < 1_000)).toBe(true)
    expect(w.stats()).toMatchObject({ frames: 4, gaps: 3 })
  })

  it('reconnects after a frame that arrives before the stream info', async () => {
    let connections = 0
    const odd = await rawServer((socket) => {
      connections++
      const [head, payload] = encodeFrame(0, nowUs(), fakeJpeg(100))
      socket.write(Buffer.concat([encodePreamble('broadcaster'), head, payload]))
    })
    cleanups.push(odd.close)
    const w = watch(odd.port)
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'reconnecting' && x.error !== null)
    expect(s.error?.code).toBe('UNEXPECTED_MESSAGE')
    await waitUntil(() => connections >= 2, 2_000, 'a second connection')
  })

  it('maps an ERROR sent by the broadcaster to its code and keeps retrying', async () => {
    const full = await rawServer((socket) => socket.end(Buffer.concat([encodePreamble('broadcaster'), encodeError('SERVER_FULL', '16 viewers')])))
    cleanups.push(full.close)
    const w = watch(full.port)
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'reconnecting' && x.error !== null)
    expect(s.error?.code).toBe('SERVER_FULL')
    expect(s.error?.message).toContain('16 viewers')
  })

  it('treats BYE as a lost stream and reconnects', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port)
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    fake.sockets[0]!.write(encodeBye('stopped', 'camera unplugged'))
    const lost = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'lost')
    expect(lost.error).toMatchObject({ code: 'PEER_LOST', message: expect.stringContaining('camera unplugged') })
    await waitUntil(() => fake.sockets.length === 2 && w.status.state === 'live', 2_000, 'live on a new connection')
  })

  it('does not reconnect when told not to', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port, { reconnect: false })
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    fake.sockets[0]!.destroy()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'lost')
    await sleep(400)
    expect(fake.sockets).toHaveLength(1)
    expect(w.status.state).toBe('lost')
  })

  it('says BYE on stop, resolves once closed, and never reconnects afterwards', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    cleanups.push(() => b.close())
    const w = watch(b.port)
    w.start()
    await waitFor(b, 'viewer-joined')
    const left = waitFor<{ code: string | null; reason: string }>(b, 'viewer-left')
    const stopping = w.stop()
    expect(w.stop()).toBe(stopping)
    await stopping
    expect(await left).toMatchObject({ code: null, reason: expect.stringContaining('stopped') })
    expect(w.status.state).toBe('idle')
    await sleep(300)
    expect(b.viewers()).toHaveLength(0)
  })

  it('retries while the broadcaster is full and gets in once a place frees up', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, maxViewers: 1 })
    cleanups.push(() => b.close())
    const first = new Watcher({ host: '127.0.0.1', port: b.port })
    first.start()
    await waitFor<WatchStatus>(first, 'state', (s) => s.state === 'live')
    const second = watch(b.port)
    second.start()
    const refused = await waitFor<WatchStatus>(second, 'state', (s) => s.error?.code === 'SERVER_FULL')
    expect(refused.state).toBe('reconnecting')
    await first.stop()
    await waitFor<WatchStatus>(second, 'state', (s) => s.state === 'live', 4_000)
  })

  it('emits stats once a second while connected', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port)
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    const stats = await waitFor<{ rttMs: number | null; frames: number }>(w, 'stats', undefined, 2_000)
    expect(stats.frames).toBe(0)
    expect(stats.rttMs).not.toBeNull()
    expect(stats.rttMs!).toBeGreaterThanOrEqual(0)
  })
})

describe('Watcher modes', () => {
  const classicMessage = (payload: Uint8Array): Buffer => {
    const head = Buffer.alloc(8)
    head.writeBigUInt64LE(BigInt(payload.length))
    return Buffer.concat([head, payload])
  }

  it('recognises a classic JPEG sender in auto mode and numbers its frames', async () => {
    const jpeg = await import('sharp').then(({ default: sharp }) =>
      sharp({ create: { width: 32, height: 24, channels: 3, background: { r: 10, g: 20, b: 30 } } }).jpeg().toBuffer()
    )
    const sender = await rawServer((socket) => {
      socket.write(Buffer.concat([classicMessage(jpeg), classicMessage(jpeg), classicMessage(jpeg)]))
    })
    cleanups.push(sender.close)
    const w = watch(sender.port, { mode: 'auto' })
    const frames: WatchedFrame[] = []
    w.on('frame', (f) => frames.push(f))
    w.start()
    await waitUntil(() => frames.length === 3, 3_000, 'three classic frames')
    expect(w.status).toMatchObject({ state: 'live', format: 'classic', info: { codec: 'jpeg', width: 32, height: 24 } })
    expect(frames.map((f) => f.seq)).toEqual([0, 1, 2])
    expect(frames.every((f) => f.latencyMs === null && Buffer.from(f.payload).equals(jpeg))).toBe(true)
  })

  it('recognises a native broadcaster in auto mode', async () => {
    const fake = await fakeBroadcaster()
    const w = watch(fake.port, { mode: 'auto' })
    w.start()
    const live = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live')
    expect(live).toMatchObject({ format: 'native', info })
    await waitUntil(() => w.stats().rttMs !== null, 2_000, 'a PONG')
  })

  it('tells the format from first bytes that arrive in pieces over a real socket, and pings only a Framecast broadcaster', async () => {
    const jpeg = await import('sharp').then(({ default: sharp }) =>
      sharp({ create: { width: 24, height: 16, channels: 3, background: { r: 90, g: 20, b: 30 } } }).jpeg().toBuffer()
    )
    const streams = { native: Buffer.concat([encodePreamble('broadcaster'), encodeInfo(info)]), classic: Buffer.concat([classicMessage(jpeg), classicMessage(jpeg)]) }
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('native' as const, 'classic' as const), fc.array(fc.integer({ min: 1, max: SNIFF_BYTES + 2 }), { maxLength: 5 }), async (format, cuts) => {
        const heard: Message[] = []
        const sender = await rawServer((socket) => {
          socket.setNoDelay(true)
          const decoder = new Decoder({ expectRole: 'viewer' })
          socket.on('data', (chunk: Buffer) => heard.push(...decoder.push(chunk)))
          void (async () => {
            for (const piece of splitAt(streams[format], cuts)) {
              if (piece.length === 0 || socket.destroyed) continue
              socket.write(piece)
              await sleep(15)
            }
          })()
        })
        const w = new Watcher({ host: '127.0.0.1', port: sender.port, mode: 'auto', reconnect: false })
        const frames: WatchedFrame[] = []
        w.on('frame', (f) => frames.push(f))
        try {
          w.start()
          const live = await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live' || s.state === 'error' || s.state === 'lost')
          expect(live).toMatchObject({ state: 'live', format })
          if (format === 'native') {
            expect(live.info).toEqual(info)
            await waitUntil(() => heard.some((m) => m.type === 'ping'), 2_000, 'a PING')
          } else {
            await waitUntil(() => frames.length === 2, 2_000, 'two classic frames')
            expect(frames.every((f) => Buffer.from(f.payload).equals(jpeg))).toBe(true)
            await sleep(50)
            expect(heard.map((m) => m.type)).toEqual(['preamble'])
          }
        } finally {
          await w.stop()
          await sender.close()
        }
      }),
      { numRuns: 8 }
    )
  }, 60_000)

  it('waits past the handshake deadline for a classic first frame that is still arriving, and not for silence', async () => {
    const jpeg = await import('sharp').then(({ default: sharp }) =>
      sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 5, g: 6, b: 7 } } }).jpeg({ quality: 100 }).toBuffer()
    )
    const message = classicMessage(Buffer.concat([jpeg, Buffer.alloc(200_000)]))
    // The first frame trickles in over about a second, three times the deadline; bytes keep coming all along.
    const slow = await rawServer((socket) => {
      void (async () => {
        for (let at = 0; at < message.length && !socket.destroyed; at += message.length / 20) {
          socket.write(message.subarray(at, at + message.length / 20))
          await sleep(50)
        }
      })()
    })
    const silent = await rawServer(() => {})
    cleanups.push(slow.close, silent.close)
    const w = watch(slow.port, { mode: 'auto', handshakeTimeoutMs: 300, reconnect: false })
    const seen = states(w)
    w.start()
    await waitFor<WatchStatus>(w, 'state', (s) => s.state === 'live' || s.state === 'error', 5_000)
    expect(seen.map((s) => s.state)).toEqual(['connecting', 'live'])
    const quiet = watch(silent.port, { mode: 'classic', handshakeTimeoutMs: 300, reconnect: false })
    quiet.start()
    const failed = await waitFor<WatchStatus>(quiet, 'state', (s) => s.state === 'error', 5_000)
    expect(failed.error?.code).toBe('HANDSHAKE_TIMEOUT')
  })

  it('stops with BAD_MAGIC in auto mode against a peer that speaks neither format', async () => {
    const http = await rawServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\n\r\n'))
    cleanups.push(http.close)
    const w = watch(http.port, { mode: 'auto' })
    w.start()
    const s = await waitFor<WatchStatus>(w, 'state', (x) => x.state === 'error')
    expect(s.error?.code).toBe('BAD_MAGIC')
    expect(s.error?.message).toContain(`127.0.0.1:${http.port}`)
  })
})

describe('the watcher receive path', () => {
  it('decodes a frame read in pieces into one region as a view of that region, bytes intact', () => {
    const payload = fakeJpeg(150_000, 9)
    payload[149_999] = 0x42
    const wire = Buffer.concat([encodePreamble('broadcaster'), encodeFrameHead(3, 77, payload.length), payload])
    const region = Buffer.alloc(256 * 1024)
    wire.copy(region)
    const decoder = new Decoder({ expectRole: 'broadcaster' })
    const cuts = [0, 5, 20, 65_536, 131_072, wire.length]
    const messages = cuts.slice(1).flatMap((end, i) => decoder.push(region.subarray(cuts[i], end)))
    const frame = messages.find((m) => m.type === 'frame')
    expect(frame).toMatchObject({ seq: 3, capturedAtUs: 77 })
    const bytes = (frame as { payload: Uint8Array }).payload
    expect(bytes.buffer).toBe(region.buffer)
    expect(Buffer.from(bytes).equals(Buffer.from(payload))).toBe(true)
  })

  it('still copies a frame together when its pieces are not back to back', () => {
    const payload = fakeJpeg(100_000, 4)
    const wire = Buffer.concat([encodePreamble('broadcaster'), encodeFrameHead(1, 5, payload.length), payload])
    const decoder = new Decoder({ expectRole: 'broadcaster' })
    // Each piece lives in its own allocation, as with ordinary 'data' events.
    const pieces = [wire.subarray(0, 40_000), wire.subarray(40_000, 90_000), wire.subarray(90_000)].map((p) => Buffer.from(p))
    const frame = pieces.flatMap((p) => decoder.push(p)).find((m) => m.type === 'frame') as { payload: Uint8Array }
    expect(Buffer.from(frame.payload).equals(Buffer.from(payload))).toBe(true)
    expect(pieces.some((p) => p.buffer === frame.payload.buffer)).toBe(false)
  })
})
