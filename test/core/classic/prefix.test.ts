// Telling a classic sender's length prefix from its first messages, and decoding with each of the six prefixes —
// under any chunking and with corrupted input.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ClassicDecoder, encodeClassicHeader, encodeClassicMessage, sniffStream } from '../../../src/core/classic/framing'
import { PrefixDetector, type PrefixVerdict } from '../../../src/core/classic/prefix'
import { FramecastError } from '../../../src/core/errors'
import { CLASSIC_PREFIXES, type ClassicPrefix, type ClassicPrefixChoice, PREFIX_LAYOUTS } from '../../../src/shared/classic'
import { type Chunking, chunkings } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

const MIB = 1024 * 1024

/** A payload that starts and ends like what classic senders write: a JPEG (FF D8 FF … FF D9) or a pickle (80 04 … 2E). */
const payload = (maxLength: number): fc.Arbitrary<Buffer> =>
  fc.record({ kind: fc.constantFrom('jpeg', 'pickle'), body: fc.uint8Array({ minLength: 13, maxLength: maxLength - 3 }) }).map(({ kind, body }) =>
    kind === 'jpeg' ? Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), body, Buffer.from([0xff, 0xd9])]) : Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), body, Buffer.from([0x2e])])
  )

/** Two to four messages of one kind, with any prefix: what a sender writes first. */
const stream = fc.constantFrom(...CLASSIC_PREFIXES).chain((prefix) =>
  fc.constantFrom('jpeg', 'pickle').chain((kind) =>
    fc
      .array(payload(prefix.startsWith('u16') ? 3000 : 6000), { minLength: 2, maxLength: 4 })
      .map((payloads) => payloads.map((p) => (kind === 'jpeg' ? (p[0] === 0xff ? p : Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), p.subarray(3, -1), Buffer.from([0xff, 0xd9])])) : p[0] === 0x80 ? p : Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), p.subarray(3, -2), Buffer.from([0x2e])]))))
      .map((payloads) => ({ prefix, payloads, bytes: Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p, prefix))) }))
  )
)

function detect(chunks: Uint8Array[], choice: ClassicPrefixChoice = 'auto', maxMessageBytes = 32 * MIB): { verdict: PrefixVerdict; atEnd: boolean; held: number } {
  const d = new PrefixDetector({ choice, maxMessageBytes })
  let held = 0
  for (const c of chunks) {
    held += c.length
    const v = d.push(c)
    if (v !== undefined) return { verdict: v, atEnd: false, held }
  }
  return { verdict: d.end(), atEnd: true, held }
}

const prefixOf = (v: PrefixVerdict): ClassicPrefix | string => ('prefix' in v ? v.prefix : `${v.error.code}: ${v.error.message}`)

describe('the classic decoder with each prefix', () => {
  it('decodes the same messages whatever the prefix and the chunking', () => {
    fc.assert(
      fc.property(fc.constantFrom(...CLASSIC_PREFIXES), fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 6 }), chunkings(), (prefix, payloads, chunking: Chunking) => {
        const d = new ClassicDecoder({ prefix })
        const got: string[] = []
        for (const c of chunking(Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p, prefix))))) for (const p of d.push(c)) got.push(Buffer.from(p).toString('hex'))
        expect(d.end()).toBeUndefined()
        expect(got).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws on corrupted streams, gives back no more than it got, and fails only with a coded error', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CLASSIC_PREFIXES),
        fc.array(fc.uint8Array({ maxLength: 80 }), { minLength: 1, maxLength: 5 }),
        fc.array(fc.record({ at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }), { maxLength: 4 }),
        fc.nat(),
        chunkings(8),
        (prefix, payloads, flips, cut, chunking: Chunking) => {
          const bytes = Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p, prefix)))
          for (const f of flips) bytes[f.at % bytes.length] = f.value
          const truncated = bytes.subarray(0, cut % (bytes.length + 1))
          const d = new ClassicDecoder({ prefix, maxMessageBytes: 256 })
          let total = 0
          for (const c of chunking(truncated)) for (const p of d.push(c)) total += p.length + PREFIX_LAYOUTS[prefix].bytes
          const error = d.end()
          expect(total).toBeLessThanOrEqual(truncated.length)
          if (error !== undefined) expect(['MESSAGE_TOO_LARGE', 'TRUNCATED']).toContain(error.code)
          else expect(total).toBe(truncated.length)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })
})

describe('telling the prefix', () => {
  it('finds the prefix a sender writes from its first messages, whatever the chunking', () => {
    fc.assert(
      fc.property(stream, chunkings(), ({ prefix, bytes }, chunking: Chunking) => {
        const { verdict } = detect(chunking(bytes))
        expect(prefixOf(verdict)).toBe(prefix)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('decides before the stream ends, holding no more than the first message and the next head (8-byte prefixes: 11 bytes)', () => {
    fc.assert(
      fc.property(stream, ({ prefix, payloads, bytes }) => {
        const width = PREFIX_LAYOUTS[prefix].bytes
        const { verdict, atEnd, held } = detect(Array.from(bytes, (b) => Uint8Array.of(b)))
        expect('prefix' in verdict && !atEnd).toBe(true)
        expect(held).toBeLessThanOrEqual(2 * width + payloads[0]!.length + 3)
        // 4- and 8-byte prefixes are told from the head of the first message, unless the other byte order also reads
        // a length in range there.
        if (width === 8) expect(held).toBeLessThanOrEqual(11)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('accepts a chosen prefix the first message fits, at once', () => {
    fc.assert(
      fc.property(stream, ({ prefix, bytes }) => {
        const { verdict, held } = detect(Array.from(bytes.subarray(0, 64), (b) => Uint8Array.of(b)), prefix)
        expect(prefixOf(verdict)).toBe(prefix)
        expect(held).toBeLessThanOrEqual(PREFIX_LAYOUTS[prefix].bytes + 3)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws on corrupted first bytes: a prefix, a coded refusal, or still waiting while within the limit', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 40 }), value: fc.integer({ min: 0, max: 255 }) }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom<ClassicPrefixChoice>('auto', ...CLASSIC_PREFIXES),
        chunkings(12),
        ({ bytes }, flips, choice, chunking: Chunking) => {
          const corrupted = Buffer.from(bytes)
          for (const f of flips) corrupted[f.at % corrupted.length] = f.value
          const d = new PrefixDetector({ choice, maxMessageBytes: 4096 })
          let verdict: PrefixVerdict | undefined
          for (const c of chunking(corrupted)) verdict ??= d.push(c)
          // Undecided, it holds less than a message within the limit and the next head: what it may still look past.
          if (verdict === undefined) expect(d.held.reduce((n, c) => n + c.length, 0)).toBeLessThan(4096 + 2 * 8 + 3)
          verdict ??= d.end()
          if ('error' in verdict) expect(['BAD_LENGTH_PREFIX', 'TRUNCATED']).toContain(verdict.error.code)
          else expect(CLASSIC_PREFIXES).toContain(verdict.prefix)
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it('names the prefix the bytes fit when another one was chosen', () => {
    const windows = Buffer.concat(encodeClassicMessage(Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.alloc(900, 7), Buffer.from([0x2e])]), 'u32le'))
    const { verdict } = detect([windows], 'u64le')
    expect('error' in verdict && verdict.error.code).toBe('BAD_LENGTH_PREFIX')
    expect(prefixOf(verdict)).toMatch(
      /^BAD_LENGTH_PREFIX: Read with an 8-byte little-endian length prefix \(struct "Q"; "L" on Linux and macOS\), the first message declares .* bytes; they fit a 4-byte little-endian length prefix \(struct "<L", "I"; "L" on Windows\) — choose that prefix, or Automatic$/
    )
  })

  it('says what the first bytes are when they fit no prefix', () => {
    const { verdict } = detect([Buffer.from('HTTP/1.1 200 OK\r\n\r\n')])
    expect(prefixOf(verdict)).toBe(
      'BAD_LENGTH_PREFIX: its first bytes, 48 54 54 50 2f 31 2e 31 20 32 30, are not a length prefix (2, 4 or 8 bytes, either byte order) followed by a pickle or a JPEG'
    )
  })

  it('chooses a prefix whose first message is over the limit when nothing else fits, so the decoder refuses it as too large', () => {
    // 40 MiB read big-endian is 02 80 00 00, which little-endian is 32 770 bytes: a message within the limit, until
    // its end shows it is not one.
    const big = Buffer.concat([encodeClassicHeader(40 * MIB, 'u32be'), Buffer.from([0x80, 0x04, 0x95]), Buffer.alloc(40_000, 7)])
    const { verdict, atEnd } = detect([big.subarray(0, 20_000), big.subarray(20_000)])
    expect([prefixOf(verdict), atEnd]).toEqual(['u32be', false])
    const d = new ClassicDecoder({ prefix: 'u32be' })
    d.push(big)
    expect(d.error?.message).toBe('A classic message declares 41943040 bytes (40 MiB) in its 4-byte big-endian length prefix; the limit is 32 MiB')
  })

  it('reports TRUNCATED when the stream ends inside its first length prefix', () => {
    expect(prefixOf(detect([Buffer.from([0x10, 0x00, 0x00])]).verdict)).toMatch(/^TRUNCATED/)
  })
})

describe('telling a classic stream from a Framecast one', () => {
  it('recognises a classic stream with any prefix from its first 11 bytes', () => {
    fc.assert(
      fc.property(stream, ({ bytes }) => {
        expect(sniffStream(bytes.subarray(0, 11))).toBe('classic')
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('recognises a classic stream whose frames are over the limit in force, so it is refused as too large', () => {
    expect(sniffStream(Buffer.concat([encodeClassicHeader(40 * MIB), Buffer.from([0x80, 0x04, 0x95])]))).toBe('classic')
    expect(sniffStream(Buffer.concat([encodeClassicHeader(2048 * MIB), Buffer.from([0x80, 0x04, 0x95])]))).toBeInstanceOf(FramecastError)
  })
})
