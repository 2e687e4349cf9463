// The Framecast stream of one connection, seen from the viewer (docs/protocol.md): the preamble on connect (asking for
// TLS when this device has an identity), TLS and the pairing when the broadcaster is private (secure/pairing-initiator.ts),
// HELLO once the broadcaster's preamble has answered it, PINGs whose PONGs feed the clock offset, INFO describing the stream,
// FRAMEs with their latency and sequence gaps, each acknowledged as soon as it is read whole, and BYE or ERROR ending
// it. Decoder faults are answered with an ERROR on the wire and reported in words.

import { isInterCoded, KeyframeChain } from '../../shared/keyframe-chain'
import { type ErrorCode, type Message, NO_SEQ, nowUs, PreambleFlag, type StreamInfo } from '../../shared/protocol'
import { monoMs, type ClockOffset } from '../../shared/stats'
import { Decoder, encodeAck, encodeError, encodeHello, encodeKeyframeRequest, encodePing, encodePreamble } from '../codec/codec'
import { FramecastError, PeerStoppedError } from '../errors'
import { PairingInitiator, type ViewerSecurity } from '../secure/pairing-initiator'
import type { TlsSession } from '../secure/tls'
import { FirstBytes } from './first-bytes'
import type { StreamAdapter, StreamSink } from './stream-adapter'

export interface NativeAdapterOptions {
  /** Largest message accepted from the broadcaster, bytes; checked at each header before buffering. */
  maxMessageBytes: number
  /**
   * The watch's clock-offset estimate: each PONG adds a sample (NTP-style, see docs/protocol.md "Clock offset and
   * latency"), each frame's latency is read from its lowest-RTT sample. Owned by the lifecycle, which resets it per
   * connection and reports it after the connection is over.
   */
  clock: ClockOffset
  /** This device's name, sent in HELLO (cut to 64 bytes of UTF-8). */
  deviceName: string
  /** Present: ask for TLS and pair with private broadcasters; absent: a viewer that only speaks in the clear. */
  security?: ViewerSecurity
}

/** The viewer's preamble: with the tls flag when the viewer can speak TLS (it has an identity). */
export function viewerPreamble(security: ViewerSecurity | undefined): Buffer {
  return encodePreamble('viewer', security === undefined ? 0 : PreambleFlag.tls)
}

/**
 * Adapter for a Framecast broadcaster. Greets with the viewer preamble and pings; the first INFO describes the stream
 * (a FRAME before it is UNEXPECTED_MESSAGE); a jump in FRAME sequence numbers is reported as a gap; BYE ends the
 * stream as PEER_LOST, STALLED or IDLE_TIMEOUT; an ERROR from the peer keeps its code. A decoder fault (BAD_MAGIC,
 * VERSION_MISMATCH, MESSAGE_TOO_LARGE, …) is sent back as ERROR and reported with a sentence for people; BAD_MAGIC
 * from a classic OpenCV sender says so.
 */
export class NativeAdapter implements StreamAdapter {
  readonly format = 'native'
  readonly greeting: Uint8Array
  readonly pings = true
  readonly silence = 'never introduced itself as a Framecast broadcaster'

  private decoder: Decoder
  private readonly maxMessageBytes: number
  private readonly first: FirstBytes
  /** Private broadcasters: the pairing side of this connection; null for a viewer without identity. */
  private readonly pairing: PairingInitiator | null
  /** TLS was asked for and the handshake is not done yet: nothing may be sent. */
  private tlsPending = false
  private readonly clock: ClockOffset
  /** The latest INFO on this connection; null before the first. */
  private info: StreamInfo | null = null
  /** H.264: whether the next frame can be decoded (docs/protocol.md, "Keyframes and slow viewers"). */
  private chain = new KeyframeChain()
  /** The broadcaster's preamble has arrived and HELLO has gone out: this viewer may talk. */
  private introduced = false
  private deferredPing: number | null = null
  private lastSeq: number | null = null
  private done = false
  private readonly deviceName: string
  /**
   * When the first byte of the message the decoder is part-way through arrived (µs, nowUs()), or null when it holds
   * none: a FRAME's ACK reports how long its bytes took to arrive (`spanUs`, see "Delivery window").
   */
  private messageStartUs: number | null = null

  constructor(
    private readonly sink: StreamSink,
    options: NativeAdapterOptions
  ) {
    this.maxMessageBytes = options.maxMessageBytes
    this.decoder = new Decoder({ expectRole: 'broadcaster', maxMessageBytes: options.maxMessageBytes })
    this.first = new FirstBytes()
    this.clock = options.clock
    this.deviceName = options.deviceName
    this.greeting = viewerPreamble(options.security)
    this.pairing =
      options.security === undefined
        ? null
        : new PairingInitiator(options.security, {
            address: sink.where,
            send: (bytes) => sink.send(bytes),
            fail: (error) => this.fail(error),
            awaitingCode: () => sink.awaitingCode(),
            code: () => sink.code()
          }, options.deviceName)
  }

  enterCode(code: string): void {
    if (!this.done) this.pairing?.enterCode(code)
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    this.first.add(chunk)
    const receivedAtUs = nowUs()
    // A message that began in an earlier chunk began when that chunk arrived; one that begins here, now.
    const startedUs = this.decoder.bufferedBytes > 0 && this.messageStartUs !== null ? this.messageStartUs : receivedAtUs
    const decoder = this.decoder
    const messages = decoder.push(chunk)
    if (messages.length > 0) this.sink.heard()
    for (const m of messages) {
      if (this.done) return
      if (decoder !== this.decoder) {
        // The broadcaster's preamble turned the connection into TLS: nothing may follow it in the clear.
        this.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.sink.where} sent more in the clear after starting TLS`))
        return
      }
      this.handle(m, receivedAtUs, m === messages[0] ? startedUs : receivedAtUs, messages[messages.indexOf(m) + 1])
    }
    if (decoder !== this.decoder && decoder.bufferedBytes > 0) {
      this.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.sink.where} sent more in the clear after starting TLS`))
      return
    }
    this.messageStartUs = this.decoder.bufferedBytes > 0 ? (messages.length > 0 ? receivedAtUs : startedUs) : null
    const err = decoder.error
    if (err && !this.done) {
      this.sink.send(encodeError(err.code, err.message))
      this.fail(this.explain(err))
    }
  }

  ping(id: number): void {
    if (this.done) return
    // Nothing may follow our preamble before the broadcaster's has answered it: a PING asked for earlier goes out
    // right after HELLO, so the clock offset is known as soon as possible.
    if (this.introduced) this.sink.send(encodePing(id, nowUs()))
    else this.deferredPing = id
  }

  end(): FramecastError | undefined {
    return this.decoder.end()
  }

  requestKeyframe(lastSeq: number): void {
    if (this.done || this.info === null || !isInterCoded(this.info.codec)) return
    this.chain.break()
    this.askForKeyframe(lastSeq)
  }

  /** KEYFRAME_REQUEST, at most once per KEYFRAME_REQUEST_MIN_MS while the chain is broken. */
  private askForKeyframe(lastSeq: number): void {
    if (this.introduced && this.chain.shouldRequest(monoMs())) this.sink.send(encodeKeyframeRequest(lastSeq))
  }

  close(): void {
    this.done = true
  }

  /** `next`: the message decoded right after `m` from the same bytes, if any (a refusal follows its preamble at once). */
  private handle(m: Message, receivedAtUs: number, startedUs: number, next?: Message): void {
    const where = this.sink.where
    switch (m.type) {
      case 'preamble':
        if ((m.flags & PreambleFlag.tls) !== 0) return this.startTls()
        // A refusal (ERROR right behind the preamble) is reported as what it is, whoever answers.
        if (next?.type === 'error') return
        // Open broadcaster: introduce this device and read on in the clear.
        if (this.pairing !== null) {
          if (!this.pairing.clearAnswer()) return
          this.sink.security({ encrypted: false, fingerprint: null, paired: false })
        }
        this.sink.send(encodeHello(this.deviceName))
        this.introduced = true
        if (this.deferredPing !== null) this.ping(this.deferredPing)
        return
      case 'pairRequest':
        if (this.pairing === null || this.pairing.peerFingerprint === null) return this.outOfTurn(m.type)
        this.pairing.pairRequest()
        return
      case 'pakeShare':
        if (this.pairing === null) return this.outOfTurn(m.type)
        this.pairing.share(m.element)
        return
      case 'pakeConfirm':
        if (this.pairing === null) return this.outOfTurn(m.type)
        this.pairing.confirm(m.tag)
        return
      case 'unknown':
        return
      case 'info': {
        const { type: _type, ...info } = m
        if (this.info === null && this.pairing?.peerFingerprint) {
          this.pairing.informed(info.name)
          this.sink.security({ encrypted: true, fingerprint: this.pairing.peerFingerprint, paired: true })
        }
        // Another codec or other codec parameters: the decoder starts over at a keyframe.
        if (this.info !== null && (info.codec !== this.info.codec || info.params !== this.info.params)) this.chain = new KeyframeChain()
        this.info = info
        this.sink.described(info)
        return
      }
      case 'frame': {
        if (this.info === null) {
          this.fail(new FramecastError('UNEXPECTED_MESSAGE', `${where} sent a frame before describing the stream`))
          return
        }
        if (this.lastSeq !== null) {
          const gap = (m.seq - this.lastSeq - 1) >>> 0
          // A step backwards (the broadcaster restarted its count) wraps to ≥ 2^31 and is not a gap.
          if (gap > 0 && gap < 0x8000_0000) this.sink.gap(gap)
        }
        this.lastSeq = m.seq
        this.sink.send(encodeAck(m.seq, receivedAtUs - startedUs))
        const { codec } = this.info
        // Every JPEG frame stands alone, whatever its flag says; an H.264 delta needs its whole chain.
        const keyframe = isInterCoded(codec) ? m.keyframe : true
        if (!this.chain.take(keyframe, m.seq)) {
          this.askForKeyframe(this.chain.lastTakenSeq ?? NO_SEQ)
          return
        }
        const best = this.clock.best()
        const latencyMs = best === null ? null : Math.max(0, (receivedAtUs + best.offsetUs - m.capturedAtUs) / 1000)
        this.sink.frame({ seq: m.seq, capturedAtUs: m.capturedAtUs, receivedAtUs, latencyMs, quality: m.quality, codec, keyframe, payload: m.payload })
        return
      }
      case 'pong':
        this.clock.add(m.t1, m.t2, m.t3, receivedAtUs)
        return
      case 'bye': {
        const err =
          m.reason === 'stalled'
            ? new FramecastError('STALLED', `${where} cut this viewer off because it fell behind`)
            : m.reason === 'idle'
              ? new FramecastError('IDLE_TIMEOUT', `${where} closed the connection after hearing nothing from this viewer`)
              : m.reason === 'kicked'
                ? new FramecastError('KICKED', `The person broadcasting on ${where} closed this viewer`)
              : new PeerStoppedError(`The broadcaster at ${where} stopped${m.text ? `: ${m.text}` : ''}`)
        this.fail(err)
        return
      }
      case 'error': {
        const code: ErrorCode = m.code === 'UNKNOWN' ? 'INTERNAL' : m.code
        this.fail(describe(new FramecastError(code, m.text || code), where))
        return
      }
      case 'ping':
        this.fail(new FramecastError('UNEXPECTED_MESSAGE', `${where} sent a PING; only viewers do`))
        return
      default:
        return this.outOfTurn(m.type)
    }
  }

  private outOfTurn(type: Message['type']): void {
    this.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.sink.where} sent ${type.toUpperCase()}, which a viewer does not expect here`))
  }

  /** The broadcaster is private: TLS from here on, then the pairing checks its key and sends HELLO. */
  private startTls(): void {
    if (this.pairing === null) {
      this.fail(new FramecastError('UNSUPPORTED_TRANSPORT', `${this.sink.where} wants TLS, and this viewer has no device identity`))
      return
    }
    const pairing = this.pairing
    this.decoder = new Decoder({ maxMessageBytes: this.maxMessageBytes, preamble: false })
    this.tlsPending = true
    this.sink.startTls((session: TlsSession | null) => {
      if (this.done) return
      this.tlsPending = false
      pairing.secured(session)
      if (this.done) return
      this.sink.security({ encrypted: true, fingerprint: pairing.peerFingerprint, paired: pairing.known })
      this.introduced = true
      if (this.deferredPing !== null) this.ping(this.deferredPing)
    })
  }

  /** A decoder error, in words; a classic stream met here is named as such. */
  private explain(err: FramecastError): FramecastError {
    if (err.code === 'BAD_MAGIC' && this.first.verdict() === 'classic') {
      return new FramecastError('BAD_MAGIC', `${this.sink.where} sends the classic OpenCV format, not Framecast; watch it in Classic or Auto mode`)
    }
    return describe(err, this.sink.where)
  }

  private fail(err: FramecastError): void {
    if (this.done) return
    this.done = true
    this.sink.fail(err)
  }
}

/** Turn a decoder or peer error into a sentence for the person watching. */
function describe(err: FramecastError, where: string): FramecastError {
  switch (err.code) {
    case 'BAD_MAGIC':
      return new FramecastError('BAD_MAGIC', `${where} is not a Framecast broadcaster`)
    case 'VERSION_MISMATCH':
      return new FramecastError('VERSION_MISMATCH', `${where} runs a different Framecast version (${err.message})`)
    case 'BAD_ROLE':
      return new FramecastError('BAD_ROLE', `${where} speaks Framecast but is not a broadcaster`)
    case 'SERVER_FULL':
      return new FramecastError('SERVER_FULL', `${where} has all the viewers it accepts (${err.message})`)
    default:
      return err
  }
}
