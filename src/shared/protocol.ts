// The Framecast wire format, mirrored from docs/protocol.md (the source of truth).
// Pure TypeScript: constants, limits, message types and error codes. No Node, no Electron.

/** "FCST" — the first four bytes each side sends. */
export const MAGIC = [0x46, 0x43, 0x53, 0x54] as const
export const PROTOCOL_VERSION = 2
export const PREAMBLE_BYTES = 8
export const HEADER_BYTES = 8

export const DEFAULT_PORT = 9999
export const DEFAULT_MAX_MESSAGE_BYTES = 8 * 1024 * 1024
export const DEFAULT_MAX_VIEWERS = 16

/** Timers (milliseconds). */
/** Preambles, TLS and HELLO must be done, and INFO sent, this long after connecting. */
export const HANDSHAKE_TIMEOUT_MS = 3_000
/** How long a broadcaster waits for a viewer whose person is typing the pairing code. */
export const PAIRING_TIMEOUT_MS = 60_000
/** KEYFRAME_REQUESTs honoured per viewer: at most one per this many ms. */
export const KEYFRAME_REQUEST_MIN_MS = 500
/** An H.264 broadcaster sends a keyframe at least this often (ms), whether or not anyone asked for one. */
export const KEYFRAME_INTERVAL_MS = 2_000
export const PING_INTERVAL_MS = 1_000
export const LOST_AFTER_MS = 3_000
export const STALLED_AFTER_MS = 1_000
export const IDLE_TIMEOUT_MS = 10_000
export const CONNECT_TIMEOUT_MS = 4_000
export const RECONNECT_MIN_MS = 100
export const RECONNECT_MAX_MS = 2_000
/** A refused connection is cheap to retry: the broadcaster is probably restarting. */
export const RECONNECT_REFUSED_MAX_MS = 400

export const Role = { broadcaster: 1, viewer: 2 } as const
export type RoleName = keyof typeof Role

/** Preamble flags (u16). Bit 0: the sender speaks TLS 1.3 after the preambles (both must set it for TLS). */
export const PreambleFlag = { tls: 0x0001 } as const

export const MessageType = {
  info: 0x01,
  frame: 0x02,
  ping: 0x03,
  pong: 0x04,
  bye: 0x05,
  error: 0x06,
  ack: 0x07,
  keyframeRequest: 0x08,
  hello: 0x09,
  pairRequest: 0x0a,
  pakeShare: 0x0b,
  pakeConfirm: 0x0c
} as const

/** Codecs in INFO. Values not listed here are refused with UNSUPPORTED_CODEC. */
export const Codec = { jpeg: 1, h264: 2 } as const
export type CodecName = keyof typeof Codec

/** Fixed body sizes and body caps (bytes). The header's length is checked against these before buffering. */
export const INFO_FIXED_BYTES = 10
export const INFO_MAX_PARAMS_BYTES = 64
export const INFO_MAX_NAME_BYTES = 64
export const FRAME_PREFIX_BYTES = 16
/** FRAME header flags (byte 1 of the header). */
export const FrameFlag = { keyframe: 0x01 } as const
export const ACK_BYTES = 8
export const KEYFRAME_REQUEST_BYTES = 4
export const HELLO_MAX_NAME_BYTES = 64
/** PAKE_SHARE: an encoded ristretto255 element; PAKE_CONFIRM: a tag. */
export const PAKE_SHARE_BYTES = 32
export const PAKE_CONFIRM_BYTES = 32
/** KEYFRAME_REQUEST's lastSeq when the viewer has decoded nothing yet. */
export const NO_SEQ = 0xffffffff
export const PING_BYTES = 12
export const PONG_BYTES = 28
export const BYE_MAX_TEXT_BYTES = 256
export const ERROR_MAX_TEXT_BYTES = 256
/** Unknown message types are skipped, but never larger than this. */
export const UNKNOWN_MAX_BYTES = 64 * 1024

export const ByeReason = { stopped: 1, shutdown: 2, stalled: 3, idle: 4, kicked: 5 } as const
export type ByeReasonName = keyof typeof ByeReason

/**
 * Every error Framecast can report, as a stable string code. The numeric value is what an ERROR message carries
 * on the wire; codes that only ever happen locally are still numbered so they can be forwarded.
 */
export const ErrorCodes = {
  BAD_MAGIC: 1,
  VERSION_MISMATCH: 2,
  BAD_ROLE: 3,
  UNSUPPORTED_TRANSPORT: 4,
  UNSUPPORTED_CODEC: 5,
  MESSAGE_TOO_LARGE: 6,
  MALFORMED_MESSAGE: 7,
  UNEXPECTED_MESSAGE: 8,
  TRUNCATED: 9,
  HANDSHAKE_TIMEOUT: 10,
  IDLE_TIMEOUT: 11,
  SERVER_FULL: 12,
  STALLED: 13,
  KICKED: 14,
  CONNECTION_REFUSED: 20,
  HOST_UNREACHABLE: 21,
  CONNECT_TIMEOUT: 22,
  HOST_NOT_FOUND: 23,
  CONNECTION_RESET: 24,
  PEER_LOST: 25,
  ADDRESS_IN_USE: 30,
  ACCESS_DENIED: 31,
  ADDRESS_NOT_AVAILABLE: 32,
  INVALID_ARGUMENT: 40,
  UNSUPPORTED_PICKLE: 50,
  BAD_LENGTH_PREFIX: 51,
  PAIRING_FAILED: 60,
  CODE_EXPIRED: 61,
  KEY_CHANGED: 62,
  BLOCKED: 63,
  RATE_LIMITED: 64,
  CODE_REQUIRED: 65,
  INTERNAL: 99
} as const
export type ErrorCode = keyof typeof ErrorCodes

export function errorCodeFromNumber(n: number): ErrorCode | undefined {
  for (const [name, value] of Object.entries(ErrorCodes)) if (value === n) return name as ErrorCode
  return undefined
}

export function isErrorCode(s: string): s is ErrorCode {
  return Object.prototype.hasOwnProperty.call(ErrorCodes, s)
}

export interface Preamble {
  type: 'preamble'
  version: number
  role: RoleName
  flags: number
}

export interface StreamInfo {
  codec: CodecName
  width: number
  height: number
  /** Nominal frames per second (two decimals on the wire). */
  fps: number
  /** Display name, at most INFO_MAX_NAME_BYTES of UTF-8. */
  name: string
  /**
   * Codec parameters, printable ASCII, at most INFO_MAX_PARAMS_BYTES: for H.264 the WebCodecs codec string
   * ("avc1.42001f"). Absent (never an empty string) for JPEG.
   */
  params?: string
}

export type Message =
  | Preamble
  | ({ type: 'info' } & StreamInfo)
  | {
      type: 'frame'
      seq: number
      capturedAtUs: number
      /** Decodable without earlier frames (every JPEG; H.264 IDR access units). */
      keyframe: boolean
      /** Encoder quality 1–100 when the frame was made (JPEG quality, or H.264's share of its target bitrate); 0 unstated. */
      quality: number
      payload: Uint8Array
    }
  | { type: 'ping'; id: number; t1: number }
  | { type: 'pong'; id: number; t1: number; t2: number; t3: number }
  | { type: 'bye'; reason: ByeReasonName | 'unknown'; text: string }
  | { type: 'error'; code: ErrorCode | 'UNKNOWN'; text: string }
  | { type: 'ack'; seq: number; spanUs: number }
  | { type: 'keyframeRequest'; lastSeq: number }
  | { type: 'hello'; name: string }
  | { type: 'pairRequest' }
  | { type: 'pakeShare'; element: Uint8Array }
  | { type: 'pakeConfirm'; tag: Uint8Array }
  | { type: 'unknown'; typeByte: number; length: number }

export type MessageOf<T extends Message['type']> = Extract<Message, { type: T }>

/** True when `bytes` start like a JPEG: the start-of-image marker FF D8 and the next marker's FF. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff
}

/** Microseconds since the Unix epoch on this machine's clock. */
export function nowUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000)
}
