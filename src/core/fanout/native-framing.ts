// The Framecast protocol as a fan-out framing (docs/protocol.md): the viewer's preamble answered with ours, then its
// HELLO before it becomes a viewer, INFO on joining and on every change, an 8-byte header and a 16-byte FRAME prefix
// before each payload, a PONG for each PING (at most MAX_PINGS_PER_SECOND), ACKs and keyframe requests handed to the
// fan-out, BYE on an orderly close, ERROR before a refusal, and the idle cut-off for a viewer that stops pinging.

import {
  DEFAULT_MAX_MESSAGE_BYTES,
  FRAME_PREFIX_BYTES,
  HEADER_BYTES,
  type Message,
  nowUs,
  PreambleFlag,
  UNKNOWN_MAX_BYTES
} from '../../shared/protocol'
import { monoMs } from '../../shared/stats'
import { STALL_TIMEOUT_MS } from './stall'
import { Decoder, encodeBye, encodeError, encodeFrameHead, encodeInfo, encodePong, encodePreamble } from '../codec/codec'
import { type Access, OPEN_ACCESS } from '../secure/access'
import { PairingResponder } from '../secure/pairing-responder'
import type { TlsSession } from '../secure/tls'
import type { Framing, Heard, ViewerTalk } from './framing'

/** PINGs answered per viewer per second; more are ignored, so a PING flood cannot pile PONGs into our memory. */
export const MAX_PINGS_PER_SECOND = 20

/** Bytes a FRAME with a payload of `payloadLength` bytes occupies on the wire (header and prefix included). */
export function frameWireBytes(payloadLength: number): number {
  return HEADER_BYTES + FRAME_PREFIX_BYTES + payloadLength
}

/**
 * One viewer's side of a native conversation: decodes what it sends (preamble, HELLO, PING, ACK, KEYFRAME_REQUEST,
 * BYE, ERROR; messages limited to 64 KiB or the message limit, whichever is smaller), answers its preamble with ours
 * and rate-limits the PONGs it is owed. The viewer may send nothing between its preamble and reading ours.
 */
class NativeViewerTalk implements ViewerTalk {
  private decoder: Decoder
  private readonly maxMessageBytes: number
  private pingWindowStart = monoMs()
  private pingsInWindow = 0
  /** A fault was reported: the conversation is over and nothing more is read. */
  private faulted = false
  /** Private mode: HELLO and the pairing, after TLS; null in open mode. */
  private readonly pairing: PairingResponder | null

  constructor(maxMessageBytes: number, access: Access, address: string) {
    this.maxMessageBytes = Math.min(maxMessageBytes, UNKNOWN_MAX_BYTES)
    this.decoder = new Decoder({ expectRole: 'viewer', maxMessageBytes: this.maxMessageBytes, pauseAfterPreamble: true })
    this.pairing = access.mode === 'private' ? new PairingResponder(access, address) : null
  }

  /** HELLO has been heard: the viewer is introduced. */
  private introduced = false
  /** Our preamble has gone out. */
  private answered = false

  beforeRefusal(): Buffer | null {
    // A refusal reaches a Framecast viewer only behind a preamble it can read; to anything else it costs 8 bytes.
    if (this.answered) return null
    this.answered = true
    return encodePreamble('broadcaster')
  }

  receive(chunk: Buffer, receivedAtUs: number): Heard[] {
    const heard: Heard[] = []
    if (this.faulted) return heard
    // The decoder of the clear stream, even if its preamble turns the connection into TLS below.
    const decoder = this.decoder
    for (const m of decoder.push(chunk)) {
      for (const h of this.interpret(m, receivedAtUs)) heard.push(h)
      if (heard.at(-1)?.type === 'fault') break
    }
    const err = decoder.error
    if (err && heard.at(-1)?.type !== 'fault') heard.push({ type: 'fault', code: err.code, message: err.message })
    this.faulted = heard.at(-1)?.type === 'fault'
    return heard
  }

  secured(session: TlsSession | null): Heard[] {
    if (this.pairing === null || session === null) {
      this.faulted = true
      return [{ type: 'fault', code: 'UNSUPPORTED_TRANSPORT', message: 'the viewer did not present a certificate over TLS 1.3' }]
    }
    this.pairing.session = session
    return []
  }

  private interpret(m: Message, receivedAtUs: number): Heard[] {
    const h = this.interpretOne(m, receivedAtUs)
    return h === null ? [] : Array.isArray(h) ? h : [h]
  }

  private interpretOne(m: Message, receivedAtUs: number): Heard | Heard[] | null {
    switch (m.type) {
      case 'preamble':
        this.answered = true
        if (this.pairing === null) {
          // Open mode: answer, then read on in the clear, whatever the viewer's tls flag says.
          this.decoder.resume()
          return { type: 'reply', message: encodePreamble('broadcaster') }
        }
        if ((m.flags & PreambleFlag.tls) === 0) {
          this.answered = false
          return { type: 'fault', code: 'UNSUPPORTED_TRANSPORT', message: 'This broadcaster only streams encrypted' }
        }
        // Private mode: what follows is TLS; its plaintext starts with a message header.
        this.decoder = new Decoder({ maxMessageBytes: this.maxMessageBytes, preamble: false })
        return { type: 'startTls', preamble: encodePreamble('broadcaster', PreambleFlag.tls) }
      case 'hello':
        if (this.introduced) return { type: 'fault', code: 'UNEXPECTED_MESSAGE', message: 'a viewer introduces itself once' }
        this.introduced = true
        return this.pairing === null ? { type: 'hello', name: m.name } : this.pairing.hello(m.name)
      case 'pakeShare':
        return this.pairing === null ? unexpected(m.type) : this.pairing.share(m.element)
      case 'pakeConfirm':
        return this.pairing === null ? unexpected(m.type) : this.pairing.confirm(m.tag)
      case 'ack':
        return { type: 'ack', seq: m.seq, spanUs: m.spanUs }
      case 'keyframeRequest':
        return { type: 'keyframeRequest', lastSeq: m.lastSeq }
      case 'ping': {
        const now = monoMs()
        if (now - this.pingWindowStart >= 1_000) {
          this.pingWindowStart = now
          this.pingsInWindow = 0
        }
        if (++this.pingsInWindow > MAX_PINGS_PER_SECOND) return null
        // t3 is taken now: the Broadcaster writes a reply in the same turn of the event loop it is made in.
        return { type: 'reply', message: encodePong(m.id, m.t1, receivedAtUs, nowUs()) }
      }
      case 'bye':
        return { type: 'leaving', code: null, reason: `the viewer left (${m.reason})` }
      case 'error':
        return { type: 'leaving', code: m.code === 'UNKNOWN' ? 'INTERNAL' : m.code, reason: `the viewer reported: ${m.text || m.code}` }
      case 'unknown':
        return null
      default:
        return unexpected(m.type)
    }
  }
}

function unexpected(type: Message['type']): Heard {
  return { type: 'fault', code: 'UNEXPECTED_MESSAGE', message: `a viewer may not send ${type.toUpperCase()}` }
}

/** The Framecast protocol, version 2: in the clear (open access) or over TLS with pairing (private access). */
export const nativeFraming: Framing = {
  name: 'native',
  handshake: true,
  idleTimeout: true,
  acknowledges: true,
  defaultStallTimeoutMs: STALL_TIMEOUT_MS,
  defaultMaxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  maxPayloadBytes: (maxMessageBytes) => maxMessageBytes - FRAME_PREFIX_BYTES,
  greeting: () => null,
  describe: (info) => encodeInfo(info),
  frameHead: (seq, capturedAtUs, payloadLength, traits) => encodeFrameHead(seq, capturedAtUs, payloadLength, traits),
  goodbye: (reason) => encodeBye(reason),
  refusal: (code, message) => encodeError(code, message),
  listen: ({ maxMessageBytes, access = OPEN_ACCESS, address = '' }) => new NativeViewerTalk(maxMessageBytes, access, address)
}
