// The classic OpenCV-script framing: each message is a length prefix written by struct.pack — "Q" (8 bytes,
// little-endian) in the tutorial, 2, 4 or 8 bytes in either byte order in its copies (src/shared/classic.ts) —
// followed by that many bytes: a pickle (of a numpy image, or of the JPEG cv2.imencode made) or a JPEG.
//
// The decoder follows the discipline of the native codec: any chunking, the declared length checked against the limit
// at the header before anything is buffered, exactly the needed bytes consumed, one typed error on bad input. Telling
// which prefix a sender uses is prefix.ts's business; telling a classic stream from a Framecast one, sniffStream's.

import {
  CLASSIC_PREFIXES,
  type ClassicPrefix,
  DEFAULT_CLASSIC_PREFIX,
  formatBytes,
  MESSAGE_LIMIT_MAX_BYTES,
  messageLimit,
  PREFIX_LAYOUTS
} from '../../shared/classic'
import { isJpeg, MAGIC } from '../../shared/protocol'
import { ChunkQueue } from '../codec/chunks'
import { FramecastError } from '../errors'

/** Width of the tutorial's prefix, struct.pack("Q", n). */
export const CLASSIC_HEADER_BYTES = 8

/**
 * The length prefix of a classic message of `length` bytes, as `prefix` lays it out (default "Q"). Throws
 * INVALID_ARGUMENT for a length that is negative, not whole, or more than the prefix can carry (65 535 for 2 bytes).
 */
export function encodeClassicHeader(length: number, prefix: ClassicPrefix = DEFAULT_CLASSIC_PREFIX): Buffer {
  const layout = PREFIX_LAYOUTS[prefix]
  if (!Number.isSafeInteger(length) || length < 0 || length > layout.max) {
    throw new FramecastError('INVALID_ARGUMENT', `bad classic message length ${length} for a ${layout.bytes}-byte prefix`)
  }
  const buf = Buffer.allocUnsafe(layout.bytes)
  if (layout.bytes === 8) {
    if (layout.littleEndian) buf.writeBigUInt64LE(BigInt(length))
    else buf.writeBigUInt64BE(BigInt(length))
  } else if (layout.littleEndian) buf.writeUIntLE(length, 0, layout.bytes)
  else buf.writeUIntBE(length, 0, layout.bytes)
  return buf
}

/** Header and payload as two buffers, for a writev without copying the payload. */
export function encodeClassicMessage(payload: Uint8Array, prefix: ClassicPrefix = DEFAULT_CLASSIC_PREFIX): [Buffer, Uint8Array] {
  return [encodeClassicHeader(payload.length, prefix), payload]
}

/**
 * The length `prefix` holds at the start of `bytes` (which holds at least its width). An 8-byte length beyond 2^53 is
 * returned rounded, which still compares as larger than any limit.
 */
export function readClassicLength(bytes: Uint8Array, prefix: ClassicPrefix): number {
  const layout = PREFIX_LAYOUTS[prefix]
  const dv = new DataView(bytes.buffer, bytes.byteOffset, layout.bytes)
  switch (layout.bytes) {
    case 2:
      return dv.getUint16(0, layout.littleEndian)
    case 4:
      return dv.getUint32(0, layout.littleEndian)
    case 8:
      return Number(dv.getBigUint64(0, layout.littleEndian))
  }
}

/** A length as a sentence writes it: "41000000 bytes (39.1 MiB)", or "more than 2^53 − 1 bytes" for rounded ones. */
export function lengthText(n: number): string {
  if (n > Number.MAX_SAFE_INTEGER) return `more than ${Number.MAX_SAFE_INTEGER} bytes`
  return n >= 1024 ? `${n} bytes (${formatBytes(n)})` : `${n} bytes`
}

export type ClassicPayloadKind = 'pickle' | 'jpeg'

/** Payload bytes that tell its kind: "FF D8 FF" for a JPEG. */
export const PAYLOAD_SIGNATURE_BYTES = 3
/**
 * The shortest message a classic sender writes: nothing shorter holds a picture (a JPEG or a pickled array takes
 * more than a hundred bytes), so a smaller length is not read as a classic stream.
 */
export const MIN_CLASSIC_MESSAGE_BYTES = 16

const isNameStart = (c: number | undefined): boolean => c !== undefined && ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f)

/**
 * What a classic payload holds, judged by its first bytes: a pickle — PROTO 2–5 (`80 02` … `80 05`), or protocol 0/1,
 * which has no marker and starts with GLOBAL and a module name (`c numpy…`, `c _codecs…`) or, from Python 2, a quoted
 * str (`S '`) — or a JPEG (`FF D8 FF`). Undefined for anything else.
 */
export function classifyPayload(payload: Uint8Array): ClassicPayloadKind | undefined {
  if (isJpeg(payload)) return 'jpeg'
  const [a, b] = [payload[0], payload[1]]
  if (a === 0x80 && b !== undefined && b >= 2 && b <= 5) return 'pickle'
  if (a === 0x63 && isNameStart(b)) return 'pickle'
  if (a === 0x53 && (b === 0x27 || b === 0x22)) return 'pickle'
  return undefined
}

/** What the first bytes of a stream say about one length prefix. */
export type HeadReading =
  /** More bytes are needed to tell. */
  | { fits: undefined }
  /** Not this prefix: `why` says what the bytes would be under it ("declares 0 bytes", "is followed by 00 00 01"). */
  | { fits: false; why: string }
  /** A plausible first message: a length from MIN_CLASSIC_MESSAGE_BYTES to `cap`, then a pickle or JPEG start. */
  | { fits: true; length: number; kind: ClassicPayloadKind }

/** Bytes in hex, for sentences: "48 54 54 50". */
export function hexBytes(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ')
}

/**
 * Read the first message's head under `prefix`: `bytes` are the stream's first bytes (any number). The length must be
 * from MIN_CLASSIC_MESSAGE_BYTES to `cap` (bytes) and the payload start like a pickle or a JPEG.
 */
export function readHead(bytes: Uint8Array, prefix: ClassicPrefix, cap: number): HeadReading {
  const width = PREFIX_LAYOUTS[prefix].bytes
  if (bytes.length < width) return { fits: undefined }
  const length = readClassicLength(bytes, prefix)
  if (length < MIN_CLASSIC_MESSAGE_BYTES) return { fits: false, why: `the first message declares ${length} bytes, too few for a picture` }
  if (length > cap) return { fits: false, why: `the first message declares ${lengthText(length)}` }
  const start = bytes.subarray(width, width + PAYLOAD_SIGNATURE_BYTES)
  const kind = classifyPayload(start)
  if (kind !== undefined) return { fits: true, length, kind }
  if (start.length < PAYLOAD_SIGNATURE_BYTES && couldStartPayload(start)) return { fits: undefined }
  return { fits: false, why: `the first message starts with ${hexBytes(start)}, neither a pickle nor a JPEG` }
}

/** True when `start` (shorter than a signature) is the beginning of some payload's signature. */
function couldStartPayload(start: Uint8Array): boolean {
  if (start.length === 0) return true
  const [a, b] = [start[0], start[1]]
  if (start.length === 1) return a === 0xff || a === 0x80 || a === 0x63 || a === 0x53
  return (a === 0xff && b === 0xd8) || classifyPayload(start) !== undefined
}

/** Bytes needed to tell a native stream from a classic one: the widest prefix and a payload signature. */
export const SNIFF_BYTES = 8 + PAYLOAD_SIGNATURE_BYTES

export type StreamFormat = 'native' | 'classic'

/**
 * Look at the first bytes a peer sent. 'native' when they start with the Framecast magic; 'classic' when, under some
 * length prefix (2, 4 or 8 bytes, either byte order), they are a plausible first message of up to `cap` bytes (by
 * default the largest limit a person may set, so a stream of frames too large for the limit in force is still
 * recognised as classic, and refused as too large); undefined when more bytes are needed to tell; FramecastError
 * (BAD_MAGIC) when they are neither, saying what they are.
 */
export function sniffStream(first: Uint8Array, cap = MESSAGE_LIMIT_MAX_BYTES): StreamFormat | FramecastError | undefined {
  const n = Math.min(first.length, MAGIC.length)
  let maybeNative = true
  for (let i = 0; i < n; i++) if (first[i] !== MAGIC[i]) maybeNative = false
  if (maybeNative) return first.length >= MAGIC.length ? 'native' : undefined
  let undecided = false
  for (const prefix of CLASSIC_PREFIXES) {
    const head = readHead(first, prefix, cap)
    if (head.fits === true) return 'classic'
    if (head.fits === undefined) undecided = true
  }
  if (undecided) return undefined
  const shown = first.subarray(0, SNIFF_BYTES)
  const text = [...shown].every((c) => c >= 0x20 && c < 0x7f) ? ` ("${String.fromCharCode(...shown)}")` : ''
  return new FramecastError(
    'BAD_MAGIC',
    `The peer speaks neither the Framecast protocol nor the classic OpenCV format: its first bytes, ${hexBytes(shown)}${text}, are not a ` +
      'length prefix (2, 4 or 8 bytes, either byte order) followed by a pickle or a JPEG'
  )
}

export interface ClassicDecoderOptions {
  /** Largest payload any message may declare, checked at the header before anything is buffered. Default 32 MiB. */
  maxMessageBytes?: number
  /** How each message's length is written. Default "Q" (8 bytes, little-endian). */
  prefix?: ClassicPrefix
}

/**
 * Incremental decoder for classic messages. push() returns the payloads the chunk completes (each a view or one
 * copy when it spans chunks); after a fault (MESSAGE_TOO_LARGE at a header) it sets `error` and returns nothing more.
 * end() reports TRUNCATED when the stream stopped inside a message.
 */
export class ClassicDecoder {
  readonly maxMessageBytes: number
  readonly prefix: ClassicPrefix
  private readonly headerBytes: number
  private readonly queue = new ChunkQueue()
  private need: number
  private inBody = false
  private failure: FramecastError | undefined

  constructor(options: ClassicDecoderOptions = {}) {
    this.maxMessageBytes = messageLimit('classic', options.maxMessageBytes)
    this.prefix = options.prefix ?? DEFAULT_CLASSIC_PREFIX
    this.headerBytes = PREFIX_LAYOUTS[this.prefix].bytes
    this.need = this.headerBytes
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
        this.need = this.headerBytes
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
    const length = readClassicLength(this.queue.take(this.headerBytes), this.prefix)
    if (length > this.maxMessageBytes) {
      const layout = PREFIX_LAYOUTS[this.prefix]
      return this.fail(
        new FramecastError(
          'MESSAGE_TOO_LARGE',
          `A classic message declares ${lengthText(length)} in its ${layout.bytes}-byte ${layout.littleEndian ? 'little' : 'big'}-endian length prefix; ` +
            `the limit is ${formatBytes(this.maxMessageBytes)}`
        )
      )
    }
    this.need = length
    this.inBody = true
  }

  private fail(err: FramecastError): void {
    this.failure = err
    this.queue.clear()
  }
}
