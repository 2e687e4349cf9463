// Properties of the wire codec over generated conversations. FC_PROPERTY_RUNS raises the runs per property
// (default 1000), e.g. `FC_PROPERTY_RUNS=10000 npx vitest run test/core/codec/codec.property.test.ts`.

import fc from 'fast-check'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { Decoder, encodeMessage, encodePreamble } from '../../../src/core/codec/codec'
import { FramecastError } from '../../../src/core/errors'
import {
  BYE_MAX_TEXT_BYTES,
  ByeReason,
  type ByeReasonName,
  ERROR_MAX_TEXT_BYTES,
  type ErrorCode,
  ErrorCodes,
  HEADER_BYTES,
  HELLO_MAX_NAME_BYTES,
  INFO_MAX_NAME_BYTES,
  INFO_MAX_PARAMS_BYTES,
  type Message,
  MessageType,
  PREAMBLE_BYTES,
  type RoleName
} from '../../../src/shared/protocol'
import { truncateUtf8 } from '../../../src/shared/utf8'
import { chunkings } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

/** Generous per-test time budget that grows with the number of runs. */
const TIMEOUT_MS = Math.max(20_000, NUM_RUNS * 30)
const params = { numRuns: NUM_RUNS }

/** A message as the encoder takes it, the bytes it becomes, and what a decoder must return for them. */
interface Case {
  bytes: Uint8Array
  expected: Message
  /** How many of its bytes must arrive before the decoder returns it (an unknown type is reported at its header). */
  emittedAfter?: number
}

const u32 = fc.integer({ min: 0, max: 0xffffffff })
const time = fc.maxSafeNat()
const anyText = fc.string({ unit: 'binary', maxLength: 300 })


const caseOf = (m: Message, expected: Message = m): Case => ({ bytes: encodeMessage(m), expected })

const infoCase = fc
  .record({
    width: fc.integer({ min: 1, max: 0xffff }),
    height: fc.integer({ min: 1, max: 0xffff }),
    fpsHundredths: fc.integer({ min: 0, max: 0xffff }),
    name: fc.string({ unit: 'binary', maxLength: 80 }),
    codec: fc.constantFrom('jpeg' as const, 'h264' as const),
    params: fc.option(fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: INFO_MAX_PARAMS_BYTES }), { nil: undefined })
  })
  .map(({ width, height, fpsHundredths, name, codec, params }) => {
    const m: Message = { type: 'info', codec, width, height, fps: fpsHundredths / 100, name, ...(params === undefined ? {} : { params }) }
    return caseOf(m, { ...m, name: truncateUtf8(name, INFO_MAX_NAME_BYTES) })
  })

const frameCase = fc
  .record({
    seq: u32,
    capturedAtUs: time,
    keyframe: fc.boolean(),
    quality: fc.integer({ min: 0, max: 100 }),
    payload: fc.uint8Array({ minLength: 1, maxLength: 3000 })
  })
  .map((f) => caseOf({ type: 'frame', ...f }))

const ackCase = fc.record({ seq: u32, spanUs: u32 }).map((a) => caseOf({ type: 'ack', ...a }))

const keyframeRequestCase = u32.map((lastSeq) => caseOf({ type: 'keyframeRequest', lastSeq }))

const helloCase = fc
  .string({ unit: 'binary', maxLength: 80 })
  .map((name) => caseOf({ type: 'hello', name }, { type: 'hello', name: truncateUtf8(name, HELLO_MAX_NAME_BYTES) }))

const pairingCase = fc.oneof(
  fc.constant(caseOf({ type: 'pairRequest' })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((element) => caseOf({ type: 'pakeShare', element })),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((tag) => caseOf({ type: 'pakeConfirm', tag }))
)

const pingCase = fc.record({ id: u32, t1: time }).map((p) => caseOf({ type: 'ping', ...p }))

const pongCase = fc.record({ id: u32, t1: time, t2: time, t3: time }).map((p) => caseOf({ type: 'pong', ...p }))

const byeCase = fc
  .record({ reason: fc.constantFrom(...(Object.keys(ByeReason) as ByeReasonName[])), text: anyText })
  .map((b) => caseOf({ type: 'bye', ...b }, { type: 'bye', reason: b.reason, text: truncateUtf8(b.text, BYE_MAX_TEXT_BYTES) }))

const errorCase = fc
  .record({ code: fc.constantFrom(...(Object.keys(ErrorCodes) as ErrorCode[])), text: anyText })
  .map((e) => caseOf({ type: 'error', ...e }, { type: 'error', code: e.code, text: truncateUtf8(e.text, ERROR_MAX_TEXT_BYTES) }))

/** Message types v2 does not know: skipped, reported as 'unknown'. */
const firstUnknownType = Math.max(...Object.values(MessageType)) + 1
const unknownCase = fc
  .record({
    typeByte: fc.oneof(fc.constant(0), fc.integer({ min: firstUnknownType, max: 0xff })),
    body: fc.uint8Array({ maxLength: 200 })
  })
  .map(({ typeByte, body }): Case => {
    const head = Buffer.alloc(HEADER_BYTES)
    head[0] = typeByte
    head.writeUInt32BE(body.length, 4)
    return {
      bytes: Buffer.concat([head, body]),
      expected: { type: 'unknown', typeByte, length: body.length },
      emittedAfter: HEADER_BYTES
    }
  })

const messageCase = fc.oneof(
  infoCase,
  frameCase,
  pingCase,
  pongCase,
  byeCase,
  errorCase,
  ackCase,
  keyframeRequestCase,
  helloCase,
  pairingCase,
  unknownCase
)

interface Conversation {
  bytes: Buffer
  expected: Message[]
  /** Offsets where a message (or the preamble) ends; a stream cut there is complete. */
  boundaries: number[]
  /** Offsets by which each expected message has been returned. */
  emitted: number[]
}

const conversation = fc
  .record({ role: fc.constantFrom<RoleName>('broadcaster', 'viewer'), cases: fc.array(messageCase, { maxLength: 12 }) })
  .map(({ role, cases }): Conversation => {
    const boundaries = [PREAMBLE_BYTES]
    const emitted = [PREAMBLE_BYTES]
    for (const c of cases) {
      const start = boundaries[boundaries.length - 1]!
      emitted.push(start + (c.emittedAfter ?? c.bytes.length))
      boundaries.push(start + c.bytes.length)
    }
    return {
      bytes: Buffer.concat([encodePreamble(role), ...cases.map((c) => c.bytes)]),
      expected: [{ type: 'preamble', version: 2, role, flags: 0 }, ...cases.map((c) => c.expected)],
      boundaries,
      emitted
    }
  })

/** Compare payloads by value, whatever view they arrive in. */
function plain(messages: Message[]): unknown[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  return messages.map((m) => {
    if (m.type === 'frame') return { ...m, payload: hex(m.payload) }
    if (m.type === 'pakeShare') return { ...m, element: hex(m.element) }
    if (m.type === 'pakeConfirm') return { ...m, tag: hex(m.tag) }
    return m
  })
}

function decode(chunks: Uint8Array[], decoder = new Decoder()): { messages: Message[]; error: FramecastError | undefined } {
  const messages: Message[] = []
  for (const c of chunks) messages.push(...decoder.push(c))
  return { messages, error: decoder.end() }
}

const codes = new Set(Object.keys(ErrorCodes))

function expectTypedErrorOrNone(error: unknown): void {
  if (error === undefined) return
  expect(error).toBeInstanceOf(FramecastError)
  expect(codes.has((error as FramecastError).code)).toBe(true)
}

afterEach(() => {
  vi.restoreAllMocks()
})

describe('codec properties', () => {
  it(
    'decodes a valid stream to exactly the same messages however it is cut: anywhere, one byte at a time, or whole',
    () => {
      fc.assert(
        fc.property(conversation, chunkings(), (c, chunking) => {
          const { messages, error } = decode(chunking(c.bytes))
          expect(error).toBeUndefined()
          expect(plain(messages)).toEqual(plain(c.expected))
        }),
        params
      )
    },
    TIMEOUT_MS
  )

  it(
    'round-trips arbitrary field values through the encoder and decoder',
    () => {
      fc.assert(
        fc.property(messageCase, (m) => {
          const d = new Decoder()
          const out = d.push(Buffer.concat([encodePreamble('broadcaster'), m.bytes]))
          expect(d.error).toBeUndefined()
          expect(plain(out.slice(1))).toEqual(plain([m.expected]))
          expect(d.bufferedBytes).toBe(0)
          if (m.expected.type === 'info') expect(Buffer.byteLength(m.expected.name)).toBeLessThanOrEqual(INFO_MAX_NAME_BYTES)
        }),
        params
      )
    },
    TIMEOUT_MS
  )

  it(
    'never throws on corrupted input and ends in no error or one typed error',
    () => {
      const mutation = fc.record({
        at: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
        kind: fc.constantFrom('flip', 'replace'),
        value: fc.integer({ min: 0, max: 255 })
      })
      fc.assert(
        fc.property(conversation, fc.array(mutation, { minLength: 1, maxLength: 8 }), chunkings(), (c, mutations, chunking) => {
          const bytes = Buffer.from(c.bytes)
          for (const { at, kind, value } of mutations) {
            const i = Math.floor(at * bytes.length)
            bytes[i] = kind === 'flip' ? bytes[i]! ^ (1 << (value & 7)) : value
          }
          const d = new Decoder()
          const result = (): ReturnType<typeof decode> => decode(chunking(bytes), d)
          expect(result).not.toThrow()
          expectTypedErrorOrNone(d.end())
          // After an error the decoder holds nothing and stays failed.
          if (d.error) {
            expect(d.bufferedBytes).toBe(0)
            expect(d.push(c.bytes)).toEqual([])
          }
        }),
        params
      )
    },
    TIMEOUT_MS
  )

  it(
    'never throws on garbage, alone or after a valid preamble, and ends in no error or one typed error',
    () => {
      fc.assert(
        fc.property(fc.boolean(), fc.uint8Array({ maxLength: 2000 }), chunkings(), (afterPreamble, garbage, chunking) => {
          const bytes = afterPreamble ? Buffer.concat([encodePreamble('viewer'), garbage]) : garbage
          const d = new Decoder()
          expect(() => decode(chunking(bytes), d)).not.toThrow()
          const error = d.end()
          expectTypedErrorOrNone(error)
          if (!afterPreamble && garbage.length > 0 && garbage.length < PREAMBLE_BYTES) expect(error?.code).toBe('TRUNCATED')
        }),
        params
      )
    },
    TIMEOUT_MS
  )

  it(
    'ends in TRUNCATED when a stream is cut inside a message, and in nothing when cut between messages',
    () => {
      fc.assert(
        fc.property(conversation, fc.double({ min: 0, max: 1, noNaN: true, minExcluded: true, maxExcluded: true }), chunkings(), (c, at, chunking) => {
          const cut = Math.max(1, Math.min(c.bytes.length - 1, Math.floor(at * c.bytes.length)))
          const d = new Decoder()
          let messages: Message[] = []
          expect(() => (messages = decode(chunking(c.bytes.subarray(0, cut)), d).messages)).not.toThrow()
          const error = d.end()
          const returned = c.emitted.filter((e) => e <= cut).length
          expect(plain(messages)).toEqual(plain(c.expected.slice(0, returned)))
          if (c.boundaries.includes(cut)) expect(error).toBeUndefined()
          else {
            expect(error).toBeInstanceOf(FramecastError)
            expect(error?.code).toBe('TRUNCATED')
          }
        }),
        params
      )
    },
    TIMEOUT_MS
  )

  it(
    'rejects a declared length over the limit at the header, holding no body bytes however many follow',
    () => {
      const filler = Buffer.alloc(256 * 1024, 0xab)
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: 0xfffffffe }).chain((limit) =>
            fc.record({
              limit: fc.constant(limit),
              length: fc.integer({ min: limit + 1, max: 0xffffffff }),
              type: fc.integer({ min: 0, max: 255 }),
              following: fc.integer({ min: 0, max: filler.length }),
              headerCut: fc.integer({ min: 0, max: HEADER_BYTES })
            })
          ),
          ({ limit, length, type, following, headerCut }) => {
            const header = Buffer.alloc(HEADER_BYTES)
            header[0] = type
            header.writeUInt32BE(length, 4)
            const stream = Buffer.concat([encodePreamble('broadcaster'), header, filler.subarray(0, following)])
            const first = stream.subarray(0, PREAMBLE_BYTES + headerCut)
            const rest = stream.subarray(PREAMBLE_BYTES + headerCut)
            const d = new Decoder({ maxMessageBytes: limit })
            const allocations: number[] = []
            const real = Buffer.allocUnsafe.bind(Buffer)
            const spy = vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => {
              allocations.push(n)
              return real(n)
            })
            const out = [...d.push(first), ...d.push(rest)]
            spy.mockRestore()
            expect(out).toEqual([{ type: 'preamble', version: 2, role: 'broadcaster', flags: 0 }])
            expect(d.error).toBeInstanceOf(FramecastError)
            expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
            expect(d.bufferedBytes).toBeLessThan(HEADER_BYTES)
            expect(Math.max(0, ...allocations)).toBeLessThanOrEqual(HEADER_BYTES)
          }
        ),
        params
      )
    },
    TIMEOUT_MS
  )
})
