// The watcher: connects to a broadcaster, keeps the connection alive with PING, estimates the clock offset from the
// PONGs, and reconnects with backoff until stopped.
//
// States: connecting -> live (first INFO) -> stalled (PONGs but no frames) -> lost (nothing at all, or the connection
// ended) -> reconnecting -> live. 'error' is for what retrying cannot fix (not a Framecast broadcaster, another
// protocol version, an unsupported codec, transport or pickle); everything else keeps retrying with `error` saying why.
// In 'classic' mode (or 'auto' meeting a classic OpenCV sender) the first frame makes the stream live, frames carry
// no capture time (latency null), and silence is judged by frames alone.

import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  type ErrorCode,
  HANDSHAKE_TIMEOUT_MS,
  LOST_AFTER_MS,
  type Message,
  nowUs,
  PING_INTERVAL_MS,
  RECONNECT_MAX_MS,
  RECONNECT_MIN_MS,
  RECONNECT_REFUSED_MAX_MS,
  STALLED_AFTER_MS,
  type StreamInfo
} from '../../shared/protocol'
import type { ErrorInfo, WatchMode, WatchState, WatchStats, WatchStatus } from '../../shared/status'
import { ClassicReceiver, type ClassicFrame } from '../classic/classic-receiver'
import { SNIFF_BYTES, sniffStream } from '../classic/framing'
import { Decoder, encodeBye, encodeError, encodePing, encodePreamble } from '../codec/codec'
import { formatHostPort } from '../../shared/address'
import { FramecastError, fromSocketError } from '../errors'
import { ClockOffset, monoMs, RateMeter, RecentSamples } from '../../shared/stats'

export interface WatcherOptions {
  host: string
  port: number
  /** Largest message accepted from the broadcaster (default DEFAULT_MAX_MESSAGE_BYTES). */
  maxMessageBytes?: number
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
}

export interface WatchedFrame {
  seq: number
  /** Capture time on the broadcaster's clock, µs since the epoch. */
  capturedAtUs: number
  /** When the frame was read from the socket, on this machine's clock. */
  receivedAtUs: number
  /** Capture-to-receipt estimate using the clock offset; null until the first PONG. */
  latencyMs: number | null
  payload: Uint8Array
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
  'VERSION_MISMATCH',
  'BAD_ROLE',
  'UNSUPPORTED_TRANSPORT',
  'UNSUPPORTED_CODEC',
  'UNSUPPORTED_PICKLE',
  'INVALID_ARGUMENT'
])
const STATS_INTERVAL_MS = 1_000
/** Receive memory is taken in regions of this size; reads fill them front to back. */
const READ_REGION_BYTES = 1024 * 1024
/** A region with less room than this left is retired and a new one is started. */
const MIN_READ_BYTES = 64 * 1024
const LINGER_MS = 500

export class Watcher extends EventEmitter<WatcherEvents> {
  private readonly host: string
  private readonly port: number
  private readonly maxMessageBytes: number
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
  /** What the current connection speaks: decided at connect ('native', 'classic') or by the first bytes ('auto'). */
  private format: 'native' | 'classic' | null = null
  private decoder: Decoder | null = null
  private classicReceiver: ClassicReceiver | null = null
  /** The first bytes of the connection, kept to tell formats apart or to explain a mismatch. */
  private firstBytes: Buffer = Buffer.alloc(0)
  private classicSeq = 0
  private classicDropped = 0
  /** Why the current connection failed, decided by whoever noticed first. */
  private failure: FramecastError | null = null
  private backoffMs = RECONNECT_MIN_MS
  private reconnectTimer: NodeJS.Timeout | null = null
  private connectTimer: NodeJS.Timeout | null = null
  private handshakeTimer: NodeJS.Timeout | null = null
  private pingTimer: NodeJS.Timeout | null = null
  private watchdogTimer: NodeJS.Timeout | null = null
  private statsTimer: NodeJS.Timeout | null = null
  private region: Buffer = Buffer.alloc(0)
  private regionFilled = 0
  private pingId = 0
  private lastHeardAt = 0
  private lastFrameAt = 0
  private lastSeq: number | null = null

  private frames = 0
  private dropped = 0
  private readonly meter = new RateMeter()
  private readonly latencies = new RecentSamples(256)
  private readonly clock = new ClockOffset(8)

  constructor(options: WatcherOptions) {
    super()
    this.host = options.host
    this.port = options.port
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.reconnect = options.reconnect ?? true
    this.connectTimeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.lostAfterMs = options.lostAfterMs ?? LOST_AFTER_MS
    this.stalledAfterMs = options.stalledAfterMs ?? STALLED_AFTER_MS
    this.pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS
    this.mode = options.mode ?? 'native'
    this.current = { state: 'idle', host: this.host, port: this.port, attempt: 0, format: null, info: null, error: null }
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
    const socket = this.socket
    this.socket = null
    this.decoder = null
    this.classicReceiver?.close()
    this.classicReceiver = null
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

  stats(): WatchStats {
    const now = monoMs()
    const p50 = this.latencies.percentile(50)
    const p95 = this.latencies.percentile(95)
    const best = this.clock.best()
    return {
      fps: Math.round(this.meter.rate(now) * 10) / 10,
      kbps: Math.round(this.meter.kbps(now)),
      frames: this.frames,
      dropped: this.dropped,
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
    this.format = null
    this.decoder = null
    this.classicReceiver = null
    this.firstBytes = Buffer.alloc(0)
    if (this.mode === 'native') this.useNative()
    else if (this.mode === 'classic') this.useClassic()
    this.lastSeq = null
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
    this.connectTimer = setTimeout(
      () => this.guard(() => this.fail(socket, new FramecastError('CONNECT_TIMEOUT', `No answer from ${this.where()} within ${this.connectTimeoutMs / 1000} s`))),
      this.connectTimeoutMs
    )
    socket.on('connect', () => this.guard(() => this.connected(socket)))
    socket.on('error', (err) => this.guard(() => this.noteFailure(socket, fromSocketError(err, { host: this.host, port: this.port }))))
    socket.on('end', () => this.guard(() => this.peerEnded(socket)))
    socket.on('close', () => this.guard(() => this.closed(socket)))
  }

  private connected(socket: net.Socket): void {
    if (socket !== this.socket) return
    this.clearTimer('connectTimer')
    // A classic sender never reads, so in 'auto' the preamble costs nothing if the peer turns out to be one.
    if (this.mode !== 'classic') socket.write(encodePreamble('viewer'))
    this.lastHeardAt = monoMs()
    const silent =
      this.mode === 'classic'
        ? `${this.where()} accepted the connection but sent no frame`
        : `${this.where()} accepted the connection but never introduced itself as a Framecast broadcaster`
    this.handshakeTimer = setTimeout(() => this.guard(() => this.fail(socket, new FramecastError('HANDSHAKE_TIMEOUT', silent))), this.handshakeTimeoutMs)
    if (this.format === 'native') this.startPinging(socket)
    const tick = Math.max(20, Math.min(100, this.lostAfterMs / 10, this.stalledAfterMs / 4))
    this.watchdogTimer = setInterval(() => this.guard(() => this.watchdog(socket)), tick)
  }

  private startPinging(socket: net.Socket): void {
    if (this.pingTimer !== null) return
    this.ping(socket)
    this.pingTimer = setInterval(() => this.guard(() => this.ping(socket)), this.pingIntervalMs)
  }

  private useNative(): void {
    this.format = 'native'
    this.decoder = new Decoder({ expectRole: 'broadcaster', maxMessageBytes: this.maxMessageBytes })
  }

  private useClassic(): void {
    this.format = 'classic'
    const socket = (): net.Socket | null => this.socket
    const receiver: ClassicReceiver = new ClassicReceiver({
      maxMessageBytes: this.maxMessageBytes,
      onFrame: (f) => this.guard(() => receiver === this.classicReceiver && this.classicFrame(f)),
      onError: (e) => this.guard(() => {
        const s = socket()
        if (receiver === this.classicReceiver && s !== null) this.fail(s, e)
      })
    })
    this.classicReceiver = receiver
    this.classicDropped = 0
  }

  private ping(socket: net.Socket): void {
    if (socket !== this.socket || !socket.writable) return
    this.pingId = (this.pingId + 1) >>> 0
    socket.write(encodePing(this.pingId, nowUs()))
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
    if (socket !== this.socket) return
    const before = this.firstBytes.length
    if (before < SNIFF_BYTES) {
      this.firstBytes = Buffer.concat([this.firstBytes, chunk.subarray(0, SNIFF_BYTES - before)])
      if (this.format === null) {
        // 'auto': earlier chunks were held whole in firstBytes until the format was clear.
        if (!this.decide(socket)) return
        if (before > 0) this.feed(socket, this.firstBytes.subarray(0, before))
      } else if (this.mode === 'classic' && !this.checkClassic(socket)) {
        return
      }
    }
    this.feed(socket, chunk)
  }

  /** 'auto': decide the format once enough bytes are in. Returns false while undecided or after failing. */
  private decide(socket: net.Socket): boolean {
    const verdict = sniffStream(this.firstBytes, this.maxMessageBytes)
    if (verdict === undefined) return false
    if (verdict instanceof FramecastError) {
      this.fail(socket, new FramecastError(verdict.code, `${this.where()}: ${verdict.message}`))
      return false
    }
    if (verdict === 'native') {
      this.useNative()
      this.startPinging(socket)
    } else {
      this.useClassic()
    }
    this.current.format = verdict
    return true
  }

  /** 'classic': a Framecast broadcaster announces itself at once; say so instead of failing on its preamble. */
  private checkClassic(socket: net.Socket): boolean {
    if (sniffStream(this.firstBytes, this.maxMessageBytes) !== 'native') return true
    this.fail(socket, new FramecastError('BAD_MAGIC', `${this.where()} is a Framecast broadcaster, not a classic OpenCV sender; watch it in Framecast or Auto mode`))
    return false
  }

  private feed(socket: net.Socket, chunk: Uint8Array): void {
    if (socket !== this.socket || chunk.length === 0) return
    if (this.classicReceiver !== null) {
      this.lastHeardAt = monoMs()
      this.classicReceiver.push(chunk)
      return
    }
    if (this.decoder === null) return
    const receivedAtUs = nowUs()
    const now = monoMs()
    const decoder = this.decoder
    const messages = decoder.push(chunk)
    if (messages.length > 0) this.lastHeardAt = now
    for (const m of messages) {
      if (socket !== this.socket) return
      this.handle(socket, m, receivedAtUs, now)
    }
    const err = decoder.error
    if (err && socket === this.socket) {
      if (socket.writable) socket.write(encodeError(err.code, err.message))
      this.fail(socket, this.explain(err))
    }
  }

  /** A decoder error, in words; a classic stream met in 'native' mode is named as such. */
  private explain(err: FramecastError): FramecastError {
    if (err.code === 'BAD_MAGIC' && this.mode === 'native' && sniffStream(this.firstBytes, this.maxMessageBytes) === 'classic') {
      return new FramecastError('BAD_MAGIC', `${this.where()} sends the classic OpenCV format, not Framecast; watch it in Classic or Auto mode`)
    }
    return describe(err, this.where())
  }

  private classicFrame(f: ClassicFrame): void {
    const socket = this.socket
    if (socket === null) return
    const now = monoMs()
    this.lastHeardAt = now
    this.lastFrameAt = now
    const info = this.current.info
    if (this.current.format !== 'classic' || info === null || info.width !== f.width || info.height !== f.height) {
      const next: StreamInfo = { codec: 'jpeg', width: f.width, height: f.height, fps: 0, name: `Classic sender at ${this.where()}` }
      this.current.info = next
      this.current.format = 'classic'
      this.emit('info', next)
    }
    if (this.handshakeTimer !== null) {
      this.clearTimer('handshakeTimer')
      this.backoffMs = RECONNECT_MIN_MS
      this.setState('live', null)
    } else if (this.current.state === 'stalled') {
      this.setState('live', null)
    }
    const receiver = this.classicReceiver
    if (receiver !== null && receiver.skippedWhileEncoding > this.classicDropped) {
      this.dropped += receiver.skippedWhileEncoding - this.classicDropped
      this.classicDropped = receiver.skippedWhileEncoding
    }
    const seq = this.classicSeq
    this.classicSeq = (this.classicSeq + 1) >>> 0
    this.frames++
    this.meter.record(f.jpeg.length, now)
    this.emit('frame', { seq, capturedAtUs: f.receivedAtUs, receivedAtUs: f.receivedAtUs, latencyMs: null, payload: f.jpeg })
  }

  private handle(socket: net.Socket, m: Message, receivedAtUs: number, now: number): void {
    switch (m.type) {
      case 'preamble':
      case 'unknown':
        return
      case 'info': {
        const { type: _type, ...info } = m
        this.current.info = info
        this.current.format = 'native'
        this.emit('info', info)
        if (this.handshakeTimer !== null) {
          this.clearTimer('handshakeTimer')
          this.lastFrameAt = now
          this.backoffMs = RECONNECT_MIN_MS
          this.setState('live', null)
        } else {
          this.setState(this.current.state, this.current.error)
        }
        return
      }
      case 'frame': {
        if (this.current.info === null || this.handshakeTimer !== null) {
          this.fail(socket, new FramecastError('UNEXPECTED_MESSAGE', `${this.where()} sent a frame before describing the stream`))
          return
        }
        this.lastFrameAt = now
        if (this.lastSeq !== null) {
          const gap = (m.seq - this.lastSeq - 1) >>> 0
          if (gap > 0 && gap < 0x8000_0000) this.dropped += gap
        }
        this.lastSeq = m.seq
        this.frames++
        this.meter.record(m.payload.length, now)
        const best = this.clock.best()
        let latencyMs: number | null = null
        if (best !== null) {
          latencyMs = Math.max(0, (receivedAtUs + best.offsetUs - m.capturedAtUs) / 1000)
          this.latencies.add(latencyMs)
        }
        if (this.current.state === 'stalled') this.setState('live', null)
        this.emit('frame', { seq: m.seq, capturedAtUs: m.capturedAtUs, receivedAtUs, latencyMs, payload: m.payload })
        return
      }
      case 'pong':
        this.clock.add(m.t1, m.t2, m.t3, receivedAtUs)
        return
      case 'bye': {
        const err =
          m.reason === 'stalled'
            ? new FramecastError('STALLED', `${this.where()} cut this viewer off because it fell behind`)
            : m.reason === 'idle'
              ? new FramecastError('IDLE_TIMEOUT', `${this.where()} closed the connection after hearing nothing from this viewer`)
              : new FramecastError('PEER_LOST', `The broadcaster at ${this.where()} stopped${m.text ? `: ${m.text}` : ''}`)
        this.fail(socket, err)
        return
      }
      case 'error': {
        const code: ErrorCode = m.code === 'UNKNOWN' ? 'INTERNAL' : m.code
        this.fail(socket, describe(new FramecastError(code, m.text || code), this.where()))
        return
      }
      case 'ping':
        this.fail(socket, new FramecastError('UNEXPECTED_MESSAGE', `${this.where()} sent a PING; only viewers do`))
        return
    }
  }

  private watchdog(socket: net.Socket): void {
    // Before INFO the handshake deadline is in charge.
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
    const truncated = this.classicReceiver?.end() ?? this.decoder?.end()
    this.noteFailure(
      socket,
      truncated?.code === 'TRUNCATED' || this.current.info === null
        ? new FramecastError('CONNECTION_RESET', `${this.where()} closed the connection${this.current.info === null ? ' before the stream started' : ''}`)
        : new FramecastError('PEER_LOST', `The broadcaster at ${this.where()} closed the connection`)
    )
    socket.end()
  }

  /** End the current connection for `err` (unless another cause was already found) and decide what comes next. */
  private fail(socket: net.Socket, err: FramecastError): void {
    if (socket !== this.socket) return
    this.noteFailure(socket, err)
    socket.destroy()
    // 'close' follows and calls closed()
  }

  private closed(socket: net.Socket): void {
    if (socket !== this.socket) return
    this.socket = null
    this.decoder = null
    this.classicReceiver?.close()
    this.classicReceiver = null
    this.clearTimers()
    const err = this.failure ?? new FramecastError('CONNECTION_RESET', `The connection to ${this.where()} was closed`)
    this.failure = null
    const wasStreaming = this.current.state === 'live' || this.current.state === 'stalled'
    const error: ErrorInfo = { code: err.code, message: err.message }
    if (FATAL.has(err.code)) {
      this.giveUp(err)
      return
    }
    if (wasStreaming) {
      this.current.attempt = 0
      this.backoffMs = RECONNECT_MIN_MS
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

/** Turn a decoder or peer error into a sentence for the person watching. */
function describe(err: FramecastError, where: string): FramecastError {
  switch (err.code) {
    case 'BAD_MAGIC':
      return new FramecastError('BAD_MAGIC', `${where} is not a Framecast broadcaster`)
    case 'VERSION_MISMATCH':
      return new FramecastError('VERSION_MISMATCH', `${where} runs a different Framecast version (${err.message})`)
    case 'BAD_ROLE':
      return new FramecastError('BAD_ROLE', `${where} speaks Framecast but is not a broadcaster`)
    case 'SERVER_FULL':
      return new FramecastError('SERVER_FULL', `${where} has all the viewers it accepts (${err.message})`)
    default:
      return err
  }
}

function round2(n: number): number {
  return Math.round(n * 100) / 100
}
