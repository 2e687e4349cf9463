// The classic framings (the OpenCV-script format as JPEG or as pickled BGR) through the Broadcaster over real
// loopback sockets: no handshake, an 8-byte little-endian length before each payload, nothing else on the wire, and
// the fan-out's limits as in native mode. The unmodified Python scripts are in test/core/classic/interop.test.ts.

import { connect, type Socket } from 'node:net'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { ClassicDecoder } from '../../../src/core/classic/framing'
import { readNdarrayPickle } from '../../../src/core/classic/pickle'
import { FramecastError } from '../../../src/core/errors'
import { Broadcaster, type BroadcasterOptions } from '../../../src/core/fanout/broadcaster'
import { classicFraming, classicJpegFraming, classicPickleFraming } from '../../../src/core/fanout/classic-framing'
import { CLASSIC_DEFAULT_MAX_MESSAGE_BYTES, CLASSIC_PREFIXES, type ClassicPrefix } from '../../../src/shared/classic'
import { nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { fakeJpeg, sleep, waitUntil } from '../../support/net'

const info: StreamInfo = { codec: 'jpeg', width: 320, height: 240, fps: 30, name: 'classic' }

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function broadcaster(options: Partial<BroadcasterOptions>): Promise<Broadcaster> {
  const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, ...options })
  cleanups.push(() => b.close())
  return b
}

/** A classic receiver: connects, sends nothing, and decodes the payloads it is sent. */
function receiver(port: number, prefix: ClassicPrefix = 'u64le'): { socket: Socket; payloads: Uint8Array[]; bytes: () => number; closed: Promise<void> } {
  const socket = connect(port, '127.0.0.1')
  const decoder = new ClassicDecoder({ maxMessageBytes: CLASSIC_DEFAULT_MAX_MESSAGE_BYTES, prefix })
  const payloads: Uint8Array[] = []
  let bytes = 0
  socket.on('data', (c: Buffer) => {
    bytes += c.length
    payloads.push(...decoder.push(c).map((p) => Uint8Array.from(p)))
  })
  socket.on('error', () => {})
  cleanups.push(() => socket.destroy())
  return { socket, payloads, bytes: () => bytes, closed: new Promise((r) => socket.on('close', () => r())) }
}

function solidJpeg(rgb: [number, number, number], width = 320, height = 240): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 95 }).toBuffer()
}

/** Read at most 64 KiB every 10 ms (about 6 MB/s) from a paused socket; `bytes` counts what was read. */
function readSlowly(socket: Socket): { bytes: number } {
  socket.pause()
  const reader = { bytes: 0 }
  const timer = setInterval(() => {
    for (let n = 0; n < 64 * 1024; ) {
      const c = socket.read() as Buffer | null
      if (c === null) break
      n += c.length
      reader.bytes += c.length
    }
  }, 10)
  cleanups.push(() => clearInterval(timer))
  return reader
}

function feed(send: () => void, fps = 30): void {
  const t = setInterval(send, 1000 / fps)
  cleanups.push(() => clearInterval(t))
}

describe('classic framings', () => {
  it('have no handshake, no control messages, no idle limit, and carry payloads up to the message limit', () => {
    for (const f of [classicJpegFraming, classicPickleFraming]) {
      expect(f).toMatchObject({ handshake: false, idleTimeout: false, acknowledges: false })
      expect([f.greeting(), f.describe(info), f.goodbye('stopped'), f.refusal('SERVER_FULL', 'full')]).toEqual([null, null, null, null])
      expect(f.maxPayloadBytes(1_000)).toBe(1_000)
      expect(f.frameHead(9, 1, 0x0102_0304, { keyframe: false, quality: 50 })).toEqual(Buffer.from([4, 3, 2, 1, 0, 0, 0, 0]))
      expect(f.listen({ maxMessageBytes: 1_000 }).receive(Buffer.from('anything at all'), 0)).toEqual([])
    }
    expect(classicJpegFraming.convert).toBeUndefined()
  })

  it('refuses an unknown framing name with INVALID_ARGUMENT', async () => {
    const err = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic' as never }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(FramecastError)
    expect((err as FramecastError).code).toBe('INVALID_ARGUMENT')
  })

  it('default to the classic limit a classic watch also applies, 32 MiB, for JPEG and for pickled pixels', async () => {
    expect((await broadcaster({ framing: 'classic-jpeg' })).limits.maxMessageBytes).toBe(32 * 1024 * 1024)
    expect((await broadcaster({ framing: 'classic-pickle' })).limits.maxMessageBytes).toBe(CLASSIC_DEFAULT_MAX_MESSAGE_BYTES)
    const small = await broadcaster({ framing: 'classic-jpeg', maxMessageBytes: 1_000 })
    expect(() => small.send({ capturedAtUs: 0, payload: fakeJpeg(1_001) })).toThrow(/1 to 1000 bytes/)
    expect(small.send({ capturedAtUs: 0, payload: fakeJpeg(1_000) })).toBe(0)
  })
})

describe('classic length prefixes', () => {
  it.each([
    ['u64le', [4, 3, 2, 1, 0, 0, 0, 0]],
    ['u64be', [0, 0, 0, 0, 1, 2, 3, 4]],
    ['u32le', [4, 3, 2, 1]],
    ['u32be', [1, 2, 3, 4]]
  ] as const)('write %s as struct.pack would', (prefix, bytes) => {
    expect([...classicFraming('classic-jpeg', prefix).frameHead(0, 0, 0x0102_0304, { keyframe: true, quality: 0 })]).toEqual(bytes)
  })

  it('never let a frame exceed what a 2-byte prefix can say', async () => {
    expect([...classicFraming('classic-pickle', 'u16be').frameHead(0, 0, 0x0102, { keyframe: true, quality: 0 })]).toEqual([1, 2])
    const b = await broadcaster({ framing: 'classic-jpeg', classicPrefix: 'u16le' })
    expect(() => b.send({ capturedAtUs: 0, payload: fakeJpeg(65_536) })).toThrow(/1 to 65535 bytes/)
    expect(b.send({ capturedAtUs: 0, payload: fakeJpeg(65_535) })).toBe(0)
  })

  it('refuse a prefix that is not one of the six', () => {
    expect(() => classicFraming('classic-jpeg', 'u24le' as never)).toThrow(/not a length prefix/)
  })

  it.each(CLASSIC_PREFIXES)('carry %s-prefixed JPEG frames to a reader of the same prefix over loopback', async (prefix) => {
    const b = await broadcaster({ framing: 'classic-jpeg', classicPrefix: prefix })
    const r = receiver(b.port, prefix)
    await waitUntil(() => b.viewers().length === 1)
    const jpegs = [fakeJpeg(300, 1), fakeJpeg(5_000, 2)]
    for (const payload of jpegs) b.send({ capturedAtUs: nowUs(), payload })
    await waitUntil(() => r.payloads.length === 2)
    expect(r.payloads.map((p) => Buffer.from(p).toString('hex'))).toEqual(jpegs.map((p) => Buffer.from(p).toString('hex')))
  })
})

describe('classic pickle framing over loopback', () => {
  it('sends each JPEG as a length-prefixed pickle of its BGR pixels, and closes without a word', async () => {
    const b = await broadcaster({ framing: 'classic-pickle' })
    expect(b.framing).toBe('classic-pickle')
    const r = receiver(b.port)
    await waitUntil(() => b.viewers().length === 1, 2_000, 'a classic viewer')
    const jpeg = await solidJpeg([200, 100, 30], 64, 48)
    expect(b.send({ capturedAtUs: nowUs(), payload: jpeg })).toBe(1)
    await waitUntil(() => r.payloads.length === 1, 5_000, 'one pickle')
    const image = readNdarrayPickle(r.payloads[0]!)
    expect(image).toMatchObject({ height: 48, width: 64, channels: 3 })
    const [blue, green, red] = image.data
    expect([blue, green, red].map((v, i) => Math.abs(v! - [30, 100, 200][i]!) <= 4)).toEqual([true, true, true])
    const before = r.bytes()
    await b.close('shutdown')
    await r.closed
    expect(r.bytes()).toBe(before)
    expect(b.stats()).toMatchObject({ frames: 1, skippedWhileConverting: 0, conversionFailures: 0 })
  })

  it('converts nothing while no one watches', async () => {
    const b = await broadcaster({ framing: 'classic-pickle' })
    const jpeg = await solidJpeg([1, 2, 3], 64, 48)
    for (let i = 0; i < 5; i++) expect(b.send({ capturedAtUs: nowUs(), payload: jpeg })).toBe(0)
    await sleep(100)
    expect(b.stats()).toMatchObject({ frames: 0, bytes: 0, skippedWhileConverting: 0, conversionFailures: 0 })
  })

  it('skips and counts a frame that is not a JPEG, and sends the next good one', async () => {
    const b = await broadcaster({ framing: 'classic-pickle' })
    const r = receiver(b.port)
    await waitUntil(() => b.viewers().length === 1, 2_000, 'a classic viewer')
    expect(b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(500) })).toBe(1)
    await waitUntil(() => b.stats().conversionFailures === 1, 5_000, 'the failed conversion')
    b.send({ capturedAtUs: nowUs(), payload: await solidJpeg([9, 9, 9], 32, 16) })
    await waitUntil(() => r.payloads.length === 1, 5_000, 'the good frame')
    expect(readNdarrayPickle(r.payloads[0]!)).toMatchObject({ height: 16, width: 32 })
    expect(b.stats()).toMatchObject({ frames: 1, conversionFailures: 1 })
  })

  it('skips and counts a frame whose pickle would exceed the message limit, without sending it', async () => {
    const b = await broadcaster({ framing: 'classic-pickle', maxMessageBytes: 64 * 48 * 3 })
    const r = receiver(b.port)
    await waitUntil(() => b.viewers().length === 1, 2_000, 'a classic viewer')
    b.send({ capturedAtUs: nowUs(), payload: await solidJpeg([1, 2, 3], 64, 48) })
    await waitUntil(() => b.stats().conversionFailures === 1, 5_000, 'the refused conversion')
    b.send({ capturedAtUs: nowUs(), payload: await solidJpeg([1, 2, 3], 32, 24) })
    await waitUntil(() => r.payloads.length === 1, 5_000, 'the frame that fits')
    expect(readNdarrayPickle(r.payloads[0]!)).toMatchObject({ height: 24, width: 32 })
  })
})

describe('classic broadcaster limits', () => {
  it('closes a viewer beyond the limit without writing anything to it', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-jpeg', maxViewers: 1 })
    cleanups.push(() => b.close())
    const first = connect(b.port, '127.0.0.1')
    cleanups.push(() => first.destroy())
    await expect.poll(() => b.viewers().length).toBe(1)
    const second = connect(b.port, '127.0.0.1')
    const received: Buffer[] = []
    second.on('data', (c: Buffer) => received.push(c))
    await new Promise((r) => second.on('close', r))
    expect(Buffer.concat(received).length).toBe(0)
    expect(b.stats().refused).toBe(1)
  })

  it('keeps a receiver that reads slower than the stream but keeps reading', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-jpeg', stallTimeoutMs: 1000 })
    cleanups.push(() => b.close())
    const slow = connect(b.port, '127.0.0.1')
    cleanups.push(() => slow.destroy())
    // About 6 MB/s: each 3 MB frame takes half a second, so the socket never drains between frames.
    const reader = readSlowly(slow)
    await expect.poll(() => b.viewers().length).toBe(1)
    let left = false
    b.on('viewer-left', () => (left = true))
    const big = Buffer.alloc(3 * 1024 * 1024, 0x55)
    big.set([0xff, 0xd8, 0xff])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: big }), 30)
    await new Promise((r) => setTimeout(r, 3000))
    expect(left).toBe(false)
    expect(b.stats().replaced).toBeGreaterThan(0)
    expect(reader.bytes).toBeGreaterThan(3 * big.length)
  })

  it('in pickle mode decodes only frames a viewer can take, instead of decoding frames to drop them', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-pickle' })
    cleanups.push(() => b.close())
    const slow = connect(b.port, '127.0.0.1')
    cleanups.push(() => slow.destroy())
    const reader = readSlowly(slow)
    await expect.poll(() => b.viewers().length).toBe(1)
    const jpeg = await solidJpeg([90, 90, 90], 1280, 720)
    let offered = 0
    feed(() => {
      offered++
      b.send({ capturedAtUs: nowUs(), payload: jpeg })
    }, 30)
    await new Promise((r) => setTimeout(r, 2000))
    const { frames, replaced, skippedWhileConverting } = b.stats()
    expect(reader.bytes).toBeGreaterThan(2 * 1280 * 720 * 3)
    expect(skippedWhileConverting).toBeGreaterThan(offered / 2)
    expect(replaced).toBeLessThanOrEqual(2)
    expect(frames).toBeLessThan(offered / 2)
  })

  it('cuts off a classic receiver that stops reading while another keeps up', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-jpeg', stallTimeoutMs: 400 })
    cleanups.push(() => b.close())
    const stalled = connect(b.port, '127.0.0.1')
    stalled.pause()
    const healthy = connect(b.port, '127.0.0.1')
    cleanups.push(() => stalled.destroy(), () => healthy.destroy())
    let healthyBytes = 0
    healthy.on('data', (c: Buffer) => (healthyBytes += c.length))
    await expect.poll(() => b.viewers().length).toBe(2)
    const left = new Promise<{ code: string | null }>((r) => b.on('viewer-left', r))
    const noise = Buffer.alloc(320 * 240 * 3)
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24
    const jpeg = await sharp(noise, { raw: { width: 320, height: 240, channels: 3 } }).jpeg({ quality: 95 }).toBuffer()
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }), 60)
    expect((await left).code).toBe('STALLED')
    const before = healthyBytes
    await expect.poll(() => healthyBytes).toBeGreaterThan(before + 10 * jpeg.length)
  })
})
