// What a fan-out framing strategy decides: everything that differs between the wire formats the Broadcaster speaks.
// The Broadcaster (broadcaster.ts) owns the policy that stays the same whatever the format — accepting connections,
// the viewer limit, the newest-frame slot per viewer, stall and idle cut-offs, statistics — and asks its Framing
// what goes on the wire: the handshake, the header before each payload, the control messages, what to make of the
// bytes a viewer sends, the largest frame, the words of a refusal, and whether payloads are converted first.
//
// Implementations: native-framing.ts (the Framecast protocol, docs/protocol.md) and classic-framing.ts (the classic
// OpenCV-script format, "Classic" in docs/protocol.md, as JPEG or as pickled pixels).

import type { ByeReasonName, ErrorCode, StreamInfo } from '../../shared/protocol'
import type { FrameTraits } from '../codec/codec'
import type { ClassicMode } from '../../shared/status'
import type { Access } from '../secure/access'
import type { TlsSession } from '../secure/tls'

/** The framings a Broadcaster can be asked for by name. */
export type FramingName = 'native' | 'classic-pickle' | 'classic-jpeg'

/** What the Broadcaster is to do about something a connection said. */
export type Heard =
  /**
   * The handshake is complete: the connection becomes a viewer (or is refused when the server is full). `name` is the
   * viewer's device name, when its format carries one (native HELLO); `fingerprint` its device fingerprint when it
   * came over TLS (private mode).
   */
  | { type: 'hello'; name?: string; fingerprint?: string }
  /** Write `preamble` in the clear, then turn the connection into TLS (private mode); secured() follows. */
  | { type: 'startTls'; preamble: Buffer }
  /** An unknown device is asked for the pairing code: its handshake may now take PAIRING_TIMEOUT_MS. */
  | { type: 'pairing'; name: string; fingerprint: string }
  /** The viewer received a whole FRAME (native ACK): `spanUs` between its first and last byte at the viewer. */
  | { type: 'ack'; seq: number; spanUs: number }
  /** The viewer asks for a keyframe (native KEYFRAME_REQUEST); `lastSeq` is the last frame it decoded. */
  | { type: 'keyframeRequest'; lastSeq: number }
  /** Answer at once with these bytes (a PONG). */
  | { type: 'reply'; message: Buffer }
  /** The viewer says it is leaving (BYE or ERROR): `code` null for an orderly goodbye. */
  | { type: 'leaving'; code: ErrorCode | null; reason: string }
  /** The connection broke the protocol: refuse it with this code. */
  | { type: 'fault'; code: ErrorCode; message: string }

/** One connection's side of the conversation: what the bytes it sends mean. */
export interface ViewerTalk {
  /**
   * Bytes from the connection, in any chunking; `receivedAtUs` is their arrival time (µs, nowUs()). Returns what
   * they ask for, in order; never throws. After a 'fault' the connection is closed and nothing more is read.
   */
  receive(chunk: Buffer, receivedAtUs: number): Heard[]
  /**
   * Bytes the connection is still owed before a refusal can be read (native: our preamble, when the viewer's has not
   * been answered yet); null when none.
   */
  beforeRefusal(): Buffer | null
  /** The TLS handshake asked for by 'startTls' is done (`session` null: the peer gave no certificate, or not TLS 1.3). */
  secured?(session: TlsSession | null): Heard[]
}

/**
 * A wire format for the Broadcaster. Stateless: one object serves any number of broadcasters; per-connection state
 * lives in the ViewerTalk that listen() returns.
 */
export interface Framing {
  readonly name: FramingName
  /**
   * True: a connection becomes a viewer only once its handshake has been heard ('hello'), within the handshake
   * deadline, and at most MAX_PENDING_HANDSHAKES wait for theirs. False: it becomes a viewer as it connects.
   */
  readonly handshake: boolean
  /** True: a viewer that sends nothing for the idle limit is closed with IDLE_TIMEOUT. */
  readonly idleTimeout: boolean
  /**
   * True: viewers acknowledge each frame (native ACK) and get a delivery window (delivery-window.ts). False: readers
   * that cannot are paced by their kernel send queue (pacing/reader-pacer.ts).
   */
  readonly acknowledges: boolean
  /** A viewer that takes nothing for this long while a frame waits for it is cut off (ms), when the caller sets no limit. */
  readonly defaultStallTimeoutMs: number
  /** Message limit in bytes (header excluded) when the caller sets none. */
  readonly defaultMaxMessageBytes: number
  /** The largest payload (bytes) a message of `maxMessageBytes` carries. */
  maxPayloadBytes(maxMessageBytes: number): number
  /** Bytes a connection is sent as soon as it is accepted; null for none (native: the preamble answers the viewer's). */
  greeting(): Buffer | null
  /** The stream description each new viewer gets, and every viewer when it changes (INFO); null for none. */
  describe(info: StreamInfo): Buffer | null
  /**
   * The header written before a payload of `payloadLength` bytes; the payload follows as it is, never copied.
   * `traits` (keyframe, quality) go on the wire where the format has room for them (native FRAME).
   */
  frameHead(seq: number, capturedAtUs: number, payloadLength: number, traits: FrameTraits): Buffer
  /** Last words before an orderly close (BYE); null to close without a word. */
  goodbye(reason: ByeReasonName): Buffer | null
  /** What a refused or faulty connection is told before it is closed (ERROR); null to close without a word. */
  refusal(code: ErrorCode, message: string): Buffer | null
  /**
   * A new connection's conversation; `maxMessageBytes` bounds what it may declare (bytes), `access` says who may watch
   * (default open; formats without a handshake ignore it: they are open by nature), `address` is the peer's source
   * address (for per-address limits).
   */
  listen(options: { maxMessageBytes: number; access?: Access; address?: string }): ViewerTalk
  /**
   * Optional: turn a frame's JPEG payload into what this format carries, refusing (rejecting with a FramecastError)
   * a payload it cannot convert or whose result would exceed `maxPayloadBytes`. Without it, payloads go out as
   * they are.
   */
  convert?(payload: Uint8Array, maxPayloadBytes: number): Promise<Uint8Array>
}

/** The framing for a broadcast's classic setting: 'off' is the Framecast protocol, 'pickle' and 'jpeg' the classic. */
export function framingForClassicMode(mode: ClassicMode): FramingName {
  return mode === 'off' ? 'native' : `classic-${mode}`
}
