import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeClassicHeader, encodeClassicMessage } from '../../../src/core/classic/framing'
import { writeNdarrayPickle } from '../../../src/core/classic/pickle'
import { encodeInfo, encodePreamble } from '../../../src/core/codec/codec'
import { ClassicAdapter } from '../../../src/core/watch/classic-adapter'
import { splitAt } from '../../support/chunks'
import { FIXTURES } from '../../support/python'
import { NUM_RUNS } from '../../support/runs'
import { expectCorruptionHandled, recordingSink } from '../../support/stream-sink'

const WHERE = '192.0.2.7:9999'

function adapter(maxMessageBytes = 1 << 20) {
  const { sink, record } = recordingSink(WHERE)
  let seq = 100
  const a = new ClassicAdapter(sink, { maxMessageBytes, nextSeq: () => seq++ })
  return { a, record }
}

const framed = (payloads: Uint8Array[]): Buffer => Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p)))

function grey(shade: number, width = 48, height = 32): Buffer {
  return writeNdarrayPickle({ height, width, channels: 3, data: Buffer.alloc(width * height * 3, shade) })
}

let small: Buffer
let large: Buffer
beforeAll(async () => {
  const make = (width: number, height: number) => sharp({ create: { width, height, channels: 3, background: '#3a6' } }).jpeg().toBuffer()
  ;[small, large] = await Promise.all([make(32, 24), make(64, 48)])
})

describe('the classic stream adapter', () => {
  it('greets with the viewer preamble only, and never pings', () => {
    const { a, record } = adapter()
    expect(a).toMatchObject({ format: 'classic', pings: false })
    expect(Buffer.from(a.greeting!).equals(encodePreamble('viewer'))).toBe(true)
    a.ping()
    a.push(framed([small]))
    expect(record.sent).toEqual([])
  })

  it('numbers JPEG frames in arrival order and describes the stream on the first frame and on each change of size', () => {
    const { a, record } = adapter()
    a.push(framed([small, small, large, large, small]))
    expect(record.frames.map((f) => f.seq)).toEqual([100, 101, 102, 103, 104])
    expect(record.frames.every((f) => f.latencyMs === null && f.capturedAtUs === f.receivedAtUs)).toBe(true)
    expect(Buffer.from(record.frames[2]!.payload).equals(large)).toBe(true)
    expect(record.infos).toEqual([
      { codec: 'jpeg', width: 32, height: 24, fps: 0, name: `Classic sender at ${WHERE} (prefix "Q")` },
      { codec: 'jpeg', width: 64, height: 48, fps: 0, name: `Classic sender at ${WHERE} (prefix "Q")` },
      { codec: 'jpeg', width: 32, height: 24, fps: 0, name: `Classic sender at ${WHERE} (prefix "Q")` }
    ])
    // Introduced as soon as the first message shows its length prefix, before the first frame is in.
    expect(record.log.filter((k) => k !== 'heard')).toEqual(['introduced', 'described', 'frame', 'frame', 'described', 'frame', 'frame', 'described', 'frame'])
  })

  it('counts any bytes as hearing from the sender, before a whole message is in', () => {
    const { a, record } = adapter()
    a.push(framed([small]).subarray(0, 3))
    expect(record.log).toEqual(['heard'])
    expect(record.frames).toEqual([])
  })

  it('reports the same frames whatever the chunking', () => {
    const stream = framed([small, large, small])
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const { a, record } = adapter()
        for (const c of splitAt(stream, cuts)) a.push(c)
        expect(record.failures).toEqual([])
        expect(record.frames.map((f) => [f.seq, Buffer.from(f.payload).equals(f.seq === 101 ? large : small)])).toEqual([
          [100, true],
          [101, true],
          [102, true]
        ])
        expect(record.infos.map((i) => i.width)).toEqual([32, 64, 32])
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('says a Framecast broadcaster is one, even when its preamble comes in pieces', () => {
    const message = `${WHERE} is a Framecast broadcaster, not a classic OpenCV sender; watch it in Framecast or Auto mode`
    const native = Buffer.concat([encodePreamble('broadcaster'), encodeInfo({ codec: 'jpeg', width: 8, height: 8, fps: 1, name: 'x' })])
    for (const cuts of [[], [2], [1, 2, 3]]) {
      const { a, record } = adapter()
      for (const c of splitAt(native, cuts)) a.push(c)
      expect(record.failures.map((e) => [e.code, e.message])).toEqual([['BAD_MAGIC', message]])
      expect(record.frames).toEqual([])
    }
  })

  it('encodes pickled images and reports those skipped while an earlier one was encoding', async () => {
    const { a, record } = adapter()
    a.push(framed([10, 60, 110, 160, 210].map((s) => grey(s))))
    await expect.poll(() => record.frames.length).toBe(2)
    await new Promise((done) => setTimeout(done, 100))
    expect(record.frames).toHaveLength(2)
    expect(record.skippedWhileEncoding).toBe(3)
    expect(record.gaps).toBe(0)
    // All five arrive while the first encodes: the three replaced are reported with the first frame delivered.
    expect(record.log.filter((k) => k !== 'heard')).toEqual(['introduced', 'described', 'skipped', 'frame', 'frame'])
    expect((await sharp(record.frames[1]!.payload).metadata()).width).toBe(48)
  })

  it('delivers nothing once closed, not even an encode that was under way', async () => {
    const { a, record } = adapter()
    a.push(framed([grey(90)]))
    a.close()
    await new Promise((done) => setTimeout(done, 200))
    a.push(framed([small]))
    expect(record.frames).toEqual([])
  })

  it('ends at a hostile pickle with UNSUPPORTED_PICKLE and delivers nothing after it', () => {
    const { a, record } = adapter()
    a.push(framed([small, readFileSync(join(FIXTURES, 'hostile-os-system-p4.pkl')), small]))
    expect(record.frames).toHaveLength(1)
    expect(record.failures.map((e) => e.code)).toEqual(['UNSUPPORTED_PICKLE'])
  })

  it('applies the size limit at the length prefix', () => {
    const { a, record } = adapter(1000)
    a.push(Buffer.concat([encodeClassicHeader(1001), small.subarray(0, 3)]))
    expect(record.failures.map((e) => e.code)).toEqual(['MESSAGE_TOO_LARGE'])
  })

  it('reports TRUNCATED when the sender ends inside a message', () => {
    const { a } = adapter()
    a.push(framed([small]).subarray(0, 20))
    expect(a.end()?.code).toBe('TRUNCATED')
  })

  it('never throws on corrupted input, fails at most once with a coded error, and reports nothing after', () => {
    // Corruption within the first two headers and payload starts, where it changes what the stream means.
    expectCorruptionHandled(framed([small, small]), (sink) => new ClassicAdapter(sink, { maxMessageBytes: 1 << 20, nextSeq: () => 0 }), 40)
  })
})
