// The seam between the watcher's lifecycle and what a connection speaks. The lifecycle (watcher.ts) owns the socket,
// the timers, the retries and the statistics; a stream adapter owns one connection's bytes: it decodes them, answers
// in its own format, and reports what it understood through a StreamSink. One adapter per connection, never two at
// once: 'native' and 'classic' pick theirs at connect, 'auto' starts with the sniffing adapter, which hands over to the
// one the first bytes call for (see sniffing-adapter.ts).

import type { FramecastError } from '../errors'
import type { CodecName, StreamInfo } from '../../shared/protocol'
import type { WatchSecurity } from '../../shared/status'
import type { TlsSession } from '../secure/tls'
import type { StreamFormat } from '../classic/framing'

export interface WatchedFrame {
  seq: number
  /** Capture time on the broadcaster's clock, µs since the epoch. */
  capturedAtUs: number
  /** When the frame was read from the socket, on this machine's clock. */
  receivedAtUs: number
  /** Capture-to-receipt estimate using the clock offset; null until the first PONG. */
  latencyMs: number | null
  /** The encoder quality the frame was made at (FRAME's quality byte, 1–100); 0 when not stated (classic streams). */
  quality: number
  /** What `payload` holds: one JPEG, or one H.264 access unit in Annex B form (as the stream's INFO says). */
  codec: CodecName
  /** Decodable on its own (every JPEG; H.264 IDR pictures). H.264 frames are delivered only with their chain whole. */
  keyframe: boolean
  payload: Uint8Array
}

/**
 * What an adapter reports to the lifecycle, and the one way it answers the peer. Calls about a connection that has
 * ended are ignored, so an adapter never needs to know whether its socket is still the current one.
 */
export interface StreamSink {
  /** The peer as people write it ("192.168.1.20:9999"), for error sentences. */
  readonly where: string
  /** The peer is alive: something arrived (a whole native message; any classic bytes). */
  heard(): void
  /**
   * The peer has shown what it speaks before its first frame is in (a classic sender: a length prefix and a payload
   * start): the handshake deadline is met, and until the first frame, silence is judged by the lost timer — a pickled
   * 4K frame is 25 MB, which may take longer than the deadline to arrive and to encode.
   */
  introduced(): void
  /** The stream is described: a native INFO, or a classic frame of a new size. The first one makes the watch live. */
  described(info: StreamInfo): void
  /** Frames the broadcaster skipped for this viewer, seen as a jump in the sequence numbers. */
  gap(frames: number): void
  /** Classic pickles skipped because a newer one arrived while an earlier one was being encoded to JPEG. */
  skippedWhileEncoding(images: number): void
  /** A frame to show. */
  frame(frame: WatchedFrame): void
  /** The stream cannot go on: the connection ends for `error` (the first reason reported wins). */
  fail(error: FramecastError): void
  /** Write bytes to the peer, if the connection is still writable. */
  send(bytes: Uint8Array): void
  /** 'auto': the first bytes chose `adapter`; from now on the lifecycle hands it the connection's bytes. */
  adopt(adapter: StreamAdapter): void
  /**
   * Private broadcaster: turn the connection into TLS 1.3 (this side the client); from then on push() gets the
   * plaintext and send() encrypts. `secured` gets the session once the handshake is done (null: no certificate, or
   * not TLS 1.3).
   */
  startTls(secured: (session: TlsSession | null) => void): void
  /** How the connection is protected, once known. */
  security(security: WatchSecurity): void
  /** The broadcaster asks for its pairing code and none is known: the watch waits for one (state 'pairing'). */
  awaitingCode(): void
  /** The pairing code to try, if the person gave one. */
  code(): string | null
}

/**
 * One connection's stream, as the lifecycle drives it: `greeting` goes out once TCP is up, push() gets every chunk
 * read (any chunking, views into the receive region), ping() is called every ping interval when `pings` is true,
 * end() when the peer ends its side, close() when the connection is over. Adapters never throw from these: a fault is
 * reported through `StreamSink.fail`, after which the adapter ignores further input.
 */
export interface StreamAdapter {
  /** What the peer speaks; null while the sniffing adapter has not seen enough bytes to tell. */
  readonly format: StreamFormat | null
  /** Written as soon as the connection is up (the native preamble), or null when the format writes nothing. */
  readonly greeting: Uint8Array | null
  /** Whether the lifecycle should call ping() every ping interval (native PING/PONG for liveness and clock offset). */
  readonly pings: boolean
  /** How the HANDSHAKE_TIMEOUT sentence ends: "<host:port> accepted the connection but <silence>". */
  readonly silence: string
  push(chunk: Uint8Array): void
  /** Send one liveness probe numbered `id`. */
  ping(id: number): void
  /** The peer ended its side: TRUNCATED when it stopped inside a message, else undefined or the earlier fault. */
  end(): FramecastError | undefined
  /** The connection is over: deliver nothing more. Idempotent. */
  close(): void
  /** The person typed the pairing code the broadcaster asked for (native, private broadcasters). */
  enterCode?(code: string): void
  /**
   * Optional: whoever shows the frames lost the chain of an H.264 stream (a decode error, a backlog) after decoding
   * `lastSeq`: deliver nothing but a keyframe from now on and ask the broadcaster for one (rate-limited).
   */
  requestKeyframe?(lastSeq: number): void
}
