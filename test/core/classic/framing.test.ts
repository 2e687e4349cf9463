import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  ClassicDecoder,
  classifyPayload,
  encodeClassicHeader,
  encodeClassicMessage,
  sniffStream
} from '../../../src/core/classic/framing'
import { encodePreamble } from '../../../src/core/codec/codec'
import { FramecastError } from '../../../src/core/errors'
import { cutPoints, oneByteAtATime, splitAt } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

const wire = (payloads: Uint8Array[]): Buffer => Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p)))

function decodeAll(chunks: Uint8Array[], max?: number): { payloads: Buffer[]; error: FramecastError | undefined } {
  const d = new ClassicDecoder(max === undefined ? {} : { maxMessageBytes: max })
  const payloads: Buffer[] = []
  for (const c of chunks) for (const p of d.push(c)) payloads.push(Buffer.from(p))
  return { payloads, error: d.end() }
}

describe('the classic framing', () => {
  it('writes struct.pack("Q", n): eight little-endian bytes', () => {
    expect([...encodeClassicHeader(0x0102_0304_0506)]).toEqual([6, 5, 4, 3, 2, 1, 0, 0])
  })

  it('decodes messages delivered one byte at a time', () => {
    const payloads = [Buffer.from('first'), Buffer.alloc(0), Buffer.from('third!')]
    const bytes = wire(payloads)
    const { payloads: got, error } = decodeAll(oneByteAtATime(bytes))
    expect(error).toBeUndefined()
    expect(got).toEqual(payloads)
  })

  it('decodes many messages delivered in one chunk, as views without copies', () => {
    const bytes = wire([Buffer.from('a'), Buffer.from('bb'), Buffer.from('ccc')])
    const d = new ClassicDecoder()
    const got = d.push(bytes)
    expect(got.map((p) => Buffer.from(p).toString())).toEqual(['a', 'bb', 'ccc'])
    expect(got.every((p) => p.buffer === bytes.buffer)).toBe(true)
  })

  it('emits MESSAGE_TOO_LARGE at the header, before the body arrives', () => {
    const d = new ClassicDecoder({ maxMessageBytes: 1000 })
    expect(d.push(encodeClassicHeader(1001))).toEqual([])
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
    expect(d.bufferedBytes).toBe(0)
    expect(d.push(Buffer.alloc(1001))).toEqual([])
  })

  it('treats a length with the high bits set as too large, not as a small number', () => {
    const d = new ClassicDecoder()
    d.push(Buffer.from([1, 0, 0, 0, 0, 0, 0, 0x80]))
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
  })

  it('reports TRUNCATED when the stream ends inside a header or a body', () => {
    expect(decodeAll([encodeClassicHeader(5).subarray(0, 3)]).error?.code).toBe('TRUNCATED')
    expect(decodeAll([encodeClassicHeader(5), Buffer.from('abc')]).error?.code).toBe('TRUNCATED')
    expect(decodeAll([wire([Buffer.from('abc')])]).error).toBeUndefined()
  })

  it('decodes the same messages under any split of the stream', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), cutPoints(12), (payloads, cuts) => {
        const { payloads: got, error } = decodeAll(splitAt(wire(payloads), cuts))
        expect(error).toBeUndefined()
        expect(got).toEqual(payloads.map((p) => Buffer.from(p)))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws on corrupted or truncated streams and never returns more bytes than it was given', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 64 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        fc.nat(),
        cutPoints(6),
        (payloads, flips, cut, splits) => {
          const bytes = Buffer.from(wire(payloads))
          for (const f of flips) bytes[f.at % bytes.length] = f.value
          const truncated = bytes.subarray(0, cut % (bytes.length + 1))
          const { payloads: got, error } = decodeAll(splitAt(truncated, splits), 256)
          const total = got.reduce((n, p) => n + p.length + 8, 0)
          expect(total).toBeLessThanOrEqual(truncated.length)
          if (error !== undefined) expect(['MESSAGE_TOO_LARGE', 'TRUNCATED']).toContain(error.code)
          else expect(total).toBe(truncated.length)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })
})

describe('telling payloads and streams apart', () => {
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10])
  const pickle = Buffer.from([0x80, 0x04, 0x95])

  it('classifies a pickle by its protocol marker and a JPEG by its SOI marker', () => {
    expect(classifyPayload(pickle)).toBe('pickle')
    expect(classifyPayload(jpeg)).toBe('jpeg')
    expect(classifyPayload(Buffer.from([0x80, 0x09]))).toBeUndefined()
    expect(classifyPayload(Buffer.from('GET / HTTP/1.1'))).toBeUndefined()
  })

  it('recognises the native handshake from its magic', () => {
    expect(sniffStream(encodePreamble('broadcaster'))).toBe('native')
    expect(sniffStream(Buffer.from('FC'))).toBeUndefined()
  })

  it('recognises a classic stream from a plausible length followed by a pickle or a JPEG', () => {
    const classicPickle = Buffer.concat([encodeClassicHeader(1000), pickle])
    const classicJpeg = Buffer.concat([encodeClassicHeader(1000), jpeg])
    expect(sniffStream(classicPickle)).toBe('classic')
    expect(sniffStream(classicJpeg)).toBe('classic')
    // Not enough bytes yet to decide.
    expect(sniffStream(classicJpeg.subarray(0, 10))).toBeUndefined()
    expect(sniffStream(classicPickle.subarray(0, 8))).toBeUndefined()
  })

  it('refuses anything else with BAD_MAGIC', () => {
    const http = sniffStream(Buffer.from('HTTP/1.1 200 OK\r\n'))
    expect(http).toBeInstanceOf(FramecastError)
    expect((http as FramecastError).code).toBe('BAD_MAGIC')
    // 2^40 + 0x77 read in any byte order is out of range, or leaves no pickle where the message would start.
    const huge = sniffStream(Buffer.concat([encodeClassicHeader(2 ** 40 + 0x77), pickle]))
    expect((huge as FramecastError).code).toBe('BAD_MAGIC')
    const notImage = sniffStream(Buffer.concat([encodeClassicHeader(10), Buffer.from('abc')]))
    expect((notImage as FramecastError).code).toBe('BAD_MAGIC')
  })
})
