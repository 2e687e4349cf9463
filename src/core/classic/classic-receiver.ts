// The receiving half of the classic OpenCV-script format: length-prefixed messages, each a pickled numpy image or a
// JPEG, turned into JPEG frames for the viewer. Pickles are read by the restricted reader (never by anything that
// runs code) and encoded to JPEG off the main thread; while one encode runs, only the newest waiting image is kept.

import { NewestSlot } from '../../shared/newest'
import { DEFAULT_MAX_MESSAGE_BYTES, nowUs } from '../../shared/protocol'
import { FramecastError } from '../errors'
import { bgrToJpeg, DEFAULT_JPEG_QUALITY, jpegSize } from '../jpeg/jpeg'
import { ClassicDecoder, classifyPayload, type ClassicPayloadKind } from './framing'
import { type NdarrayImage, readNdarrayPickle } from './pickle'

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
  maxMessageBytes?: number
  /** Quality of the JPEG made from pickled pixels. */
  jpegQuality?: number
  onFrame: (frame: ClassicFrame) => void
  /** A message could not be used; the stream should end. Called at most once. */
  onError: (error: FramecastError) => void
}

type Waiting = { kind: 'pickle'; image: NdarrayImage; receivedAtUs: number } | { kind: 'jpeg'; jpeg: Uint8Array; receivedAtUs: number }

/**
 * Receives a classic stream: push() the bytes as they arrive, get JPEG frames through `onFrame` and at most one fault
 * through `onError`. JPEG payloads are handed on as they are (a view of the pushed bytes, synchronously); pickled images
 * are encoded to JPEG one at a time, and while an encode runs only the newest pickle waits (a `NewestSlot`).
 */
export class ClassicReceiver {
  private readonly decoder: ClassicDecoder
  private readonly maxMessageBytes: number
  private readonly quality: number
  /** The message that waits while an encode runs; a newer one replaces it. */
  private readonly waiting = new NewestSlot<Waiting>()
  private busy = false
  private failed = false
  private closed = false

  constructor(private readonly options: ClassicReceiverOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.decoder = new ClassicDecoder({ maxMessageBytes: this.maxMessageBytes })
    this.quality = options.jpegQuality ?? DEFAULT_JPEG_QUALITY
  }

  /** Images skipped because a newer one arrived while an earlier one was being encoded to JPEG. */
  get skippedWhileEncoding(): number {
    return this.waiting.replaced
  }

  /** The next bytes of the stream, any chunking. Faults go to `onError` (never thrown). */
  push(chunk: Uint8Array): void {
    if (this.failed || this.closed) return
    const receivedAtUs = nowUs()
    for (const payload of this.decoder.push(chunk)) {
      const item = this.parse(payload, receivedAtUs)
      if (item instanceof FramecastError) return this.fail(item)
      this.enqueue(item)
    }
    if (this.decoder.error) this.fail(this.decoder.error)
  }

  /** The stream ended: TRUNCATED if it stopped inside a message. */
  end(): FramecastError | undefined {
    return this.decoder.end()
  }

  /** Stop delivering frames (encodes in flight finish silently). */
  close(): void {
    this.closed = true
    this.waiting.clear()
  }

  private parse(payload: Uint8Array, receivedAtUs: number): Waiting | FramecastError {
    const kind = classifyPayload(payload)
    try {
      if (kind === 'pickle') return { kind, image: readNdarrayPickle(payload, { maxBytes: this.maxMessageBytes }), receivedAtUs }
    } catch (e) {
      return e instanceof FramecastError ? e : new FramecastError('INTERNAL', String(e))
    }
    if (kind === 'jpeg') return { kind, jpeg: payload, receivedAtUs }
    return new FramecastError('UNSUPPORTED_PICKLE', `A classic message of ${payload.length} bytes is neither a pickle nor a JPEG`)
  }

  private enqueue(item: Waiting): void {
    if (!this.busy && item.kind === 'jpeg') return this.deliverJpeg(item.jpeg, item.receivedAtUs)
    if (this.busy) {
      this.waiting.offer(item)
      return
    }
    this.encode(item)
  }

  private deliverJpeg(jpeg: Uint8Array, receivedAtUs: number): void {
    const size = jpegSize(jpeg)
    if (size === undefined) return this.fail(new FramecastError('MALFORMED_MESSAGE', 'A classic JPEG frame has no readable size'))
    this.options.onFrame({ jpeg, ...size, kind: 'jpeg', receivedAtUs })
  }

  private encode(item: Waiting): void {
    if (item.kind === 'jpeg') return this.deliverJpeg(item.jpeg, item.receivedAtUs)
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
    this.waiting.clear()
    this.options.onError(error)
  }
}
