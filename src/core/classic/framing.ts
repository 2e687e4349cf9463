// The classic OpenCV-script framing: each message is struct.pack("Q", n) — an unsigned 64-bit length, little-endian
// on every machine those scripts run on — followed by n bytes (a pickled numpy array or a JPEG).
//
// The decoder follows the discipline of the native codec: any chunking, the declared length checked against the limit
// at the header before anything is buffered, exactly the needed bytes consumed, one typed error on bad input.

import { DEFAULT_MAX_MESSAGE_BYTES, isJpeg, MAGIC } from '../../shared/protocol'
import { ChunkQueue } from '../codec/chunks'
import { FramecastError } from '../errors'

export const CLASSIC_HEADER_BYTES = 8

/** The 8-byte length prefix of a classic message. */
export function encodeClassicHeader(length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0) throw new FramecastError('INVALID_ARGUMENT', `bad classic message length ${length}`)
  const buf = Buffer.allocUnsafe(CLASSIC_HEADER_BYTES)
  buf.writeBigUInt64LE(BigInt(length))
  return buf
}

/** Header and payload as two buffers, for a writev without copying the payload. */
export function encodeClassicMessage(payload: Uint8Array): [Buffer, Uint8Array] {
  return [encodeClassicHeader(payload.length), payload]
}

export type ClassicPayloadKind = 'pickle' | 'jpeg'

/** What a classic payload holds, judged by its first bytes: a pickle (PROTO 2–5) or a JPEG (FF D8 FF). */
export function classifyPayload(payload: Uint8Array): ClassicPayloadKind | undefined {
  if (isJpeg(payload)) return 'jpeg'
  if (payload.length >= 2 && payload[0] === 0x80 && payload[1]! >= 2 && payload[1]! <= 5) return 'pickle'
  return undefined
}

/** Bytes needed to tell a native stream from a classic one: the 8-byte length and the payload's first 3 bytes. */
export const SNIFF_BYTES = CLASSIC_HEADER_BYTES + 3

export type StreamFormat = 'native' | 'classic'

/**
 * Look at the first bytes a peer sent. 'native' when they start with the Framecast magic; 'classic' when they are a
 * plausible little-endian length (1 … maxMessageBytes) followed by a pickle or JPEG start; undefined when more bytes
 * are needed to tell; FramecastError when they are neither.
 */
export function sniffStream(
  first: Uint8Array,
  maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES
): StreamFormat | FramecastError | undefined {
  const n = Math.min(first.length, MAGIC.length)
  let maybeNative = true
  for (let i = 0; i < n; i++) if (first[i] !== MAGIC[i]) maybeNative = false
  if (maybeNative) return first.length >= MAGIC.length ? 'native' : undefined
  if (first.length >= CLASSIC_HEADER_BYTES) {
    const dv = new DataView(first.buffer, first.byteOffset, first.byteLength)
    const length = dv.getBigUint64(0, true)
    if (length === 0n || length > BigInt(maxMessageBytes)) {
      return notRecognised(length > BigInt(maxMessageBytes) ? `its first 8 bytes read as a length of ${length} bytes, over the ${maxMessageBytes}-byte limit` : 'it starts with an empty message')
    }
  }
  const body = first.subarray(CLASSIC_HEADER_BYTES, SNIFF_BYTES)
  const looksPickle = body.length === 0 || (body[0] === 0x80 && (body.length < 2 || (body[1]! >= 2 && body[1]! <= 5)))
  const looksJpeg = body.every((b, i) => b === [0xff, 0xd8, 0xff][i])
  if (!looksPickle && !looksJpeg) return notRecognised('what follows the length is neither a pickle nor a JPEG')
  return first.length >= SNIFF_BYTES || (looksPickle && body.length >= 2) ? 'classic' : undefined
}

function notRecognised(why: string): FramecastError {
  return new FramecastError('BAD_MAGIC', `The peer speaks neither the Framecast protocol nor the classic OpenCV format: ${why}`)
}

export interface ClassicDecoderOptions {
  /** Largest payload any message may declare, checked at the header before anything is buffered. */
  maxMessageBytes?: number
}

/**
 * Incremental decoder for classic messages. push() returns the payloads the chunk completes (each a view or one
 * copy when it spans chunks); after a fault it sets `error` and returns nothing more. end() reports TRUNCATED when
 * the stream stopped inside a message.
 */
export class ClassicDecoder {
  readonly maxMessageBytes: number
  private readonly queue = new ChunkQueue()
  private need = CLASSIC_HEADER_BYTES
  private inBody = false
  private failure: FramecastError | undefined

  constructor(options: ClassicDecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  }

  get error(): FramecastError | undefined {
    return this.failure
  }

  get bufferedBytes(): number {
    return this.queue.length
  }

  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = []
    if (this.failure || chunk.length === 0) return out
    this.queue.push(chunk)
    while (!this.failure && this.queue.length >= this.need) {
      if (!this.inBody) this.readHeader()
      else {
        out.push(this.queue.take(this.need))
        this.inBody = false
        this.need = CLASSIC_HEADER_BYTES
      }
    }
    return out
  }

  end(): FramecastError | undefined {
    if (!this.failure && (this.queue.length > 0 || this.inBody)) {
      this.fail(new FramecastError('TRUNCATED', `the stream ended inside a message (${this.queue.length} bytes pending)`))
    }
    return this.failure
  }

  private readHeader(): void {
    const h = this.queue.take(CLASSIC_HEADER_BYTES)
    const length = new DataView(h.buffer, h.byteOffset, h.byteLength).getBigUint64(0, true)
    if (length > BigInt(this.maxMessageBytes)) {
      return this.fail(new FramecastError('MESSAGE_TOO_LARGE', `a classic message declares ${length} bytes; the limit is ${this.maxMessageBytes}`))
    }
    this.need = Number(length)
    this.inBody = true
  }

  private fail(err: FramecastError): void {
    this.failure = err
    this.queue.clear()
  }
}
