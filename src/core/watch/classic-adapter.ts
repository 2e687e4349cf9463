// The classic OpenCV-script stream of one connection, seen from the viewer (docs/protocol.md, "The classic format"):
// nothing is written and nothing pinged; length-prefixed pickles or JPEGs become JPEG frames through ClassicReceiver.
// There is no stream description on the wire, so the first frame (and each change of size) describes it; frames carry
// no capture time, so latency is unknown.

import { type ClassicPrefixChoice, PREFIX_LAYOUTS } from '../../shared/classic'
import type { StreamInfo } from '../../shared/protocol'
import { type ClassicFrame, ClassicReceiver } from '../classic/classic-receiver'
import { encodePreamble } from '../codec/codec'
import { FramecastError } from '../errors'
import { FirstBytes } from './first-bytes'
import type { StreamAdapter, StreamSink } from './stream-adapter'

/** How a classic stream is read: its length prefix and its size limit. */
export interface ClassicReading {
  /** The sender's length prefix, or 'auto' to tell it from the first messages. Default 'auto'. */
  prefix?: ClassicPrefixChoice
  /** Largest message accepted, bytes; checked at each length prefix before buffering. */
  maxMessageBytes: number
}

export interface ClassicAdapterOptions extends ClassicReading {
  /** The next arrival number for a frame (classic frames carry none); the lifecycle keeps counting across connections. */
  nextSeq: () => number
}

/**
 * Adapter for a classic OpenCV sender. Greets with the Framecast viewer preamble (a classic sender never reads it, and
 * a Framecast broadcaster, which speaks only once spoken to, answers it and is named) and never pings; any bytes count
 * as hearing from the peer, and the sender has introduced itself once its length prefix is known (told from its first
 * message, or the chosen one checked there), so a large first frame may take longer than the handshake deadline;
 * frames are numbered in arrival order with receipt time as capture time and latency null, and the stream is named
 * with the prefix found. Pickles skipped while an earlier one was being encoded are reported as such. A Framecast
 * broadcaster met here fails with BAD_MAGIC and a sentence saying what it is; faults of the receiver
 * (BAD_LENGTH_PREFIX, UNSUPPORTED_PICKLE, MESSAGE_TOO_LARGE, …) end the stream.
 */
export class ClassicAdapter implements StreamAdapter {
  readonly format = 'classic'
  readonly greeting: Uint8Array = encodePreamble('viewer')
  readonly pings = false
  readonly silence = 'sent no frame'

  private readonly receiver: ClassicReceiver
  private readonly first: FirstBytes
  private readonly nextSeq: () => number
  /** What the last frame described, to tell the lifecycle only when the size changes. */
  private info: StreamInfo | null = null
  /** The receiver's skippedWhileEncoding already reported. */
  private skippedReported = 0
  private done = false

  constructor(
    private readonly sink: StreamSink,
    options: ClassicAdapterOptions
  ) {
    this.nextSeq = options.nextSeq
    this.first = new FirstBytes()
    this.receiver = new ClassicReceiver({
      maxMessageBytes: options.maxMessageBytes,
      prefix: options.prefix ?? 'auto',
      onRecognised: () => {
        if (!this.done) this.sink.introduced()
      },
      onFrame: (f) => this.deliver(f),
      onError: (e) => this.fail(e)
    })
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    // A Framecast broadcaster announces itself at once; say so instead of failing on its preamble.
    if (this.first.add(chunk) && this.first.verdict() === 'native') {
      this.fail(new FramecastError('BAD_MAGIC', `${this.sink.where} is a Framecast broadcaster, not a classic OpenCV sender; watch it in Framecast or Auto mode`))
      return
    }
    this.sink.heard()
    this.receiver.push(chunk)
  }

  ping(): void {}

  end(): FramecastError | undefined {
    return this.receiver.end()
  }

  close(): void {
    this.done = true
    this.receiver.close()
  }

  private deliver(f: ClassicFrame): void {
    if (this.done) return
    if (this.info === null || this.info.width !== f.width || this.info.height !== f.height) {
      const prefix = this.receiver.prefix
      const struct = prefix === null ? '' : ` (prefix "${PREFIX_LAYOUTS[prefix].struct[0]}")`
      this.info = { codec: 'jpeg', width: f.width, height: f.height, fps: 0, name: `Classic sender at ${this.sink.where}${struct}` }
      this.sink.described(this.info)
    }
    const skipped = this.receiver.skippedWhileEncoding - this.skippedReported
    if (skipped > 0) {
      this.skippedReported += skipped
      this.sink.skippedWhileEncoding(skipped)
    }
    this.sink.frame({ seq: this.nextSeq(), capturedAtUs: f.receivedAtUs, receivedAtUs: f.receivedAtUs, latencyMs: null, quality: 0, codec: 'jpeg', keyframe: true, payload: f.jpeg })
  }

  private fail(err: FramecastError): void {
    if (this.done) return
    this.done = true
    this.receiver.close()
    this.sink.fail(err)
  }
}
