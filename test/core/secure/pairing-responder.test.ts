// The broadcaster's side of a private conversation, driven through the native framing without sockets: what it does
// with a device it paired with, one it blocked and one it does not know; and that no input, however chunked or
// corrupted, admits a device that did not prove the code.

import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Decoder, encodeHello, encodeMessage, encodePakeConfirm, encodePakeShare, encodePing, encodePreamble } from '../../../src/core/codec/codec'
import type { Heard } from '../../../src/core/fanout/framing'
import { nativeFraming } from '../../../src/core/fanout/native-framing'
import type { PrivateAccess } from '../../../src/core/secure/access'
import type { DeviceStore } from '../../../src/core/secure/device-store'
import { CpaceParty } from '../../../src/core/secure/cpace'
import { PairingCodes } from '../../../src/core/secure/pairing-code'
import { confirmationTag, cpaceInputs } from '../../../src/core/secure/pairing'
import type { TlsSession } from '../../../src/core/secure/tls'
import { DEFAULT_MAX_MESSAGE_BYTES, type Message, PreambleFlag } from '../../../src/shared/protocol'
import { chunkings } from '../../support/chunks'
import { expectAtMostOneFaultLast } from '../../support/heard'
import { NUM_RUNS } from '../../support/runs'
import { removeTempStores, tempStore } from '../../support/secure'

let store: DeviceStore
let codes: PairingCodes
let access: PrivateAccess
const VIEWER = 'b'.repeat(64)
const PAIRED = 'c'.repeat(64)
const BLOCKED = 'd'.repeat(64)
const exporter = new Uint8Array(32).fill(7)

beforeAll(async () => {
  store = await tempStore()
  codes = new PairingCodes()
  access = { mode: 'private', store, codes }
  await store.remember('viewer', PAIRED, 'paired one')
  await store.setBlocked(BLOCKED, true, 'blocked one')
})
afterAll(async () => {
  codes.close()
  await removeTempStores()
})

/** A talk past its preamble and TLS, as `fingerprint`; returns it and what it heard so far. */
function securedTalk(fingerprint: string, address = '192.0.2.9') {
  const talk = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, access, address })
  const first = talk.receive(encodePreamble('viewer', PreambleFlag.tls), 0)
  const session: TlsSession = { ownFingerprint: store.fingerprint, peerFingerprint: fingerprint, exporter }
  return { talk, first, secured: talk.secured!(session) }
}

const replies = (heard: Heard[]): Message[] =>
  heard.flatMap((h) => (h.type === 'reply' ? new Decoder({ preamble: false }).push(h.message) : []))

describe('the broadcaster side of a private conversation', () => {
  it('answers a TLS preamble with its own and TLS, and refuses a viewer without TLS', () => {
    const { first, secured } = securedTalk(VIEWER)
    expect(first).toEqual([{ type: 'startTls', preamble: encodePreamble('broadcaster', PreambleFlag.tls) }])
    expect(secured).toEqual([])
    const clear = nativeFraming.listen({ maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES, access })
    expect(clear.receive(encodePreamble('viewer'), 0)).toMatchObject([{ type: 'fault', code: 'UNSUPPORTED_TRANSPORT' }])
  })

  it('admits a paired device on HELLO, refuses a blocked one, and asks an unknown one for the code', () => {
    expect(securedTalk(PAIRED).talk.receive(encodeHello('laptop'), 0)).toEqual([{ type: 'hello', name: 'laptop', fingerprint: PAIRED }])
    expect(securedTalk(BLOCKED).talk.receive(encodeHello('x'), 0)).toMatchObject([{ type: 'fault', code: 'BLOCKED' }])
    const unknown = securedTalk(VIEWER).talk.receive(encodeHello('tablet'), 0)
    expect(unknown[0]).toEqual({ type: 'pairing', name: 'tablet', fingerprint: VIEWER })
    expect(replies(unknown)).toEqual([{ type: 'pairRequest' }])
  })

  it('admits an unknown device that proves the code, and remembers it', () => {
    const { talk } = securedTalk(VIEWER, '192.0.2.10')
    talk.receive(encodeHello('tablet'), 0)
    const party = new CpaceParty(cpaceInputs(codes.state.code, store.fingerprint, VIEWER, exporter), 'initiator')
    const answer = talk.receive(encodePakeShare(party.share), 0)
    const [yb, tb] = replies(answer) as [Extract<Message, { type: 'pakeShare' }>, Extract<Message, { type: 'pakeConfirm' }>]
    const isk = party.finish(yb.element)!
    expect(Buffer.from(tb.tag).equals(Buffer.from(confirmationTag(isk, 'broadcaster', party.share)))).toBe(true)
    expect(talk.receive(encodePakeConfirm(confirmationTag(isk, 'viewer', yb.element)), 0)).toEqual([{ type: 'hello', name: 'tablet', fingerprint: VIEWER }])
    expect(store.isPairedViewer(VIEWER)).toBe(true)
  })

  it('never admits an unknown device on arbitrary, chunked or corrupted input, and faults at most once, last', () => {
    const stranger = 'e'.repeat(64)
    const piece = fc.oneof(
      fc.string({ maxLength: 10 }).map((n) => encodeHello(n)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((e) => encodePakeShare(e)),
      fc.uint8Array({ minLength: 32, maxLength: 32 }).map((t) => encodePakeConfirm(t)),
      fc.integer({ min: 0, max: 0xffff }).map((id) => encodePing(id, 0)),
      fc.constant(encodeMessage({ type: 'pairRequest' })),
      fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b))
    )
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }), chunkings(), (pieces, flips, chunked) => {
        const bytes = Buffer.concat([encodeHello('x'), ...pieces])
        for (const [at, value] of flips) bytes[at % bytes.length] = value
        const { talk } = securedTalk(stranger, `198.51.100.${pieces.length}`)
        let heard: Heard[] = []
        expect(() => {
          for (const c of chunked(bytes)) heard = heard.concat(talk.receive(Buffer.from(c), 0))
        }).not.toThrow()
        expect(heard.some((h) => h.type === 'hello')).toBe(false)
        expectAtMostOneFaultLast(heard)
      }),
      { numRuns: NUM_RUNS }
    )
    expect(store.isPairedViewer(stranger)).toBe(false)
  })
})
