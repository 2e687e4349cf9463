// The receiving half of the classic OpenCV-script format: length-prefixed messages, each a pickled numpy image, a
// pickled JPEG or a JPEG, turned into JPEG frames for the viewer. The length prefix is told from the first messages
// (or the one chosen is checked there) before anything is decoded. Pickles are read by the restricted reader (never by
// anything that runs code); pickled pixels are encoded to JPEG off the main thread, and while one encode runs, only
// the newest waiting image is kept.

import { type ClassicPrefix, type ClassicPrefixChoice, messageLimit } from '../../shared/classic'
import { NewestSlot } from '../../shared/newest'
import { nowUs } from '../../shared/protocol'
import { FramecastError } from '../errors'
import { bgrToJpeg, DEFAULT_JPEG_QUALITY, jpegSize } from '../jpeg/jpeg'
import { ClassicDecoder, classifyPayload, type ClassicPayloadKind } from './framing'
import { type NdarrayImage, readClassicPickle } from './pickle'
import { PrefixDetector } from './prefix'

export interface ClassicFrame {
  /** JPEG bytes, whichever payload the sender used. */
  jpeg: Uint8Array
  width: number
  height: number
  kind: ClassicPayloadKind
  /** When the message was read from the socket (µs since the epoch, this machine's clock). */
  receivedAtUs: number
}

export interface ClassicReceiverOptions {
  /** Largest message accepted, bytes, checked at each length prefix. Default 32 MiB (messageLimit('classic')). */
  maxMessageBytes?: number
  /** The sender's length prefix, or 'auto' (default) to tell it from the first messages. */
  prefix?: ClassicPrefixChoice
  /** Quality of the JPEG made from pickled pixels. */
  jpegQuality?: number
  /** The length prefix is known: the stream is a classic one (called once, before any frame). */
  onRecognised?: (prefix: ClassicPrefix) => void
  onFrame: (frame: ClassicFrame) => void
  /** A message could not be used; the stream should end. Called at most once. */
  onError: (error: FramecastError) => void
}

/** A message read and waiting to be shown: pixels to encode, or a JPEG (`from`: the payload it came in). */
type Waiting = { kind: 'pixels'; image: NdarrayImage; receivedAtUs: number } | { kind: 'jpeg'; jpeg: Uint8Array; from: ClassicPayloadKind; receivedAtUs: number }

/**
 * Receives a classic stream: push() the bytes as they arrive, get JPEG frames through `onFrame` and at most one fault
 * through `onError`. Until the length prefix is known (PrefixDetector) the bytes are held; then they are decoded.
 * JPEGs — sent as they are or pickled — are handed on as they are (a view of the pushed bytes, synchronously);
 * pickled images are encoded to JPEG one at a time, and while an encode runs only the newest pickle waits (a
 * `NewestSlot`). Faults: BAD_LENGTH_PREFIX (the first messages fit no prefix, or another than the one chosen),
 * MESSAGE_TOO_LARGE, UNSUPPORTED_PICKLE, MALFORMED_MESSAGE (a JPEG without a readable size).
 */
export class ClassicReceiver {
  private detector: PrefixDetector | null
  private decoder: ClassicDecoder | null = null
  private readonly maxMessageBytes: number
  private readonly quality: number
  /** The message that waits while an encode runs; a newer one replaces it. */
  private readonly waiting = new NewestSlot<Waiting>()
  private busy = false
  private failed = false
  private failure: FramecastError | null = null
  private closed = false

  constructor(private readonly options: ClassicReceiverOptions) {
    this.maxMessageBytes = messageLimit('classic', options.maxMessageBytes)
    this.detector = new PrefixDetector({ choice: options.prefix ?? 'auto', maxMessageBytes: this.maxMessageBytes })
    this.quality = options.jpegQuality ?? DEFAULT_JPEG_QUALITY
  }

  /** The sender's length prefix once it is known (told or checked on the first messages); null before. */
  get prefix(): ClassicPrefix | null {
    return this.decoder?.prefix ?? null
  }

  /** Images skipped because a newer one arrived while an earlier one was being encoded to JPEG. */
  get skippedWhileEncoding(): number {
    return this.waiting.replaced
  }

  /** The next bytes of the stream, any chunking. Faults go to `onError` (never thrown). */
  push(chunk: Uint8Array): void {
    if (this.failed || this.closed) return
    if (this.decoder !== null) return this.decode(chunk)
    const verdict = this.detector!.push(chunk)
    if (verdict !== undefined) this.start(verdict)
  }

  /**
   * The stream ended: TRUNCATED if it stopped inside a message (or before its prefix could be told), or the fault
   * that ended it.
   */
  end(): FramecastError | undefined {
    if (this.decoder === null && this.detector !== null && !this.failed) this.start(this.detector.end())
    if (this.failure !== null) return this.failure
    return this.decoder?.end()
  }

  /** Stop delivering frames (encodes in flight finish silently). */
  close(): void {
    this.closed = true
    this.waiting.clear()
  }

  /** The prefix is known (or cannot be): decode what was held with it, or fail. */
  private start(verdict: { prefix: ClassicPrefix } | { error: FramecastError }): void {
    const held = this.detector?.held ?? []
    this.detector = null
    if ('error' in verdict) return this.fail(verdict.error)
    this.decoder = new ClassicDecoder({ prefix: verdict.prefix, maxMessageBytes: this.maxMessageBytes })
    this.options.onRecognised?.(verdict.prefix)
    for (const c of held) this.decode(c)
  }

  private decode(chunk: Uint8Array): void {
    if (this.failed || this.closed || this.decoder === null) return
    const receivedAtUs = nowUs()
    for (const payload of this.decoder.push(chunk)) {
      const item = this.parse(payload, receivedAtUs)
      if (item instanceof FramecastError) return this.fail(item)
      this.enqueue(item)
      if (this.failed || this.closed) return
    }
    if (this.decoder.error) this.fail(this.decoder.error)
  }

  private parse(payload: Uint8Array, receivedAtUs: number): Waiting | FramecastError {
    const kind = classifyPayload(payload)
    if (kind === 'jpeg') return { kind, jpeg: payload, from: kind, receivedAtUs }
    if (kind === undefined) {
      return new FramecastError('UNSUPPORTED_PICKLE', `A classic message of ${payload.length} bytes is neither a pickle nor a JPEG`)
    }
    try {
      const picture = readClassicPickle(payload, { maxBytes: this.maxMessageBytes })
      return picture.kind === 'jpeg'
        ? { kind: 'jpeg', jpeg: picture.jpeg, from: 'pickle', receivedAtUs }
        : { kind: 'pixels', image: picture.image, receivedAtUs }
    } catch (e) {
      return e instanceof FramecastError ? e : new FramecastError('INTERNAL', String(e))
    }
  }

  private enqueue(item: Waiting): void {
    if (!this.busy && item.kind === 'jpeg') return this.deliverJpeg(item.jpeg, item.from, item.receivedAtUs)
    if (this.busy) {
      this.waiting.offer(item)
      return
    }
    this.encode(item)
  }

  private deliverJpeg(jpeg: Uint8Array, kind: ClassicPayloadKind, receivedAtUs: number): void {
    const size = jpegSize(jpeg)
    if (size === undefined) return this.fail(new FramecastError('MALFORMED_MESSAGE', `A classic JPEG frame${kind === 'pickle' ? ' (pickled)' : ''} has no readable size`))
    this.options.onFrame({ jpeg, ...size, kind, receivedAtUs })
  }

  private encode(item: Waiting): void {
    if (item.kind === 'jpeg') return this.deliverJpeg(item.jpeg, item.from, item.receivedAtUs)
    this.busy = true
    const { image, receivedAtUs } = item
    bgrToJpeg(image, this.quality).then(
      (jpeg) => {
        this.busy = false
        if (this.closed || this.failed) return
        this.options.onFrame({ jpeg, width: image.width, height: image.height, kind: 'pickle', receivedAtUs })
        this.next()
      },
      (e: unknown) => {
        this.busy = false
        this.fail(e instanceof FramecastError ? e : new FramecastError('INTERNAL', String(e)))
      }
    )
  }

  private next(): void {
    const w = this.waiting.take()
    if (w !== undefined && !this.closed && !this.failed) this.encode(w)
  }

  private fail(error: FramecastError): void {
    if (this.failed || this.closed) return
    this.failed = true
    this.failure = error
    this.waiting.clear()
    this.options.onError(error)
  }
}
