// Interop over loopback with the classic Python scripts (test/fixtures/classic), which follow the classic tutorial's
// wire handling exactly: our classic broadcaster -> their receiver, their sender -> our watcher.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import sharp from 'sharp'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { WatchMode, WatchStatus } from '../../../src/shared/ipc'
import { nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { Broadcaster } from '../../../src/core/fanout/broadcaster'
import { encodeClassicMessage } from '../../../src/core/classic/framing'
import { Watcher, type WatchedFrame, type WatcherOptions } from '../../../src/core/watch/watcher'
import { FIXTURES, hasCv2, PYTHON } from '../../support/python'

const SCRIPTS = join(FIXTURES, '../classic')
const info: StreamInfo = { codec: 'jpeg', width: 320, height: 240, fps: 30, name: 'interop' }

interface ReceiverReport {
  frames: Array<{ type: string; dtype: string; shape: number[]; mean: number[] }>
  fps: number
}

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

function solidJpeg(rgb: [number, number, number], width = 320, height = 240): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 95 }).toBuffer()
}

function near(got: number[], want: number[], tolerance = 4): void {
  expect(got.length, `${got} vs ${want}`).toBe(want.length)
  got.forEach((g, i) => expect(Math.abs(g - want[i]!), `channel ${i}: ${got} vs ${want}`).toBeLessThanOrEqual(tolerance))
}

function python(args: string[]): ChildProcessWithoutNullStreams {
  const p = spawn(PYTHON, args)
  const kill = setTimeout(() => p.kill('SIGKILL'), 15_000)
  p.on('exit', () => clearTimeout(kill))
  cleanups.push(() => p.kill('SIGKILL'))
  return p
}

async function runReceiver(port: number, frames: number, variant: 'pickle' | 'jpeg', format = 'Q'): Promise<ReceiverReport> {
  const p = python([join(SCRIPTS, 'receiver.py'), '127.0.0.1', String(port), String(frames), variant, format])
  let out = ''
  let err = ''
  p.stdout.on('data', (c: Buffer) => (out += c.toString()))
  p.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await new Promise((r) => p.on('exit', r))
  expect(code, err).toBe(0)
  return JSON.parse(out) as ReceiverReport
}

/** Start sender.py; resolves with its port once it listens. */
async function startSender(variant: 'pickle' | 'jpeg', frames: number, protocol?: number): Promise<number> {
  const args = [join(SCRIPTS, 'sender.py'), variant, '160', '120', String(frames), '30']
  if (protocol !== undefined) args.push('-', String(protocol))
  const p = python(args)
  const first = await createInterface({ input: p.stdout })[Symbol.asyncIterator]().next()
  return Number(first.value)
}

function watch(
  port: number,
  mode: WatchMode,
  options: Pick<WatcherOptions, 'classicPrefix' | 'maxMessageBytes'> = {}
): { watcher: Watcher; frames: WatchedFrame[]; states: WatchStatus[] } {
  const watcher = new Watcher({ host: '127.0.0.1', port, mode, reconnect: false, ...options })
  const frames: WatchedFrame[] = []
  const states: WatchStatus[] = []
  watcher.on('frame', (f) => frames.push(f))
  watcher.on('state', (s) => states.push(s))
  cleanups.push(() => watcher.stop())
  watcher.start()
  return { watcher, frames, states }
}

async function rgbOf(jpeg: Uint8Array): Promise<number[]> {
  const { channels } = await sharp(jpeg).stats()
  return channels.slice(0, 3).map((c) => Math.round(c.mean))
}

function feed(send: () => void, fps = 30): void {
  const t = setInterval(send, 1000 / fps)
  cleanups.push(() => clearInterval(t))
}

describe.skipIf(!hasCv2)('our classic broadcaster and the unmodified classic receiver', () => {
  it('delivers our camera as uint8 (H, W, 3) BGR arrays through pickle.loads', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-pickle' })
    cleanups.push(() => b.close())
    const jpeg = await solidJpeg([200, 100, 30])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const report = await runReceiver(b.port, 5, 'pickle')
    expect(report.frames).toHaveLength(5)
    for (const f of report.frames) {
      expect(f).toMatchObject({ type: 'ndarray', dtype: 'uint8', shape: [240, 320, 3] })
      near(f.mean, [30, 100, 200])
    }
  })

  it('delivers our JPEG frames to the cv2.imdecode variant', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-jpeg' })
    cleanups.push(() => b.close())
    const jpeg = await solidJpeg([10, 220, 120])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const report = await runReceiver(b.port, 5, 'jpeg')
    for (const f of report.frames) {
      expect(f).toMatchObject({ dtype: 'uint8', shape: [240, 320, 3] })
      near(f.mean, [120, 220, 10])
    }
  })
})

describe.skipIf(!hasCv2)('our watcher and the unmodified classic sender', () => {
  it.each([
    ['pickle', 'auto'],
    ['pickle', 'classic'],
    ['jpeg', 'auto'],
    ['jpeg', 'classic']
  ] as const)('shows %s frames in %s mode with the sender’s colours', async (variant, mode) => {
    const port = await startSender(variant, 40)
    const { watcher, frames } = watch(port, mode)
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(6)
    expect(watcher.status.format).toBe('classic')
    expect(watcher.status.info).toMatchObject({ codec: 'jpeg', width: 160, height: 120 })
    const f = frames[5]!
    expect(f.latencyMs).toBeNull()
    // Frame i is BGR (i, 50, 200): red 200, green 50, blue the frame number.
    const [red, green, blue] = await rgbOf(f.payload)
    near([red!, green!], [200, 50], 6)
    expect(blue).toBeGreaterThanOrEqual(2)
  })

  it.each([0, 1, 2, 3, 4, 5])('reads pickle protocol %i from the sender', async (protocol) => {
    const port = await startSender('pickle', 40, protocol)
    const { frames } = watch(port, 'auto')
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    near((await rgbOf(frames[0]!.payload)).slice(0, 2), [200, 50], 6)
  })
})

describe('watching a classic stream', () => {
  it('round-trips our classic pickle broadcast through our own watcher', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-pickle' })
    cleanups.push(() => b.close())
    const jpeg = await solidJpeg([250, 10, 90])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const { watcher, frames } = watch(b.port, 'auto')
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    expect(watcher.status.format).toBe('classic')
    near(await rgbOf(frames[2]!.payload), [250, 10, 90])
  })

  it('still recognises a native broadcaster in auto mode', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    cleanups.push(() => b.close())
    const jpeg = await solidJpeg([1, 2, 3])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const { watcher, frames } = watch(b.port, 'auto')
    await expect.poll(() => frames.length).toBeGreaterThanOrEqual(2)
    expect(watcher.status.format).toBe('native')
    expect(Buffer.from(frames[1]!.payload).equals(jpeg)).toBe(true)
  })

  it('names the mismatch when classic mode meets a native broadcaster, and the reverse', async () => {
    const native = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    const classic = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-jpeg' })
    cleanups.push(() => native.close(), () => classic.close())
    const jpeg = await solidJpeg([1, 2, 3])
    feed(() => classic.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const a = watch(native.port, 'classic')
    const b = watch(classic.port, 'native')
    await expect.poll(() => a.watcher.status.state).toBe('error')
    await expect.poll(() => b.watcher.status.state).toBe('error')
    expect(a.watcher.status.error?.message).toMatch(/Framecast broadcaster/)
    expect(b.watcher.status.error?.message).toMatch(/classic/i)
    expect(a.frames.length + b.frames.length).toBe(0)
  })

  describe.skipIf(!hasCv2)('from a hostile sender', () => {
    let server: Server | undefined
    afterEach(() => server?.close())

    it('refuses a pickle that would run code, stops with UNSUPPORTED_PICKLE, and runs nothing', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'framecast-hostile-'))
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
      const marker = join(dir, 'executed')
      const made = await new Promise<number | null>((r) => python([join(FIXTURES, 'make.py'), dir, marker]).on('exit', r))
      expect(made).toBe(0)
      const hostile = readFileSync(join(dir, 'hostile-os-system-p4.pkl'))
      const good = readFileSync(join(dir, 'bgr-np1-p4.pkl'))
      server = createServer((s: Socket) => {
        s.on('error', () => {})
        s.write(Buffer.concat([...encodeClassicMessage(good), ...encodeClassicMessage(hostile)]))
      })
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
      const port = (server.address() as { port: number }).port
      const { watcher, frames } = watch(port, 'auto')
      await expect.poll(() => watcher.status.state).toBe('error')
      expect(watcher.status.error?.code).toBe('UNSUPPORTED_PICKLE')
      expect(frames.length).toBeLessThanOrEqual(1)
      expect(existsSync(marker)).toBe(false)
    })
  })
})

// The ways copies of the tutorial differ, each served by a real Python sender (test/fixtures/classic/variants.py, all
// in one process) or read by the real receiver: the length prefix, what is pickled, and the frame size.
describe.skipIf(!hasCv2)('the variants of the classic scripts people run', () => {
  const VARIANTS = {
    winPickle: 'pickle:<L:160x120:-',
    winJpeg: 'jpeg:<L:160x120:-',
    bigEndianJpeg: 'jpeg:>L:160x120:-',
    networkQ: 'pickle:!Q:160x120:-',
    shortJpeg: 'jpeg:H:160x120:-',
    shortBigEndian: 'pickle:!H:160x120:-',
    gist: 'buffer:>L:160x120:0',
    oldCv2: 'buffer-n1:L:160x120:2',
    newCv2: 'buffer:Q:160x120:5',
    uhd: 'pickle:Q:3840x2160:-:still'
  } as const
  let ports: Record<string, number>

  beforeAll(async () => {
    const p = spawn(PYTHON, [join(SCRIPTS, 'variants.py'), '24', '30', ...Object.values(VARIANTS)])
    p.stderr.on('data', (c: Buffer) => process.stderr.write(c))
    variantsProcess = p
    const first = await createInterface({ input: p.stdout })[Symbol.asyncIterator]().next()
    ports = JSON.parse(String(first.value)) as Record<string, number>
  }, 30_000)
  let variantsProcess: ChildProcessWithoutNullStreams | undefined
  afterAll(() => void variantsProcess?.kill('SIGKILL'))

  const portOf = (v: keyof typeof VARIANTS): number => ports[VARIANTS[v]]!

  it.each([
    ['winPickle', '<L', 'auto'],
    ['winJpeg', '<L', 'classic'],
    ['bigEndianJpeg', '>L', 'auto'],
    ['networkQ', '!Q', 'classic'],
    ['shortJpeg', 'H', 'classic'],
    ['shortBigEndian', '!H', 'auto']
  ] as const)('watches %s, whose sender writes struct.pack(%j, n), in %s mode', async (variant, format, mode) => {
    const port = portOf(variant)
    const { watcher, frames } = watch(port, mode)
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4)
    expect(watcher.status).toMatchObject({ format: 'classic', info: { width: 160, height: 120, name: `Classic sender at 127.0.0.1:${port} (prefix "${format}")` } })
    const [red, green] = await rgbOf(frames[3]!.payload)
    near([red!, green!], [200, 50], 6)
  })

  it('names the prefix the sender writes when told another, and stops at once', async () => {
    const { watcher, frames, states } = watch(portOf('winPickle'), 'classic', { classicPrefix: 'u64le' })
    await expect.poll(() => watcher.status.state, { timeout: 10_000 }).toBe('error')
    expect(watcher.status.error?.code).toBe('BAD_LENGTH_PREFIX')
    expect(watcher.status.error?.message).toMatch(/they fit a 4-byte little-endian length prefix \(struct "<L", "I"; "L" on Windows\)/)
    expect(frames).toEqual([])
    expect(states.filter((s) => s.state === 'connecting' || s.state === 'reconnecting')).toHaveLength(1)
  })

  it.each([
    ['gist', 'the buffer in protocol 0 after struct.pack(">L", n)'],
    ['oldCv2', 'an (N, 1) buffer in protocol 2 after struct.pack("L", n)'],
    ['newCv2', 'an (N,) buffer in protocol 5']
  ] as const)('shows the picture of a sender that pickles what cv2.imencode returns: %s, %s', async (variant, _what) => {
    const { watcher, frames } = watch(portOf(variant), 'auto')
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3)
    // The JPEG inside, not an N×1 strip of its bytes.
    expect(watcher.status.info).toMatchObject({ width: 160, height: 120 })
    const [red, green] = await rgbOf(frames[2]!.payload)
    near([red!, green!], [200, 50], 6)
  })

  it.each(['auto', 'classic'] as const)('watches 4K pickled frames with the default limit in %s mode', async (mode) => {
    const { watcher, frames } = watch(portOf('uhd'), mode)
    await expect.poll(() => frames.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(2)
    expect(watcher.status.info).toMatchObject({ width: 3840, height: 2160 })
  })

  it('refuses frames really over the limit at once and for good, saying how large they are', async () => {
    const { watcher, states } = watch(portOf('uhd'), 'auto', { maxMessageBytes: 16 * 1024 * 1024 })
    await expect.poll(() => watcher.status.state, { timeout: 10_000 }).toBe('error')
    expect(watcher.status.error?.code).toBe('MESSAGE_TOO_LARGE')
    expect(watcher.status.error?.message).toMatch(/^A classic message declares 248833\d\d bytes \(23\.7 MiB\) in its 8-byte little-endian length prefix; the limit is 16 MiB$/)
    expect(states.filter((s) => s.state === 'connecting' || s.state === 'reconnecting')).toHaveLength(1)
  })

  it.each([
    ['<L', 'u32le', 'pickle'],
    ['>L', 'u32be', 'jpeg']
  ] as const)('broadcasts to a receiver that unpacks %j, with the prefix chosen', async (format, classicPrefix, variant) => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: `classic-${variant}`, classicPrefix })
    cleanups.push(() => b.close())
    const jpeg = await solidJpeg([40, 150, 240])
    feed(() => b.send({ capturedAtUs: nowUs(), payload: jpeg }))
    const report = await runReceiver(b.port, 3, variant, format)
    expect(report.frames).toHaveLength(3)
    for (const f of report.frames) {
      expect(f).toMatchObject({ dtype: 'uint8', shape: [240, 320, 3] })
      near(f.mean, [240, 150, 40])
    }
  })
})

describe('a sender whose frames keep failing', () => {
  let server: Server | undefined
  afterEach(() => server?.close())

  /** A raw sender that writes `messages` to each connection and keeps it open; counts connections with their times. */
  async function rawSender(messages: Buffer): Promise<{ port: number; connections: number[] }> {
    const connections: number[] = []
    server = createServer((s: Socket) => {
      connections.push(performance.now())
      s.on('error', () => {})
      s.write(messages)
    })
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r))
    return { port: (server.address() as { port: number }).port, connections }
  }

  it('is refused for good at a pickle that would cost far more than its size', async () => {
    const good = await solidJpeg([1, 2, 3])
    const soup = Buffer.alloc(8 * 1024 * 1024, 0x85)
    soup.set([0x80, 0x04, 0x4e])
    const { port, connections } = await rawSender(Buffer.concat([...encodeClassicMessage(good), ...encodeClassicMessage(soup)]))
    const watcher = new Watcher({ host: '127.0.0.1', port, mode: 'auto' })
    cleanups.push(() => watcher.stop())
    watcher.start()
    await expect.poll(() => watcher.status.state, { timeout: 10_000 }).toBe('error')
    expect(watcher.status.error).toMatchObject({ code: 'UNSUPPORTED_PICKLE', message: expect.stringMatching(/more than 1024 opcodes/) as unknown })
    await new Promise((r) => setTimeout(r, 300))
    expect(connections).toHaveLength(1)
  })

  it('is reconnected with a growing backoff, not in a hot loop, while each connection goes live and then fails', async () => {
    const good = await solidJpeg([1, 2, 3])
    // A JPEG start with no frame header behind it: no size can be read (MALFORMED_MESSAGE), every time.
    const broken = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x04, 0, 0]), Buffer.alloc(200, 0x55)])
    const { port, connections } = await rawSender(Buffer.concat([...encodeClassicMessage(good), ...encodeClassicMessage(broken)]))
    const watcher = new Watcher({ host: '127.0.0.1', port, mode: 'classic' })
    const states: string[] = []
    watcher.on('state', (s) => states.push(s.state))
    cleanups.push(() => watcher.stop())
    const started = performance.now()
    watcher.start()
    await expect.poll(() => connections.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4)
    expect(states.filter((s) => s === 'live').length).toBeGreaterThanOrEqual(3)
    expect(watcher.status.error?.code).toBe('MALFORMED_MESSAGE')
    // Waits of about 100, 200 and 400 ms (±20 %) between the connections; reset to 100 ms each time the stream went
    // live, they would stay near 100 ms.
    const gaps = connections.slice(1).map((t, i) => t - connections[i]!)
    expect(gaps[2]!).toBeGreaterThan(1.3 * gaps[0]!)
    expect(gaps[2]!).toBeGreaterThanOrEqual(300)
    expect(connections[0]! - started).toBeLessThan(5_000)
  })
})
