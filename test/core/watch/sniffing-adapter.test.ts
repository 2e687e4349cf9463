import fc from 'fast-check'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { encodeClassicMessage, SNIFF_BYTES } from '../../../src/core/classic/framing'
import { encodeFrame, encodeInfo, encodePreamble } from '../../../src/core/codec/codec'
import { FramecastError } from '../../../src/core/errors'
import { ClassicAdapter } from '../../../src/core/watch/classic-adapter'
import { NativeAdapter } from '../../../src/core/watch/native-adapter'
import { openStream, SniffingAdapter, type AdapterOptions } from '../../../src/core/watch/sniffing-adapter'
import type { StreamAdapter } from '../../../src/core/watch/stream-adapter'
import type { StreamInfo } from '../../../src/shared/protocol'
import { ClockOffset } from '../../../src/shared/stats'
import { splitAt } from '../../support/chunks'
import { fakeJpeg } from '../../support/net'
import { NUM_RUNS } from '../../support/runs'
import { recordingSink, type SinkRecord } from '../../support/stream-sink'

const WHERE = '192.0.2.7:9999'
const info: StreamInfo = { codec: 'jpeg', width: 320, height: 240, fps: 30, name: 'Desk' }

function options(): AdapterOptions {
  let seq = 0
  return { maxMessageBytes: 1 << 20, classic: { prefix: 'auto', maxMessageBytes: 1 << 20 }, clock: new ClockOffset(8), deviceName: 'test viewer', nextSeq: () => seq++ }
}

/** A sink whose adopt() hands the connection over, as the lifecycle does, so later chunks reach the chosen adapter. */
function sniffing() {
  const { sink, record } = recordingSink(WHERE)
  let current: StreamAdapter
  const adopt = sink.adopt
  sink.adopt = (adapter) => {
    adopt(adapter)
    current = adapter
  }
  const sniffer = new SniffingAdapter(sink, options())
  current = sniffer
  return { sniffer, record, push: (chunk: Uint8Array) => current.push(chunk) }
}

/** What a stream reported that the viewer would see (a classic frame's capture time is its receipt: not compared). */
function seen(r: SinkRecord) {
  return {
    infos: r.infos,
    frames: r.frames.map((f) => [f.seq, f.latencyMs === null && f.capturedAtUs === f.receivedAtUs ? 'now' : f.capturedAtUs, Buffer.from(f.payload).toString('base64')]),
    gaps: r.gaps,
    failures: r.failures.map((e) => [e.code, e.message])
  }
}

const nativeStream = Buffer.concat([
  encodePreamble('broadcaster'),
  encodeInfo(info),
  ...[1, 2, 5].flatMap((seq) => encodeFrame(seq, 1_000 + seq, fakeJpeg(40, seq)))
])
let classicStream: Buffer

beforeAll(async () => {
  const jpeg = await sharp({ create: { width: 16, height: 8, channels: 3, background: '#246' } }).jpeg().toBuffer()
  classicStream = Buffer.concat([jpeg, jpeg, jpeg].flatMap((p) => encodeClassicMessage(p)))
})

describe('choosing a stream adapter', () => {
  it('gives native and classic modes their own adapter and auto the sniffing one', () => {
    const { sink } = recordingSink(WHERE)
    expect(openStream('native', sink, options())).toBeInstanceOf(NativeAdapter)
    expect(openStream('classic', sink, options())).toBeInstanceOf(ClassicAdapter)
    expect(openStream('auto', sink, options())).toBeInstanceOf(SniffingAdapter)
  })

  it('greets with the viewer preamble, which a classic sender never reads, and does not ping before it knows', () => {
    const { sniffer } = sniffing()
    expect(sniffer).toMatchObject({ format: null, pings: false })
    expect(Buffer.from(sniffer.greeting).equals(encodePreamble('viewer'))).toBe(true)
    expect(sniffer.end()).toBeUndefined()
  })

  it.each([
    ['native', () => nativeStream, NativeAdapter],
    ['classic', () => classicStream, ClassicAdapter]
  ] as const)('hands a %s stream to its adapter once, and the viewer sees what that adapter alone would, whatever the chunking', (format, stream, kind) => {
    const direct = recordingSink(WHERE)
    const alone = format === 'native' ? new NativeAdapter(direct.sink, options()) : new ClassicAdapter(direct.sink, options())
    alone.push(stream())
    expect(direct.record.frames).toHaveLength(3)
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 * SNIFF_BYTES }), { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (early, late) => {
        const s = sniffing()
        for (const c of splitAt(stream(), [...early, ...late])) s.push(c)
        expect(s.record.adopted).toHaveLength(1)
        expect(s.record.adopted[0]).toBeInstanceOf(kind)
        expect(s.record.adopted[0]!.format).toBe(format)
        expect(s.record.log.indexOf('adopt')).toBe(0)
        expect(seen(s.record)).toEqual(seen(direct.record))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('replays the bytes it held, then hands on the deciding chunk whole, as the view it came as', () => {
    const s = sniffing()
    const region = Buffer.alloc(nativeStream.length + 100)
    nativeStream.copy(region, 100)
    s.push(region.subarray(100, 102))
    expect(s.record.adopted).toEqual([])
    s.push(region.subarray(102, 100 + nativeStream.length))
    expect(s.record.frames.map((f) => f.seq)).toEqual([1, 2, 5])
    expect(s.record.frames.every((f) => f.payload.buffer === region.buffer)).toBe(true)
  })

  it('waits while the first bytes could still be either format', () => {
    const s = sniffing()
    for (const c of splitAt(classicStream.subarray(0, SNIFF_BYTES - 2), [1, 4, 8])) s.push(c)
    expect(s.record.log).toEqual([])
  })

  it('fails with BAD_MAGIC naming the peer when the first bytes are neither format, and ignores what follows', () => {
    const s = sniffing()
    s.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))
    s.push(nativeStream)
    expect(s.record.adopted).toEqual([])
    expect(s.record.failures).toHaveLength(1)
    expect(s.record.failures[0]!.code).toBe('BAD_MAGIC')
    expect(s.record.failures[0]!.message).toMatch(new RegExp(`^${WHERE}: The peer speaks neither the Framecast protocol nor the classic OpenCV format`))
  })

  it('never throws on corrupted first bytes: it hands over once, fails once with a coded error, or is still waiting', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('native', 'classic'),
        fc.array(fc.tuple(fc.integer({ min: 0, max: SNIFF_BYTES + 4 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (format, flips, cuts) => {
          const bytes = Buffer.from(format === 'native' ? nativeStream : classicStream)
          for (const [at, value] of flips) bytes[at] = value
          const s = sniffing()
          const pushed = splitAt(bytes, cuts)
          for (const c of pushed) s.push(c)
          const decided = s.record.log.filter((k) => k === 'adopt' || k === 'fail')
          expect(decided.length === 0 || decided[0] === 'adopt' || (decided.length === 1 && decided[0] === 'fail')).toBe(true)
          expect(s.record.adopted.length).toBeLessThanOrEqual(1)
          expect(s.record.failures.every((e) => e instanceof FramecastError)).toBe(true)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })
})
