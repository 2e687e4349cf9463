// The Framecast stream of one connection, seen from the viewer (docs/protocol.md): the preamble on connect, HELLO
// once the broadcaster's preamble has answered it, PINGs whose PONGs feed the clock offset, INFO describing the stream,
// FRAMEs with their latency and sequence gaps, each acknowledged as soon as it is read whole, and BYE or ERROR ending
// it. Decoder faults are answered with an ERROR on the wire and reported in words.

import { type ErrorCode, type Message, nowUs } from '../../shared/protocol'
import type { ClockOffset } from '../../shared/stats'
import { Decoder, encodeAck, encodeError, encodeHello, encodePing, encodePreamble } from '../codec/codec'
import { FramecastError } from '../errors'
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
  readonly greeting: Uint8Array = encodePreamble('viewer')
  readonly pings = true
  readonly silence = 'never introduced itself as a Framecast broadcaster'

  private readonly decoder: Decoder
  private readonly first: FirstBytes
  private readonly clock: ClockOffset
  /** INFO has arrived on this connection. */
  private informed = false
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
    this.decoder = new Decoder({ expectRole: 'broadcaster', maxMessageBytes: options.maxMessageBytes })
    this.first = new FirstBytes(options.maxMessageBytes)
    this.clock = options.clock
    this.deviceName = options.deviceName
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    this.first.add(chunk)
    const receivedAtUs = nowUs()
    // A message that began in an earlier chunk began when that chunk arrived; one that begins here, now.
    const startedUs = this.decoder.bufferedBytes > 0 && this.messageStartUs !== null ? this.messageStartUs : receivedAtUs
    const messages = this.decoder.push(chunk)
    if (messages.length > 0) this.sink.heard()
    for (const m of messages) {
      if (this.done) return
      this.handle(m, receivedAtUs, m === messages[0] ? startedUs : receivedAtUs)
    }
    this.messageStartUs = this.decoder.bufferedBytes > 0 ? (messages.length > 0 ? receivedAtUs : startedUs) : null
    const err = this.decoder.error
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

  close(): void {
    this.done = true
  }

  private handle(m: Message, receivedAtUs: number, startedUs: number): void {
    const where = this.sink.where
    switch (m.type) {
      case 'preamble':
        // Open mode: introduce this device and read on in the clear (a refusal may follow the preamble at once).
        this.sink.send(encodeHello(this.deviceName))
        this.introduced = true
        if (this.deferredPing !== null) this.ping(this.deferredPing)
        return
      case 'unknown':
        return
      case 'info': {
        const { type: _type, ...info } = m
        this.informed = true
        this.sink.described(info)
        return
      }
      case 'frame': {
        if (!this.informed) {
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
        const best = this.clock.best()
        const latencyMs = best === null ? null : Math.max(0, (receivedAtUs + best.offsetUs - m.capturedAtUs) / 1000)
        this.sink.frame({ seq: m.seq, capturedAtUs: m.capturedAtUs, receivedAtUs, latencyMs, quality: m.quality, payload: m.payload })
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
              : new FramecastError('PEER_LOST', `The broadcaster at ${where} stopped${m.text ? `: ${m.text}` : ''}`)
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
    }
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
