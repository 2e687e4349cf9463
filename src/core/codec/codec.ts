// The Framecast wire codec (docs/protocol.md): a pure encoder that returns buffers, and an incremental decoder that
// accepts any chunking, consumes exactly the bytes it needs, checks every declared length before buffering, and ends
// in one typed FramecastError on malformed input. It never throws.

import {
  BYE_MAX_TEXT_BYTES,
  ByeReason,
  type ByeReasonName,
  Codec,
  type CodecName,
  DEFAULT_MAX_MESSAGE_BYTES,
  ERROR_MAX_TEXT_BYTES,
  ErrorCodes,
  type ErrorCode,
  errorCodeFromNumber,
  ACK_BYTES,
  FRAME_PREFIX_BYTES,
  FrameFlag,
  HEADER_BYTES,
  HELLO_MAX_NAME_BYTES,
  INFO_FIXED_BYTES,
  INFO_MAX_NAME_BYTES,
  INFO_MAX_PARAMS_BYTES,
  KEYFRAME_REQUEST_BYTES,
  MAGIC,
  type Message,
  MessageType,
  PAKE_CONFIRM_BYTES,
  PAKE_SHARE_BYTES,
  PING_BYTES,
  PONG_BYTES,
  PREAMBLE_BYTES,
  PROTOCOL_VERSION,
  Role,
  type RoleName,
  type StreamInfo,
  UNKNOWN_MAX_BYTES
} from '../../shared/protocol'
import { utf8Prefix } from '../../shared/utf8'
import { ChunkQueue } from './chunks'
import { FramecastError } from '../errors'

// ---------------------------------------------------------------------------------------------------------------
// Encoder
// ---------------------------------------------------------------------------------------------------------------

function header(type: number, bodyLength: number, extra = 0, flags = 0): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_BYTES + extra)
  buf[0] = type
  buf[1] = flags
  buf.writeUInt16BE(0, 2)
  buf.writeUInt32BE(bodyLength, 4)
  return buf
}

function writeU64(buf: Buffer, value: number, offset: number): void {
  buf.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(value))), offset)
}

export function encodePreamble(role: RoleName, flags = 0): Buffer {
  const buf = Buffer.allocUnsafe(PREAMBLE_BYTES)
  buf.set(MAGIC, 0)
  buf[4] = PROTOCOL_VERSION
  buf[5] = Role[role]
  buf.writeUInt16BE(flags, 6)
  return buf
}

/** INFO codec parameters must be printable ASCII. */
export function isCodecParams(params: string): boolean {
  return params.length <= INFO_MAX_PARAMS_BYTES && /^[\x20-\x7e]*$/.test(params)
}

/** INFO. Throws INVALID_ARGUMENT when `params` is not printable ASCII of at most INFO_MAX_PARAMS_BYTES. */
export function encodeInfo(info: StreamInfo): Buffer {
  const params = info.params ?? ''
  if (!isCodecParams(params)) throw new FramecastError('INVALID_ARGUMENT', `codec parameters must be printable ASCII, at most ${INFO_MAX_PARAMS_BYTES} bytes`)
  const name = utf8Prefix(info.name, INFO_MAX_NAME_BYTES)
  const length = INFO_FIXED_BYTES + params.length + name.length
  const buf = header(MessageType.info, length, length)
  let o = HEADER_BYTES
  buf[o++] = Codec[info.codec]
  buf[o++] = 0
  buf.writeUInt16BE(info.width, o)
  buf.writeUInt16BE(info.height, o + 2)
  buf.writeUInt16BE(Math.round(info.fps * 100), o + 4)
  buf[o + 6] = params.length
  buf[o + 7] = 0
  buf.write(params, o + 8, 'latin1')
  buf.set(name, o + 8 + params.length)
  return buf
}

/** How a frame was made: FRAME's keyframe flag and quality byte. */
export interface FrameTraits {
  /** Decodable on its own. Default true (every JPEG is). */
  keyframe?: boolean
  /** Encoder quality 1–100, 0 when not stated (default). */
  quality?: number
}

/** Header and frame prefix in one small buffer; the payload is written after it without being copied. */
export function encodeFrameHead(seq: number, capturedAtUs: number, payloadLength: number, traits: FrameTraits = {}): Buffer {
  const flags = traits.keyframe === false ? 0 : FrameFlag.keyframe
  const buf = header(MessageType.frame, FRAME_PREFIX_BYTES + payloadLength, FRAME_PREFIX_BYTES, flags)
  buf.writeUInt32BE(seq >>> 0, HEADER_BYTES)
  writeU64(buf, capturedAtUs, HEADER_BYTES + 4)
  buf[HEADER_BYTES + 12] = Math.max(0, Math.min(100, Math.round(traits.quality ?? 0)))
  buf[HEADER_BYTES + 13] = 0
  buf.writeUInt16BE(0, HEADER_BYTES + 14)
  return buf
}

export function encodeFrame(seq: number, capturedAtUs: number, payload: Uint8Array, traits: FrameTraits = {}): [Buffer, Uint8Array] {
  return [encodeFrameHead(seq, capturedAtUs, payload.length, traits), payload]
}

/** ACK: the FRAME `seq` arrived whole; `spanUs` between its first and last byte (saturates at 2^32 − 1). */
export function encodeAck(seq: number, spanUs: number): Buffer {
  const buf = header(MessageType.ack, ACK_BYTES, ACK_BYTES)
  buf.writeUInt32BE(seq >>> 0, HEADER_BYTES)
  buf.writeUInt32BE(Math.max(0, Math.min(0xffffffff, Math.round(spanUs))), HEADER_BYTES + 4)
  return buf
}

/** KEYFRAME_REQUEST: `lastSeq` is the last frame decoded, NO_SEQ when none. */
export function encodeKeyframeRequest(lastSeq: number): Buffer {
  const buf = header(MessageType.keyframeRequest, KEYFRAME_REQUEST_BYTES, KEYFRAME_REQUEST_BYTES)
  buf.writeUInt32BE(lastSeq >>> 0, HEADER_BYTES)
  return buf
}

/** HELLO with the viewer's device name (cut to HELLO_MAX_NAME_BYTES at a character boundary). */
export function encodeHello(name: string): Buffer {
  const n = utf8Prefix(name, HELLO_MAX_NAME_BYTES)
  const buf = header(MessageType.hello, n.length, n.length)
  buf.set(n, HEADER_BYTES)
  return buf
}

export function encodePairRequest(): Buffer {
  return header(MessageType.pairRequest, 0)
}

/** PAKE_SHARE. Throws INVALID_ARGUMENT unless `element` is PAKE_SHARE_BYTES long. */
export function encodePakeShare(element: Uint8Array): Buffer {
  return fixedBody(MessageType.pakeShare, element, PAKE_SHARE_BYTES, 'a PAKE share')
}

/** PAKE_CONFIRM. Throws INVALID_ARGUMENT unless `tag` is PAKE_CONFIRM_BYTES long. */
export function encodePakeConfirm(tag: Uint8Array): Buffer {
  return fixedBody(MessageType.pakeConfirm, tag, PAKE_CONFIRM_BYTES, 'a PAKE confirmation')
}

function fixedBody(type: number, body: Uint8Array, size: number, what: string): Buffer {
  if (body.length !== size) throw new FramecastError('INVALID_ARGUMENT', `${what} is ${size} bytes, not ${body.length}`)
  const buf = header(type, size, size)
  buf.set(body, HEADER_BYTES)
  return buf
}

export function encodePing(id: number, t1: number): Buffer {
  const buf = header(MessageType.ping, PING_BYTES, PING_BYTES)
  buf.writeUInt32BE(id >>> 0, HEADER_BYTES)
  writeU64(buf, t1, HEADER_BYTES + 4)
  return buf
}

export function encodePong(id: number, t1: number, t2: number, t3: number): Buffer {
  const buf = header(MessageType.pong, PONG_BYTES, PONG_BYTES)
  buf.writeUInt32BE(id >>> 0, HEADER_BYTES)
  writeU64(buf, t1, HEADER_BYTES + 4)
  writeU64(buf, t2, HEADER_BYTES + 12)
  writeU64(buf, t3, HEADER_BYTES + 20)
  return buf
}

export function encodeBye(reason: ByeReasonName, text = ''): Buffer {
  const t = utf8Prefix(text, BYE_MAX_TEXT_BYTES)
  const buf = header(MessageType.bye, 1 + t.length, 1 + t.length)
  buf[HEADER_BYTES] = ByeReason[reason]
  buf.set(t, HEADER_BYTES + 1)
  return buf
}

export function encodeError(code: ErrorCode, text = ''): Buffer {
  const t = utf8Prefix(text, ERROR_MAX_TEXT_BYTES)
  const buf = header(MessageType.error, 2 + t.length, 2 + t.length)
  buf.writeUInt16BE(ErrorCodes[code], HEADER_BYTES)
  buf.set(t, HEADER_BYTES + 2)
  return buf
}

/** Encode any message (tests and tools); the hot path uses encodeFrameHead directly. */
export function encodeMessage(m: Message): Buffer {
  switch (m.type) {
    case 'preamble':
      return encodePreamble(m.role, m.flags)
    case 'info':
      return encodeInfo(m)
    case 'frame':
      return Buffer.concat(encodeFrame(m.seq, m.capturedAtUs, m.payload, m))
    case 'ping':
      return encodePing(m.id, m.t1)
    case 'pong':
      return encodePong(m.id, m.t1, m.t2, m.t3)
    case 'bye':
      return encodeBye(m.reason === 'unknown' ? 'stopped' : m.reason, m.text)
    case 'error':
      return encodeError(m.code === 'UNKNOWN' ? 'INTERNAL' : m.code, m.text)
    case 'ack':
      return encodeAck(m.seq, m.spanUs)
    case 'keyframeRequest':
      return encodeKeyframeRequest(m.lastSeq)
    case 'hello':
      return encodeHello(m.name)
    case 'pairRequest':
      return encodePairRequest()
    case 'pakeShare':
      return encodePakeShare(m.element)
    case 'pakeConfirm':
      return encodePakeConfirm(m.tag)
    case 'unknown':
      return header(m.typeByte, 0)
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Decoder
// ---------------------------------------------------------------------------------------------------------------

export interface DecoderOptions {
  /** Largest body any message may declare, checked at the header before anything is buffered. */
  maxMessageBytes?: number
  /** The role the peer must announce in its preamble; any role is accepted when omitted. */
  expectRole?: RoleName
  /**
   * Whether the stream starts with the peer's preamble (default true). False for the stream inside TLS, which starts
   * with a message header.
   */
  preamble?: boolean
  /**
   * Stop after the preamble until resume() (default false): the peer may send nothing more before it has read our
   * answer, so bytes arriving meanwhile are UNEXPECTED_MESSAGE. The caller answers, then resumes (clear transport)
   * or hands the socket to TLS and decodes what TLS yields with a new Decoder({ preamble: false }).
   */
  pauseAfterPreamble?: boolean
}

const enum State {
  Preamble,
  Paused,
  Header,
  Body,
  Skip,
  Failed
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true })

/**
 * Incremental decoder. Feed it chunks with push(); it returns the complete messages they finish. On malformed input
 * it returns the messages decoded before the fault and sets `error`; later pushes return nothing. Call end() at EOF
 * to learn whether the stream stopped in the middle of a message.
 */
export class Decoder {
  readonly maxMessageBytes: number
  private readonly expectRole: RoleName | undefined
  private readonly pauseAfterPreamble: boolean
  private state = State.Preamble
  private readonly queue = new ChunkQueue()
  private need = PREAMBLE_BYTES
  private bodyType = 0
  private bodyFlags = 0
  private failure: FramecastError | undefined

  constructor(options: DecoderOptions = {}) {
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.expectRole = options.expectRole
    this.pauseAfterPreamble = options.pauseAfterPreamble ?? false
    if (options.preamble === false) this.expectHeader()
  }

  /** True between the preamble and resume() when the decoder was made with pauseAfterPreamble. */
  get paused(): boolean {
    return this.state === State.Paused
  }

  /** Go on decoding messages on this stream after a pause at the preamble (clear transport). */
  resume(): void {
    if (this.state === State.Paused) this.expectHeader()
  }

  get error(): FramecastError | undefined {
    return this.failure
  }

  /** Bytes held waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.queue.length
  }

  push(chunk: Uint8Array): Message[] {
    const out: Message[] = []
    if (this.state === State.Failed || chunk.length === 0) return out
    this.queue.push(chunk)
    try {
      this.run(out)
    } catch (e) {
      // Defensive: nothing above is expected to throw, but a decoder must never take the process down.
      this.fail(e instanceof FramecastError ? e : new FramecastError('INTERNAL', `decoder fault: ${String(e)}`))
    }
    return out
  }

  /** The stream ended. Returns TRUNCATED if it stopped inside a message, otherwise the error seen, if any. */
  end(): FramecastError | undefined {
    if (this.failure) return this.failure
    if (this.state === State.Skip || this.queue.length > 0 || this.state === State.Body) {
      this.fail(new FramecastError('TRUNCATED', `the stream ended inside a message (${this.queue.length} bytes pending)`))
    }
    return this.failure
  }

  private fail(err: FramecastError): void {
    this.failure = err
    this.state = State.Failed
    this.queue.clear()
  }

  private run(out: Message[]): void {
    for (;;) {
      if (this.state === State.Failed) return
      if (this.state === State.Paused) {
        if (this.queue.length > 0) {
          this.fail(new FramecastError('UNEXPECTED_MESSAGE', 'the peer sent more after its preamble before reading the answer'))
        }
        return
      }
      if (this.state === State.Skip) {
        // Unknown message: discard its body as it arrives, holding none of it.
        if (this.queue.length === 0) return
        const n = Math.min(this.need, this.queue.length)
        this.queue.discard(n)
        this.need -= n
        if (this.need === 0) this.expectHeader()
        continue
      }
      if (this.queue.length < this.need) return
      if (this.state === State.Preamble) this.readPreamble(out)
      else if (this.state === State.Header) this.readHeader(out)
      else this.readBody(out)
    }
  }

  private expectHeader(): void {
    this.state = State.Header
    this.need = HEADER_BYTES
  }

  private readPreamble(out: Message[]): void {
    const b = this.queue.take(PREAMBLE_BYTES)
    if (b[0] !== MAGIC[0] || b[1] !== MAGIC[1] || b[2] !== MAGIC[2] || b[3] !== MAGIC[3]) {
      return this.fail(new FramecastError('BAD_MAGIC', 'the peer does not speak the Framecast protocol'))
    }
    const version = b[4]!
    if (version !== PROTOCOL_VERSION) {
      return this.fail(
        new FramecastError('VERSION_MISMATCH', `the peer speaks Framecast protocol v${version}; this app speaks v${PROTOCOL_VERSION}`)
      )
    }
    const roleByte = b[5]!
    const role = roleByte === Role.broadcaster ? 'broadcaster' : roleByte === Role.viewer ? 'viewer' : undefined
    if (role === undefined || (this.expectRole !== undefined && role !== this.expectRole)) {
      const expected = this.expectRole === undefined ? 'broadcaster or viewer' : this.expectRole
      return this.fail(new FramecastError('BAD_ROLE', `the peer announced role ${role ?? roleByte}, expected ${expected}`))
    }
    const flags = ((b[6]! << 8) | b[7]!) >>> 0
    out.push({ type: 'preamble', version, role, flags })
    if (this.pauseAfterPreamble) this.state = State.Paused
    else this.expectHeader()
  }

  private readHeader(out: Message[]): void {
    const h = this.queue.take(HEADER_BYTES)
    const type = h[0]!
    const length = ((h[4]! << 24) | (h[5]! << 16) | (h[6]! << 8) | h[7]!) >>> 0
    if (length > this.maxMessageBytes) {
      return this.fail(
        new FramecastError(
          'MESSAGE_TOO_LARGE',
          `message type 0x${type.toString(16)} declares ${length} bytes; the limit is ${this.maxMessageBytes}`
        )
      )
    }
    const bounds = bodyBounds(type, this.maxMessageBytes)
    if (length > bounds.max) {
      const code = bounds.unknown ? 'MESSAGE_TOO_LARGE' : 'MALFORMED_MESSAGE'
      return this.fail(
        new FramecastError(code, `message type 0x${type.toString(16)} declares ${length} bytes; at most ${bounds.max} allowed`)
      )
    }
    if (length < bounds.min) {
      return this.fail(
        new FramecastError('MALFORMED_MESSAGE', `message type 0x${type.toString(16)} declares ${length} bytes; it needs at least ${bounds.min}`)
      )
    }
    if (bounds.unknown) {
      out.push({ type: 'unknown', typeByte: type, length })
      if (length === 0) return this.expectHeader()
      this.state = State.Skip
      this.need = length
      return
    }
    this.bodyType = type
    this.bodyFlags = h[1]!
    this.state = State.Body
    this.need = length
  }

  private readBody(out: Message[]): void {
    const body = this.queue.take(this.need)
    const m = parseBody(this.bodyType, this.bodyFlags, body)
    if (m instanceof FramecastError) return this.fail(m)
    out.push(m)
    this.expectHeader()
  }
}

function bodyBounds(type: number, maxMessageBytes: number): { min: number; max: number; unknown?: true } {
  switch (type) {
    case MessageType.info:
      return { min: INFO_FIXED_BYTES, max: INFO_FIXED_BYTES + INFO_MAX_PARAMS_BYTES + INFO_MAX_NAME_BYTES }
    case MessageType.frame:
      return { min: FRAME_PREFIX_BYTES + 1, max: maxMessageBytes }
    case MessageType.ping:
      return { min: PING_BYTES, max: PING_BYTES }
    case MessageType.pong:
      return { min: PONG_BYTES, max: PONG_BYTES }
    case MessageType.bye:
      return { min: 1, max: 1 + BYE_MAX_TEXT_BYTES }
    case MessageType.error:
      return { min: 2, max: 2 + ERROR_MAX_TEXT_BYTES }
    case MessageType.ack:
      return { min: ACK_BYTES, max: ACK_BYTES }
    case MessageType.keyframeRequest:
      return { min: KEYFRAME_REQUEST_BYTES, max: KEYFRAME_REQUEST_BYTES }
    case MessageType.hello:
      return { min: 0, max: HELLO_MAX_NAME_BYTES }
    case MessageType.pairRequest:
      return { min: 0, max: 0 }
    case MessageType.pakeShare:
      return { min: PAKE_SHARE_BYTES, max: PAKE_SHARE_BYTES }
    case MessageType.pakeConfirm:
      return { min: PAKE_CONFIRM_BYTES, max: PAKE_CONFIRM_BYTES }
    default:
      return { min: 0, max: Math.min(UNKNOWN_MAX_BYTES, maxMessageBytes), unknown: true }
  }
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength)
}

function u64(dv: DataView, offset: number): number | undefined {
  const v = dv.getBigUint64(offset)
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? undefined : Number(v)
}

function text(b: Uint8Array): string | undefined {
  try {
    return utf8Strict.decode(b)
  } catch {
    return undefined
  }
}

const malformed = (what: string): FramecastError => new FramecastError('MALFORMED_MESSAGE', what)

function parseBody(type: number, flags: number, b: Uint8Array): Message | FramecastError {
  const dv = view(b)
  switch (type) {
    case MessageType.info: {
      const codecByte = b[0]!
      const codec = (Object.keys(Codec) as CodecName[]).find((k) => Codec[k] === codecByte)
      if (codec === undefined) return new FramecastError('UNSUPPORTED_CODEC', `the broadcaster sends codec ${codecByte}, which this version cannot show`)
      const width = dv.getUint16(2)
      const height = dv.getUint16(4)
      const fps = dv.getUint16(6) / 100
      if (width === 0 || height === 0) return malformed(`INFO declares a ${width}×${height} picture`)
      const paramsLength = b[8]!
      if (paramsLength > INFO_MAX_PARAMS_BYTES || INFO_FIXED_BYTES + paramsLength > b.length) {
        return malformed(`INFO declares ${paramsLength} bytes of codec parameters`)
      }
      const paramBytes = b.subarray(INFO_FIXED_BYTES, INFO_FIXED_BYTES + paramsLength)
      if (!paramBytes.every((c) => c >= 0x20 && c <= 0x7e)) return malformed('INFO codec parameters are not printable ASCII')
      const nameBytes = b.subarray(INFO_FIXED_BYTES + paramsLength)
      if (nameBytes.length > INFO_MAX_NAME_BYTES) return malformed(`INFO name is ${nameBytes.length} bytes; at most ${INFO_MAX_NAME_BYTES} allowed`)
      const name = text(nameBytes)
      if (name === undefined) return malformed('INFO name is not UTF-8')
      const info: Message = { type: 'info', codec, width, height, fps, name }
      if (paramsLength > 0) info.params = String.fromCharCode(...paramBytes)
      return info
    }
    case MessageType.frame: {
      const seq = dv.getUint32(0)
      const capturedAtUs = u64(dv, 4)
      if (capturedAtUs === undefined) return malformed('FRAME capture time is out of range')
      const quality = b[12]!
      if (quality > 100) return malformed(`FRAME quality ${quality} is over 100`)
      const keyframe = (flags & FrameFlag.keyframe) !== 0
      return { type: 'frame', seq, capturedAtUs, keyframe, quality, payload: b.subarray(FRAME_PREFIX_BYTES) }
    }
    case MessageType.ack:
      return { type: 'ack', seq: dv.getUint32(0), spanUs: dv.getUint32(4) }
    case MessageType.keyframeRequest:
      return { type: 'keyframeRequest', lastSeq: dv.getUint32(0) }
    case MessageType.hello: {
      const name = text(b)
      if (name === undefined) return malformed('HELLO name is not UTF-8')
      return { type: 'hello', name }
    }
    case MessageType.pairRequest:
      return { type: 'pairRequest' }
    case MessageType.pakeShare:
      return { type: 'pakeShare', element: b }
    case MessageType.pakeConfirm:
      return { type: 'pakeConfirm', tag: b }
    case MessageType.ping: {
      const t1 = u64(dv, 4)
      if (t1 === undefined) return malformed('PING time is out of range')
      return { type: 'ping', id: dv.getUint32(0), t1 }
    }
    case MessageType.pong: {
      const t1 = u64(dv, 4)
      const t2 = u64(dv, 12)
      const t3 = u64(dv, 20)
      if (t1 === undefined || t2 === undefined || t3 === undefined) return malformed('PONG time is out of range')
      return { type: 'pong', id: dv.getUint32(0), t1, t2, t3 }
    }
    case MessageType.bye: {
      const r = b[0]!
      const reason = (Object.keys(ByeReason) as ByeReasonName[]).find((k) => ByeReason[k] === r) ?? 'unknown'
      const t = text(b.subarray(1))
      if (t === undefined) return malformed('BYE text is not UTF-8')
      return { type: 'bye', reason, text: t }
    }
    case MessageType.error: {
      const code = errorCodeFromNumber(dv.getUint16(0)) ?? 'UNKNOWN'
      const t = text(b.subarray(2))
      if (t === undefined) return malformed('ERROR text is not UTF-8')
      return { type: 'error', code, text: t }
    }
    default:
      return new FramecastError('INTERNAL', `no parser for type ${type}`)
  }
}
