// The native framing on its own: the bytes it writes, and what it makes of the bytes a viewer sends, under any
// chunking and any corruption. Its behaviour through a real socket is in broadcaster.test.ts.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { Decoder, encodeFrame, encodeHello, encodeMessage, encodePing, encodePreamble } from '../../../src/core/codec/codec'
import type { Heard } from '../../../src/core/fanout/framing'
import { frameWireBytes, MAX_PINGS_PER_SECOND, nativeFraming } from '../../../src/core/fanout/native-framing'
import { DEFAULT_MAX_MESSAGE_BYTES, ErrorCodes, FRAME_PREFIX_BYTES, type Message, nowUs } from '../../../src/shared/protocol'
import { chunkings } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

const info = { codec: 'jpeg', width: 640, height: 480, fps: 30, name: 'Desk camera' } as const

/** What a viewer hears from these bytes, as the decoder of a watcher would read them. */
function heardByViewer(...parts: Array<Buffer | null>): Message[] {
  const d = new Decoder({ expectRole: 'broadcaster' })
  const messages = d.push(Buffer.concat([encodePreamble('broadcaster'), ...parts.filter((p): p is Buffer => p !== null)]))
  expect(d.error).toBeUndefined()
  return messages.slice(1)
}

function talk(chunks: Uint8Array[], receivedAtUs = 1_000): Heard[] {
  const t = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES })
  return chunks.flatMap((c) => t.receive(Buffer.from(c), receivedAtUs))
}

const ourPreamble: Heard = { type: 'reply', message: encodePreamble('broadcaster') }

/**
 * A viewer's conversation as protocol v2 has it: its preamble alone (answered with ours), then, once it has read ours,
 * `after` in whatever chunks. Returns what was heard after the preamble's answer.
 */
function greeted(after: Uint8Array[], receivedAtUs = 1_000): Heard[] {
  const t = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES })
  expect(t.receive(encodePreamble('viewer'), receivedAtUs)).toEqual([ourPreamble])
  return after.flatMap((c) => t.receive(Buffer.from(c), receivedAtUs))
}

/** Heard, with a PONG reply decoded so runs can be compared (its departure time t3 is taken when it is made). */
function comparable(heard: Heard[]): unknown[] {
  return heard.map((h) => {
    if (h.type !== 'reply') return h
    const [pong] = heardByViewer(h.message)
    return pong?.type === 'pong' ? { type: 'reply', id: pong.id, t1: pong.t1, t2: pong.t2 } : h
  })
}

describe('native framing: what goes on the wire', () => {
  it('greets nobody before it is spoken to, answers a preamble with its own, and describes the stream with INFO', () => {
    expect(nativeFraming.greeting()).toBeNull()
    expect(talk([encodePreamble('viewer')])).toEqual([ourPreamble])
    expect(heardByViewer(nativeFraming.describe(info))).toEqual([{ type: 'info', ...info }])
  })

  it('owes a refused connection its preamble once, so a viewer can read the ERROR behind it', () => {
    const early = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES })
    expect(early.beforeRefusal()).toEqual(encodePreamble('broadcaster'))
    expect(early.beforeRefusal()).toBeNull()
    const answered = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES })
    answered.receive(encodePreamble('viewer'), 0)
    expect(answered.beforeRefusal()).toBeNull()
  })

  it('puts a FRAME header with sequence number, capture time and quality before each payload', () => {
    const payload = Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3])
    const head = nativeFraming.frameHead(7, 123_456, payload.length, 45)
    expect(head).toEqual(encodeFrame(7, 123_456, payload, { quality: 45 })[0])
    const [frame] = heardByViewer(head, payload)
    expect(frame).toMatchObject({ type: 'frame', seq: 7, capturedAtUs: 123_456, quality: 45, keyframe: true })
    expect(frame?.type === 'frame' && Buffer.from(frame.payload).equals(payload)).toBe(true)
    expect(head.length + payload.length).toBe(frameWireBytes(payload.length))
  })

  it('says BYE with the reason on close and ERROR with the code on a refusal', () => {
    expect(heardByViewer(nativeFraming.goodbye('shutdown'))).toEqual([{ type: 'bye', reason: 'shutdown', text: '' }])
    expect(heardByViewer(nativeFraming.refusal('SERVER_FULL', 'full'))).toEqual([{ type: 'error', code: 'SERVER_FULL', text: 'full' }])
  })

  it('carries payloads of the message limit less the FRAME prefix, waits for a handshake and keeps the idle limit', () => {
    expect(nativeFraming.maxPayloadBytes(1_000)).toBe(1_000 - FRAME_PREFIX_BYTES)
    expect(nativeFraming.defaultMaxMessageBytes).toBe(8 * 1024 * 1024)
    expect(nativeFraming.handshake).toBe(true)
    expect(nativeFraming.idleTimeout).toBe(true)
    expect(nativeFraming.convert).toBeUndefined()
  })
})

describe('native framing: what a viewer says', () => {
  it('hears HELLO as hello with the device name, a PING as a PONG reply, ACK and KEYFRAME_REQUEST as such, and BYE or ERROR as leaving', () => {
    const t1 = nowUs()
    const bytes = Buffer.concat([
      encodeHello('Kitchen tablet'),
      encodePing(42, t1),
      encodeMessage({ type: 'ack', seq: 9, spanUs: 1_500 }),
      encodeMessage({ type: 'keyframeRequest', lastSeq: 8 }),
      Buffer.from([0x7f, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]), // an unknown type, skipped
      encodeMessage({ type: 'error', code: 'PEER_LOST', text: 'gone' })
    ])
    const heard = greeted([bytes], 5_000)
    expect(heard.map((h) => h.type)).toEqual(['hello', 'reply', 'ack', 'keyframeRequest', 'leaving'])
    expect(heard[0]).toEqual({ type: 'hello', name: 'Kitchen tablet' })
    expect(comparable(heard)[1]).toEqual({ type: 'reply', id: 42, t1, t2: 5_000 })
    expect(heard[2]).toEqual({ type: 'ack', seq: 9, spanUs: 1_500 })
    expect(heard[3]).toEqual({ type: 'keyframeRequest', lastSeq: 8 })
    expect(heard[4]).toEqual({ type: 'leaving', code: 'PEER_LOST', reason: 'the viewer reported: gone' })
    expect(greeted([encodeMessage({ type: 'bye', reason: 'stopped', text: '' })])[0]).toEqual({
      type: 'leaving',
      code: null,
      reason: 'the viewer left (stopped)'
    })
  })

  it('faults a viewer that talks before it has read our preamble, or introduces itself twice', () => {
    expect(talk([Buffer.concat([encodePreamble('viewer'), encodeHello('eager')])])).toEqual([
      ourPreamble,
      expect.objectContaining({ type: 'fault', code: 'UNEXPECTED_MESSAGE' })
    ])
    expect(greeted([encodeHello('a'), encodeHello('b')]).at(-1)).toMatchObject({ type: 'fault', code: 'UNEXPECTED_MESSAGE' })
  })

  it(`answers at most ${MAX_PINGS_PER_SECOND} PINGs a second`, () => {
    const pings = Array.from({ length: 100 }, (_, i) => encodePing(i, 0))
    const heard = greeted(pings)
    expect(heard.filter((h) => h.type === 'reply')).toHaveLength(MAX_PINGS_PER_SECOND)
  })

  it('faults a viewer that sends a FRAME with UNEXPECTED_MESSAGE, and reads nothing after a fault', () => {
    const [head, payload] = encodeFrame(0, 0, Buffer.from([0xff, 0xd8, 0xff]))
    const t = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES })
    t.receive(encodePreamble('viewer'), 0)
    const heard = t.receive(Buffer.concat([encodeHello(''), head, payload, encodePing(1, 0)]), 0)
    expect(heard).toEqual([{ type: 'hello', name: '' }, { type: 'fault', code: 'UNEXPECTED_MESSAGE', message: 'a viewer may not send FRAME' }])
    expect(t.receive(encodePing(2, 0), 0)).toEqual([])
  })

  it('faults a message larger than 64 KiB at its header, and an HTTP request at its first bytes', () => {
    expect(greeted([Buffer.from([0x7f, 0, 0, 0, 0x00, 0x01, 0x00, 0x01])]).at(-1)).toMatchObject({
      type: 'fault',
      code: 'MESSAGE_TOO_LARGE'
    })
    expect(talk([Buffer.from('GET / HTTP/1.1\r\n\r\n')])).toEqual([expect.objectContaining({ type: 'fault', code: 'BAD_MAGIC' })])
  })

  it('hears the same from a valid conversation however it is chunked', () => {
    const message = fc.oneof(
      fc.record({ id: fc.integer({ min: 0, max: 0xffffffff }), t1: fc.maxSafeNat() }).map(({ id, t1 }) => encodePing(id, t1)),
      fc.uint8Array({ maxLength: 300 }).map((body) => {
        const header = Buffer.from([0x40, 0, 0, 0, 0, 0, 0, 0])
        header.writeUInt32BE(body.length, 4)
        return Buffer.concat([header, body])
      })
    )
    fc.assert(
      fc.property(fc.array(message, { maxLength: MAX_PINGS_PER_SECOND }), fc.boolean(), chunkings(), (messages, bye, chunked) => {
        const tail = bye ? [encodeMessage({ type: 'bye', reason: 'stopped', text: '' })] : []
        const bytes = Buffer.concat([encodeHello('v'), ...messages, ...tail])
        expect(comparable(greeted(chunked(bytes)))).toEqual(comparable(greeted([bytes])))
        expect(talk(chunked(encodePreamble('viewer')))).toEqual([ourPreamble])
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws on corrupted input, and ends in at most one typed fault, last', () => {
    const codes = new Set(Object.keys(ErrorCodes))
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 10 }),
        fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.uint8Array({ maxLength: 200 }),
        chunkings(),
        (ids, mutations, garbage, chunked) => {
          // The preamble is answered first (a corrupted one faults at once, see above); then anything may follow.
          const bytes = Buffer.concat([encodeHello('v'), ...ids.map((id) => encodePing(id, 0)), garbage])
          for (const [at, value] of mutations) bytes[Math.floor(at * bytes.length)] = value
          let heard: Heard[] = []
          expect(() => (heard = greeted(chunked(bytes)))).not.toThrow()
          const faults = heard.filter((h) => h.type === 'fault')
          expect(faults.length).toBeLessThanOrEqual(1)
          if (faults.length === 1) {
            expect(heard.at(-1)).toBe(faults[0])
            expect(codes.has(faults[0]!.code)).toBe(true)
          }
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })
})
