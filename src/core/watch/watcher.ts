// The watcher's lifecycle: connects to a broadcaster, reads its bytes into large receive regions, watches for silence,
// and reconnects with backoff until stopped. What the connection speaks — Framecast or the classic OpenCV format — is
// the business of one stream adapter per connection (stream-adapter.ts), chosen by the mode or by the first bytes.
//
// States: connecting -> live (the stream is described: first INFO, or a classic sender's first frame) -> stalled
// (alive but no frames) -> lost (nothing at all, or the connection ended) -> reconnecting -> live. 'error' is for what
// retrying cannot fix (not a Framecast broadcaster, another protocol version, an unsupported codec, transport or
// pickle); everything else keeps retrying with `error` saying why.

import { EventEmitter } from 'node:events'
import net from 'node:net'
import { hostname } from 'node:os'
import { type ClassicPrefixChoice, messageLimit } from '../../shared/classic'
import {
  CONNECT_TIMEOUT_MS,
  type ErrorCode,
  HANDSHAKE_TIMEOUT_MS,
  LOST_AFTER_MS,
  PAIRING_TIMEOUT_MS,
  PING_INTERVAL_MS,
  RECONNECT_MAX_MS,
  RECONNECT_MIN_MS,
  RECONNECT_REFUSED_MAX_MS,
  STALLED_AFTER_MS,
  type StreamInfo
} from '../../shared/protocol'
import type { ErrorInfo, WatchMode, WatchState, WatchStats, WatchStatus } from '../../shared/status'
import { encodeBye } from '../codec/codec'
import { formatHostPort } from '../../shared/address'
import { FramecastError, fromSocketError, PeerStoppedError } from '../errors'
import { ClockOffset, monoMs, RateMeter, RecentSamples } from '../../shared/stats'
import { sameStreamInfo } from '../../shared/stream-info'
import type { ViewerSecurity } from '../secure/pairing-initiator'
import { isPairingCode } from '../secure/pairing-code'
import { clientTls, sessionOf, type TlsSession } from '../secure/tls'
import { openStream } from './sniffing-adapter'
import type { StreamAdapter, StreamSink, WatchedFrame } from './stream-adapter'

export type { WatchedFrame } from './stream-adapter'

export interface WatcherOptions {
  host: string
  port: number
  /**
   * Largest message accepted from the peer, bytes, whatever it speaks. Default: the format's (messageLimit: 8 MiB from
   * a Framecast broadcaster, 32 MiB from a classic sender).
   */
  maxMessageBytes?: number
  /** A classic sender's length prefix, or 'auto' (default) to tell it from its first messages. */
  classicPrefix?: ClassicPrefixChoice
  /** Keep reconnecting after a failure or a lost stream (default true). */
  reconnect?: boolean
  /** Default CONNECT_TIMEOUT_MS. */
  connectTimeoutMs?: number
  /** No preamble and INFO this long after connecting -> HANDSHAKE_TIMEOUT. Default HANDSHAKE_TIMEOUT_MS. */
  handshakeTimeoutMs?: number
  /** No frame and no PONG this long -> lost, even if TCP stays open. Default LOST_AFTER_MS (3 s). */
  lostAfterMs?: number
  /** Live but no frame this long (PONGs still arrive) -> stalled. Default STALLED_AFTER_MS. */
  stalledAfterMs?: number
  /** Default PING_INTERVAL_MS. */
  pingIntervalMs?: number
  /**
   * 'native' (default): a Framecast broadcaster. 'classic': a classic OpenCV-script sender (length-prefixed pickles
   * or JPEGs; no handshake, no PING, no latency). 'auto': tell them apart by the first bytes the peer sends.
   */
  mode?: WatchMode
  /** This device's name as broadcasters list it (HELLO). Default: the machine's host name. */
  deviceName?: string
  /**
   * This device's identity, its paired broadcasters and the pairing code (src/core/secure/pairing-initiator.ts):
   * present, the watch asks for TLS and pairs with private broadcasters; absent, it only watches open ones.
   */
  security?: ViewerSecurity
}

export interface WatcherEvents {
  state: [WatchStatus]
  info: [StreamInfo]
  frame: [WatchedFrame]
  stats: [WatchStats]
  /** The watcher gave up (state 'error'); emitted only when someone listens, so it never throws. */
  error: [FramecastError]
}

/** Errors that another attempt cannot fix: the watcher stops in state 'error'. */
const FATAL: ReadonlySet<ErrorCode> = new Set([
  'BAD_MAGIC',
  'BAD_LENGTH_PREFIX',
  'MESSAGE_TOO_LARGE',
  'VERSION_MISMATCH',
  'BAD_ROLE',
  'UNSUPPORTED_TRANSPORT',
  'UNSUPPORTED_CODEC',
  'UNSUPPORTED_PICKLE',
  'INVALID_ARGUMENT',
  'KEY_CHANGED',
  'BLOCKED',
  'CODE_REQUIRED',
  'RATE_LIMITED',
  'KICKED'
])
/** Pairing errors a person fixes by typing the code again: fatal unless the watch asks for codes. */
const CODE_ERRORS: ReadonlySet<ErrorCode> = new Set(['PAIRING_FAILED', 'CODE_EXPIRED'])
/**
 * Faults in what the peer sent: likely to recur on the next connection, so the backoff keeps growing across them
 * even when the stream went live in between — a peer whose frames keep failing is not reconnected in a hot loop.
 */
const PEER_FAULTS: ReadonlySet<ErrorCode> = new Set(['MALFORMED_MESSAGE', 'UNEXPECTED_MESSAGE'])
const STATS_INTERVAL_MS = 1_000
/** Receive memory is taken in regions of this size; reads fill them front to back. */
const READ_REGION_BYTES = 1024 * 1024
/** A region with less room than this left is retired and a new one is started. */
const MIN_READ_BYTES = 64 * 1024
const LINGER_MS = 500

/**
 * Watches one broadcaster at host:port. start() connects (CONNECT_TIMEOUT), the adapter's greeting goes out and the
 * stream must be described within the handshake deadline (HANDSHAKE_TIMEOUT); then it is live, stalled after
 * `stalledAfterMs` without a frame and lost after `lostAfterMs` without hearing anything. A failed or lost connection
 * is retried after a backoff doubling from RECONNECT_MIN_MS to RECONNECT_MAX_MS (capped at RECONNECT_REFUSED_MAX_MS
 * while the connection is refused, so a broadcaster that starts is found quickly) unless the error is fatal or
 * `reconnect` is false. Events: 'state' on every change, 'info' when the stream is described, 'frame' per frame,
 * 'stats' once a second while live or stalled, 'error' when it gives up. Never throws from socket callbacks or timers.
 */
export class Watcher extends EventEmitter<WatcherEvents> {
  private readonly host: string
  private readonly port: number
  /** The message limit a person chose, or undefined for each format's own. */
  private readonly maxMessageBytes: number | undefined
  private readonly classicPrefix: ClassicPrefixChoice
  private readonly deviceName: string
  private readonly reconnect: boolean
  private readonly connectTimeoutMs: number
  private readonly handshakeTimeoutMs: number
  private readonly lostAfterMs: number
  private readonly stalledAfterMs: number
  private readonly pingIntervalMs: number
  private readonly mode: WatchMode

  private current: WatchStatus
  private started = false
  private stopping: Promise<void> | null = null
  private socket: net.Socket | null = null
  /** Where the current connection's bytes are written: the socket, or its TLS socket once TLS has started. */
  private out: net.Socket | null = null
  private readonly security: ViewerSecurity | undefined
  /** The pairing code to try: given up front, or typed; forgotten when the broadcaster says it was wrong. */
  private code: string | null
  /** What the current connection speaks; set together with `socket`, null between connections. */
  private stream: StreamAdapter | null = null
  /** Why the current connection failed, decided by whoever noticed first. */
  private failure: FramecastError | null = null
  private backoffMs = RECONNECT_MIN_MS
  /** Why the last stream ended, when the broadcaster said it stopped (BYE); null otherwise. */
  private stoppedBy: ErrorInfo | null = null
  private reconnectTimer: NodeJS.Timeout | null = null
  private connectTimer: NodeJS.Timeout | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  private pingTimer: NodeJS.Timeout | null = null
  private watchdogTimer: NodeJS.Timeout | null = null
  private statsTimer: NodeJS.Timeout | null = null
  private region: Buffer = Buffer.alloc(0)
  private regionFilled = 0
  private pingId = 0
  /** Arrival number of the next classic frame, counted across connections. */
  private arrivalSeq = 0
  private lastHeardAt = 0
  private lastFrameAt = 0

  private frames = 0
  /** Frames the broadcaster skipped for us (sequence gaps). */
  private gaps = 0
  /** Classic pickles skipped while an earlier one was being encoded to JPEG. */
  private skippedWhileEncoding = 0
  private readonly meter = new RateMeter()
  private readonly latencies = new RecentSamples(256)
  private readonly clock = new ClockOffset(8)

  constructor(options: WatcherOptions) {
    super()
    this.host = options.host
    this.port = options.port
    this.maxMessageBytes = options.maxMessageBytes
    this.classicPrefix = options.classicPrefix ?? 'auto'
    this.deviceName = options.deviceName ?? hostname()
    this.reconnect = options.reconnect ?? true
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.lostAfterMs = options.lostAfterMs ?? LOST_AFTER_MS
    this.stalledAfterMs = options.stalledAfterMs ?? STALLED_AFTER_MS
    this.pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS
    this.mode = options.mode ?? 'native'
    this.security = options.security
    this.code = options.security?.code ?? null
    this.current = { state: 'idle', host: this.host, port: this.port, attempt: 0, format: null, info: null, security: null, error: null }
  }

  /**
   * The person typed the pairing code: the broadcaster waiting for it gets it now (state 'pairing'), or the next
   * connection uses it. Throws INVALID_ARGUMENT unless it is 6 digits.
   */
  enterCode(code: string): void {
    if (!isPairingCode(code)) throw new FramecastError('INVALID_ARGUMENT', 'A pairing code is 6 digits')
    this.code = code
    if (this.current.state === 'pairing') {
      this.setState('connecting', null)
      this.stream?.enterCode?.(code)
    }
  }

  get status(): WatchStatus {
    return { ...this.current }
  }

  /** Broadcaster clock minus this machine's clock, in µs, from the lowest-RTT recent PING; null before the first. */
  get clockOffsetUs(): number | null {
    return this.clock.best()?.offsetUs ?? null
  }

  start(): void {
    if (this.started) return
    this.started = true
    if (!Number.isInteger(this.port) || this.port < 1 || this.port > 65535) {
      this.giveUp(new FramecastError('INVALID_ARGUMENT', `Port ${this.port} is not between 1 and 65535`))
      return
    }
    this.statsTimer = setInterval(() => this.guard(() => this.emitStats()), STATS_INTERVAL_MS)
    this.statsTimer.unref()
    this.connect('connecting')
  }

  /** Say BYE, stop reconnecting; resolves when the socket is closed. Idempotent. */
  stop(): Promise<void> {
    if (this.stopping) return this.stopping
    this.started = true
    this.clearTimers()
    if (this.statsTimer) clearInterval(this.statsTimer)
    this.statsTimer = null
    const socket = this.out ?? this.socket
    this.socket = null
    this.out = null
    this.stream?.close()
    this.stream = null
    this.stopping = new Promise<void>((resolve) => {
      if (socket === null || socket.destroyed) return resolve()
      socket.once('close', () => resolve())
      try {
        if (socket.writable && !socket.connecting) {
          socket.end(encodeBye('stopped'))
          setTimeout(() => socket.destroy(), LINGER_MS).unref()
        } else {
          socket.destroy()
        }
      } catch {
        socket.destroy()
      }
    })
    this.setState('idle', null)
    return this.stopping
  }

  /**
   * H.264: whoever shows the frames lost the chain after decoding `lastSeq` (u32; NO_SEQ for none): frames are held back
   * until the next keyframe, and the broadcaster is asked for one (at most once per KEYFRAME_REQUEST_MIN_MS). Nothing
   * happens for a JPEG or classic stream, or between connections.
   */
  requestKeyframe(lastSeq: number): void {
    this.stream?.requestKeyframe?.(lastSeq >>> 0)
  }

  /** Frame rate (frames/s), bit rate (kbit/s), counts since start, latency percentiles and RTT (ms) of now. */
  stats(): WatchStats {
    const now = monoMs()
    const p50 = this.latencies.percentile(50)
    const p95 = this.latencies.percentile(95)
    const best = this.clock.best()
    return {
      fps: Math.round(this.meter.rate(now) * 10) / 10,
      kbps: Math.round(this.meter.kbps(now)),
      frames: this.frames,
      gaps: this.gaps,
      skippedWhileEncoding: this.skippedWhileEncoding,
      latencyP50Ms: p50 === null ? null : round2(p50),
      latencyP95Ms: p95 === null ? null : round2(p95),
      rttMs: best === null ? null : round2(best.rttUs / 1000)
    }
  }

  // ---------------------------------------------------------------------------------------------------------------

  private connect(state: 'connecting' | 'reconnecting'): void {
    if (this.stopping) return
    this.current.attempt++
    this.failure = null
    this.current.security = null
    this.clock.reset()
    this.setState(state, this.current.error)
    const socket: net.Socket = net.connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: {
        buffer: () => this.nextReadBuffer(),
        callback: (bytes: number, into: Uint8Array) => {
          if (into.buffer === this.region.buffer) this.regionFilled = into.byteOffset - this.region.byteOffset + bytes
          this.guard(() => this.receive(socket, into.subarray(0, bytes)))
          return true
        }
      }
    })
    this.socket = socket
    this.out = socket
    this.stream = openStream(this.mode, this.sinkFor(socket), {
      maxMessageBytes: messageLimit('native', this.maxMessageBytes),
      classic: { prefix: this.classicPrefix, maxMessageBytes: messageLimit('classic', this.maxMessageBytes) },
      clock: this.clock,
      deviceName: this.deviceName,
      nextSeq: () => this.nextArrivalSeq(),
      ...(this.security !== undefined ? { security: this.security } : {})
    })
    this.connectTimer = setTimeout(
      () => this.guard(() => this.fail(socket, new FramecastError('CONNECT_TIMEOUT', `No answer from ${this.where()} within ${this.connectTimeoutMs / 1000} s`))),
      this.connectTimeoutMs
    )
    socket.on('connect', () => this.guard(() => this.connected(socket)))
    socket.on('error', (err) => this.guard(() => this.noteFailure(socket, fromSocketError(err, { host: this.host, port: this.port }))))
    socket.on('end', () => this.guard(() => this.peerEnded(socket)))
    socket.on('close', () => this.guard(() => this.closed(socket)))
  }

  /**
   * How the adapters of one connection reach the lifecycle. Every call checks that `socket` is still the current
   * connection, so an adapter whose connection has ended (a classic encode finishing late) changes nothing; calls that
   * can come from a promise or emit to listeners are guarded like socket callbacks.
   */
  private sinkFor(socket: net.Socket): StreamSink {
    const current = (): boolean => socket === this.socket
    return {
      where: this.where(),
      heard: () => {
        if (current()) this.lastHeardAt = monoMs()
      },
      introduced: () => {
        if (current()) this.clearTimer('handshakeTimer')
      },
      described: (info) =>
        this.guard(() => {
          if (current()) this.described(info)
        }),
      gap: (frames) => {
        if (current()) this.gaps += frames
      },
      skippedWhileEncoding: (images) => {
        if (current()) this.skippedWhileEncoding += images
      },
      frame: (frame) =>
        this.guard(() => {
          if (current()) this.delivered(frame)
        }),
      fail: (error) => this.guard(() => this.fail(socket, error)),
      send: (bytes) => {
        const out = this.out
        if (current() && out !== null && out.writable) out.write(bytes)
      },
      adopt: (adapter) => {
        if (current()) this.adopt(socket, adapter)
      },
      startTls: (secured) => {
        if (current()) this.startTls(socket, secured)
      },
      // Told with the next state change ('pairing' or 'live'), not as one of its own.
      security: (security) => {
        if (current()) this.current.security = security
      },
      awaitingCode: () =>
        this.guard(() => {
          if (current()) this.awaitingCode(socket)
        }),
      code: () => this.code
    }
  }

  /**
   * The broadcaster is private: TLS 1.3 on this connection, this device the client. Plaintext goes to the adapter as
   * the socket's bytes did; a TLS failure (no TLS 1.3, no certificate) ends the connection with UNSUPPORTED_TRANSPORT.
   */
  private startTls(socket: net.Socket, secured: (session: TlsSession | null) => void): void {
    const identity = this.security?.store.identity
    if (identity === undefined) {
      this.fail(socket, new FramecastError('UNSUPPORTED_TRANSPORT', `${this.where()} wants TLS, and this viewer has no device identity`))
      return
    }
    const secure = clientTls(socket, identity)
    this.out = secure
    secure.on('data', (chunk: Buffer) => this.guard(() => this.receive(socket, chunk)))
    secure.on('end', () => this.guard(() => this.peerEnded(socket)))
    secure.on('error', (err: NodeJS.ErrnoException) =>
      this.guard(() => {
        const tlsFault = typeof err.code === 'string' && err.code.startsWith('ERR_SSL')
        this.noteFailure(
          socket,
          tlsFault
            ? new FramecastError('UNSUPPORTED_TRANSPORT', `TLS 1.3 with ${this.where()} failed: ${err.message}`)
            : fromSocketError(err, { host: this.host, port: this.port })
        )
        secure.destroy()
        socket.destroy()
      })
    )
    secure.once('secureConnect', () =>
      this.guard(() => {
        if (socket === this.socket) secured(sessionOf(secure, identity))
      })
    )
  }

  /** The broadcaster waits for the code: so does this watch, for as long as the broadcaster will (PAIRING_TIMEOUT_MS). */
  private awaitingCode(socket: net.Socket): void {
    this.clearTimer('handshakeTimer')
    this.handshakeTimer = setTimeout(
      () => this.guard(() => this.fail(socket, new FramecastError('CODE_REQUIRED', `No pairing code was typed for ${this.where()} in time`))),
      PAIRING_TIMEOUT_MS
    )
    this.setState('pairing', this.current.error)
  }

  private connected(socket: net.Socket): void {
    const stream = this.stream
    if (socket !== this.socket || stream === null) return
    this.clearTimer('connectTimer')
    if (stream.greeting !== null) socket.write(stream.greeting)
    this.lastHeardAt = monoMs()
    const silent = `${this.where()} accepted the connection but ${stream.silence}`
    this.handshakeTimer = setTimeout(() => this.guard(() => this.fail(socket, new FramecastError('HANDSHAKE_TIMEOUT', silent))), this.handshakeTimeoutMs)
    if (stream.pings) this.startPinging(socket)
    const tick = Math.max(20, Math.min(100, this.lostAfterMs / 10, this.stalledAfterMs / 4))
    this.watchdogTimer = setInterval(() => this.guard(() => this.watchdog(socket)), tick)
  }

  /** 'auto': the first bytes chose `adapter`; it takes over the connection (and pings, if it does). */
  private adopt(socket: net.Socket, adapter: StreamAdapter): void {
    this.stream = adapter
    this.current.format = adapter.format
    if (adapter.pings) this.startPinging(socket)
  }

  private startPinging(socket: net.Socket): void {
    if (this.pingTimer !== null) return
    this.ping(socket)
    this.pingTimer = setInterval(() => this.guard(() => this.ping(socket)), this.pingIntervalMs)
  }

  private ping(socket: net.Socket): void {
    if (socket !== this.socket || !(this.out ?? socket).writable || this.stream === null) return
    this.pingId = (this.pingId + 1) >>> 0
    this.stream.ping(this.pingId)
  }

  private nextArrivalSeq(): number {
    const seq = this.arrivalSeq
    this.arrivalSeq = (seq + 1) >>> 0
    return seq
  }

  /**
   * The socket reads straight into consecutive slices of one large region, so a frame that arrives over several reads
   * still lies back to back in memory and the decoder hands it out as a view instead of copying it together.
   */
  private nextReadBuffer(): Uint8Array {
    if (this.region.length - this.regionFilled < MIN_READ_BYTES) {
      this.region = Buffer.allocUnsafe(READ_REGION_BYTES)
      this.regionFilled = 0
    }
    return this.region.subarray(this.regionFilled)
  }

  private receive(socket: net.Socket, chunk: Uint8Array): void {
    if (socket === this.socket) this.stream?.push(chunk)
  }

  /**
   * The stream is described: announce it; the first description of a connection makes the watch live. A description
   * that changes nothing is ignored (a peer repeating INFO must not flood the listeners with events).
   */
  private described(info: StreamInfo): void {
    const streaming = this.current.state === 'live' || this.current.state === 'stalled'
    if (streaming && sameStreamInfo(info, this.current.info)) return
    this.current.info = info
    this.current.format = this.stream?.format ?? this.current.format
    // The classic format has no handshake and no encryption: open by nature.
    if (this.current.format === 'classic') this.current.security = { encrypted: false, fingerprint: null, paired: false }
    this.emit('info', info)
    if (!streaming) {
      this.clearTimer('handshakeTimer')
      this.lastFrameAt = monoMs()
      this.setState('live', null)
    } else {
      this.setState(this.current.state, this.current.error)
    }
  }

  private delivered(frame: WatchedFrame): void {
    const now = monoMs()
    this.lastHeardAt = now
    this.lastFrameAt = now
    this.frames++
    this.meter.record(frame.payload.length, now)
    if (frame.latencyMs !== null) this.latencies.add(frame.latencyMs)
    if (this.current.state === 'stalled') this.setState('live', null)
    this.emit('frame', frame)
  }

  private watchdog(socket: net.Socket): void {
    // Before the stream is described the handshake deadline is in charge.
    if (socket !== this.socket || this.handshakeTimer !== null) return
    const now = monoMs()
    if (now - this.lastHeardAt >= this.lostAfterMs) {
      this.fail(socket, new FramecastError('PEER_LOST', `Nothing heard from ${this.where()} for ${Math.round((now - this.lastHeardAt) / 100) / 10} s`))
    } else if (this.current.state === 'live' && now - this.lastFrameAt >= this.stalledAfterMs) {
      this.setState('stalled', null)
    }
  }

  private noteFailure(socket: net.Socket, err: FramecastError): void {
    if (socket === this.socket && this.failure === null) this.failure = err
  }

  private peerEnded(socket: net.Socket): void {
    if (socket !== this.socket) return
    const truncated = this.stream?.end()
    this.noteFailure(
      socket,
      truncated?.code === 'TRUNCATED' || this.current.info === null
        ? new FramecastError('CONNECTION_RESET', `${this.where()} closed the connection${this.current.info === null ? ' before the stream started' : ''}`)
        : new FramecastError('PEER_LOST', `The broadcaster at ${this.where()} closed the connection`)
    )
    ;(this.out ?? socket).end()
  }

  /** End the current connection for `err` (unless another cause was already found) and decide what comes next. */
  private fail(socket: net.Socket, err: FramecastError): void {
    if (socket !== this.socket) return
    this.noteFailure(socket, err)
    this.stream?.close()
    if (this.out !== null && this.out !== socket) this.out.destroy()
    socket.destroy()
    // 'close' follows and calls closed()
  }

  private closed(socket: net.Socket): void {
    if (socket !== this.socket) return
    this.socket = null
    this.out = null
    this.stream?.close()
    this.stream = null
    this.clearTimers()
    const err = this.failure ?? new FramecastError('CONNECTION_RESET', `The connection to ${this.where()} was closed`)
    this.failure = null
    const wasStreaming = this.current.state === 'live' || this.current.state === 'stalled'
    // After a broadcaster said it stopped, a refused retry keeps saying so: a closed port is what a stopped broadcaster
    // looks like, and the person needs the cause, not its echo. (One that vanished shows the refusal.)
    if (wasStreaming) this.stoppedBy = err instanceof PeerStoppedError ? { code: err.code, message: err.message } : null
    const error: ErrorInfo = err.code === 'CONNECTION_REFUSED' && this.stoppedBy !== null ? this.stoppedBy : { code: err.code, message: err.message }
    // A code the broadcaster turned down is not tried again.
    if (CODE_ERRORS.has(err.code)) this.code = null
    if (FATAL.has(err.code) || (CODE_ERRORS.has(err.code) && !this.security?.askForCode)) {
      this.giveUp(err)
      return
    }
    if (wasStreaming) {
      this.current.attempt = 0
      if (!PEER_FAULTS.has(err.code)) this.backoffMs = RECONNECT_MIN_MS
      this.setState('lost', error)
    }
    if (!this.reconnect) {
      if (!wasStreaming) this.giveUp(err)
      return
    }
    this.scheduleReconnect(err.code, error)
  }

  private giveUp(err: FramecastError): void {
    this.setState('error', { code: err.code, message: err.message })
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }

  private scheduleReconnect(code: ErrorCode, error: ErrorInfo): void {
    const cap = code === 'CONNECTION_REFUSED' ? RECONNECT_REFUSED_MAX_MS : RECONNECT_MAX_MS
    const base = Math.min(this.backoffMs, cap)
    this.backoffMs = Math.min(this.backoffMs * 2, RECONNECT_MAX_MS)
    const delay = base * (0.8 + 0.4 * Math.random())
    this.setState('reconnecting', error)
    this.reconnectTimer = setTimeout(() => this.guard(() => {
      this.reconnectTimer = null
      this.connect('reconnecting')
    }), delay)
  }

  private emitStats(): void {
    if (this.current.state === 'live' || this.current.state === 'stalled') this.emit('stats', this.stats())
  }

  private setState(state: WatchState, error: ErrorInfo | null): void {
    this.current.state = state
    this.current.error = error
    this.emit('state', this.status)
  }

  private clearTimer(name: 'connectTimer' | 'handshakeTimer' | 'reconnectTimer'): void {
    const t = this[name]
    if (t !== null) clearTimeout(t)
    this[name] = null
  }

  private clearTimers(): void {
    this.clearTimer('connectTimer')
    this.clearTimer('handshakeTimer')
    this.clearTimer('reconnectTimer')
    if (this.pingTimer !== null) clearInterval(this.pingTimer)
    if (this.watchdogTimer !== null) clearInterval(this.watchdogTimer)
    this.pingTimer = null
    this.watchdogTimer = null
  }

  private where(): string {
    return formatHostPort(this.host, this.port)
  }

  /** Socket callbacks and timers never throw: a fault ends the connection and follows the normal retry path. */
  private guard(fn: () => void): void {
    try {
      fn()
    } catch (e) {
      try {
        const socket = this.socket
        if (socket !== null) this.fail(socket, new FramecastError('INTERNAL', `internal fault: ${String(e)}`))
      } catch {
        // nothing more to do
      }
    }
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
