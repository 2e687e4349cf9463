// The broadcaster: a TCP server that hands every frame to up to N viewers, newest frame wins per viewer.
//
// Per viewer there is at most one frame waiting in user space besides what the socket itself holds: a frame is
// written only while the socket does not need to drain; otherwise it replaces the viewer's single pending frame (the
// replaced one counts as dropped) and goes out on 'drain'. A slow viewer therefore costs at most one frame plus its
// socket buffer, and never delays anyone else. A viewer whose socket has not drained for `stallTimeoutMs` is cut off.
//
// Nothing thrown by a peer's bytes can escape a socket callback: the decoder never throws, and every handler that
// touches a socket is wrapped so a fault closes that one viewer.

import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  type ByeReasonName,
  Codec,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_VIEWERS,
  DEFAULT_PORT,
  type ErrorCode,
  FRAME_PREFIX_BYTES,
  HANDSHAKE_TIMEOUT_MS,
  HEADER_BYTES,
  IDLE_TIMEOUT_MS,
  type Message,
  nowUs,
  type StreamInfo,
  UNKNOWN_MAX_BYTES
} from '../../shared/protocol'
import type { ViewerStats } from '../../shared/status'
import { Decoder, encodeBye, encodeError, encodeFrameHead, encodeInfo, encodePong, encodePreamble } from '../codec/codec'
import { formatHostPort } from '../../shared/address'
import { FramecastError, fromSocketError } from '../errors'
import { encodeClassicHeader } from '../classic/framing'
import { monoMs, RateMeter } from '../../shared/stats'

/**
 * A viewer whose socket has not drained for this long is cut off with STALLED: it has read less than one frame plus
 * its socket buffer in that time, which at any useful frame size means it is gone or hopelessly slow.
 */
export const STALL_TIMEOUT_MS = 5_000
/** Connections that have not finished the handshake, beyond which new ones are refused at once. */
export const MAX_PENDING_HANDSHAKES = 64
/** PINGs answered per viewer per second; more are ignored. */
const MAX_PINGS_PER_SECOND = 20
/** How long a closing connection may take to read our last words before it is destroyed. */
const LINGER_MS = 1_000

export interface BroadcasterOptions {
  /** Address to listen on. Default '::' (IPv4 and IPv6); falls back to '0.0.0.0' where IPv6 is unavailable. */
  host?: string
  /** Default DEFAULT_PORT (9999); 0 picks any free port. */
  port?: number
  info: StreamInfo
  /** Default DEFAULT_MAX_VIEWERS (16). The next viewer gets an ERROR SERVER_FULL and is closed. */
  maxViewers?: number
  /** Largest frame send() accepts (default DEFAULT_MAX_MESSAGE_BYTES, the viewers' default limit). */
  maxMessageBytes?: number
  /** A connection that has not sent a valid preamble by then is closed with HANDSHAKE_TIMEOUT. Default 5 s. */
  handshakeTimeoutMs?: number
  /** A viewer that sends nothing (not even PING) for this long is closed with IDLE_TIMEOUT. Default 10 s. */
  idleTimeoutMs?: number
  /** A viewer whose socket has not drained for this long is cut off with STALLED. Default STALL_TIMEOUT_MS (5 s). */
  stallTimeoutMs?: number
  /**
   * 'native' (default): the Framecast protocol. 'classic': the classic OpenCV-script format — no handshake, no
   * control messages, each frame an 8-byte little-endian length and the payload; viewers join on connect, are never
   * idle-timed-out (they send nothing), and one over the limit is closed without a word.
   */
  framing?: 'native' | 'classic'
}

export interface BroadcastFrame {
  /** Sequence number; by default one more than the previous frame's. */
  seq?: number
  /** Capture time, µs since the epoch on this machine's clock (nowUs()). */
  capturedAtUs: number
  /** JPEG bytes. Not copied: do not modify them after send(). */
  payload: Uint8Array
}

/** What viewers() reports: the IPC ViewerStats plus back-pressure figures. */
export interface BroadcastViewer extends ViewerStats {
  /** Bytes held for this viewer in this process: its pending frame plus the socket's unsent buffer. */
  pendingBytes: number
  /** True while this viewer's socket is waiting to drain. */
  blocked: boolean
}

export interface BroadcasterTotals {
  /** Frames handed to send(). */
  frames: number
  /** Bytes written to all viewers (headers included). */
  bytes: number
  /** Frames dropped for slow viewers, summed over all viewers, past and present. */
  dropped: number
  viewersEver: number
  /** Connections closed before they became viewers: full, garbage, silent, wrong version. */
  refused: number
  /** send() calls per second over the last second. */
  fps: number
  /** Outgoing kilobits per second to all viewers over the last second. */
  kbps: number
  /** Bytes held for all viewers in this process (pending frames plus socket buffers). */
  pendingBytes: number
}

export interface ViewerLeft {
  viewer: ViewerStats
  code: ErrorCode | null
  reason: string
}

export interface Refused {
  address: string
  code: ErrorCode
}

export interface BroadcasterEvents {
  'viewer-joined': [ViewerStats]
  'viewer-left': [ViewerLeft]
  refused: [Refused]
  /** Every viewer can take a frame at once (emitted when the last blocked viewer drains). */
  ready: []
  error: [FramecastError]
}

interface PendingFrame {
  head: Buffer
  payload: Uint8Array
}

interface Conn {
  id: number
  socket: net.Socket
  address: string
  /** ms since epoch */
  since: number
  phase: 'handshake' | 'live' | 'closing'
  decoder: Decoder
  acceptedAt: number
  lastHeardAt: number
  pingWindowStart: number
  pingsInWindow: number
  blockedSince: number | null
  pending: PendingFrame | null
  frames: number
  bytes: number
  dropped: number
  meter: RateMeter
}

export class Broadcaster extends EventEmitter<BroadcasterEvents> {
  readonly port: number
  readonly host: string
  private info: StreamInfo
  private infoMessage: Buffer
  private readonly maxViewers: number
  private readonly maxMessageBytes: number
  private readonly handshakeTimeoutMs: number
  private readonly idleTimeoutMs: number
  private readonly stallTimeoutMs: number
  private readonly classic: boolean
  private readonly conns = new Set<Conn>()
  private liveCount = 0
  private nextId = 1
  private nextSeq = 0
  private readonly sweepTimer: NodeJS.Timeout
  private closing: Promise<void> | null = null
  private readonly totals = { frames: 0, bytes: 0, dropped: 0, viewersEver: 0, refused: 0 }
  private readonly sendMeter = new RateMeter()
  private readonly outMeter = new RateMeter(1_000, 8_192)
  private blockedCount = 0

  private constructor(
    private readonly server: net.Server,
    options: BroadcasterOptions
  ) {
    super()
    const addr = server.address() as net.AddressInfo
    this.port = addr.port
    this.host = addr.address
    this.info = options.info
    this.infoMessage = encodeInfo(options.info)
    this.maxViewers = options.maxViewers ?? DEFAULT_MAX_VIEWERS
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS
    this.stallTimeoutMs = options.stallTimeoutMs ?? STALL_TIMEOUT_MS
    this.classic = options.framing === 'classic'
    server.on('connection', (socket) => guard(() => this.accept(socket), () => socket.destroy()))
    server.on('error', (err) => this.report(fromSocketError(err, { host: this.host, port: this.port })))
    const tick = Math.min(250, Math.max(10, Math.min(this.handshakeTimeoutMs, this.idleTimeoutMs, this.stallTimeoutMs) / 4))
    this.sweepTimer = setInterval(() => guard(() => this.sweep()), tick)
    this.sweepTimer.unref()
  }

  /** Start listening. Rejects with ADDRESS_IN_USE, ACCESS_DENIED or ADDRESS_NOT_AVAILABLE naming the port. */
  static async listen(options: BroadcasterOptions): Promise<Broadcaster> {
    const port = options.port ?? DEFAULT_PORT
    checkInfo(options.info)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new FramecastError('INVALID_ARGUMENT', `Port ${port} is not between 0 and 65535`)
    }
    if (options.host === undefined) {
      try {
        return new Broadcaster(await listenOn('::', port), options)
      } catch (e) {
        const code = (e as FramecastError).cause as NodeJS.ErrnoException | undefined
        if (code?.code !== 'EAFNOSUPPORT' && code?.code !== 'EADDRNOTAVAIL') throw e
        return new Broadcaster(await listenOn('0.0.0.0', port), options)
      }
    }
    return new Broadcaster(await listenOn(options.host, port), options)
  }

  /**
   * Hand a frame to every viewer, newest frame wins. Returns how many viewers got it written or pending.
   * Throws INVALID_ARGUMENT for an empty frame or one larger than maxMessageBytes.
   */
  send(frame: BroadcastFrame): number {
    const { payload } = frame
    const max = this.classic ? this.maxMessageBytes : this.maxMessageBytes - FRAME_PREFIX_BYTES
    if (payload.length === 0 || payload.length > max) {
      throw new FramecastError('INVALID_ARGUMENT', `A frame must be 1 to ${max} bytes, not ${payload.length}`)
    }
    if (this.closing) return 0
    const seq = (frame.seq ?? this.nextSeq) >>> 0
    this.nextSeq = (seq + 1) >>> 0
    this.totals.frames++
    this.sendMeter.record(payload.length)
    if (this.liveCount === 0) return 0
    const head = this.classic ? encodeClassicHeader(payload.length) : encodeFrameHead(seq, frame.capturedAtUs, payload.length)
    let reached = 0
    for (const c of this.conns) {
      if (c.phase !== 'live') continue
      reached++
      if (c.pending !== null) {
        // Still waiting for the previous one: this frame replaces it.
        c.dropped++
        this.totals.dropped++
        c.pending = { head, payload }
      } else if (c.socket.writableNeedDrain) {
        c.pending = { head, payload }
        this.markBlocked(c, monoMs())
      } else {
        this.writeFrame(c, head, payload)
      }
    }
    return reached
  }

  /** Change the stream description; every viewer is told at once. */
  setInfo(info: StreamInfo): void {
    checkInfo(info)
    this.info = info
    this.infoMessage = encodeInfo(info)
    if (this.classic) return
    for (const c of this.conns) if (c.phase === 'live') this.writeControl(c, this.infoMessage)
  }

  /** The limits in force, defaults filled in. */
  get limits(): Required<Omit<BroadcasterOptions, 'host' | 'port' | 'info' | 'framing'>> {
    return {
      maxViewers: this.maxViewers,
      maxMessageBytes: this.maxMessageBytes,
      handshakeTimeoutMs: this.handshakeTimeoutMs,
      idleTimeoutMs: this.idleTimeoutMs,
      stallTimeoutMs: this.stallTimeoutMs
    }
  }

  get streamInfo(): StreamInfo {
    return this.info
  }

  /** True when every viewer can take a frame immediately (none is waiting to drain or holds a pending frame). */
  get ready(): boolean {
    return this.blockedCount === 0
  }

  /** True when some viewer has no frame waiting for it: a frame sent now would not replace one (none dropped). */
  get wantsFrame(): boolean {
    for (const c of this.conns) if (c.phase === 'live' && c.pending === null) return true
    return false
  }

  viewers(): BroadcastViewer[] {
    const now = monoMs()
    const out: BroadcastViewer[] = []
    for (const c of this.conns) if (c.phase === 'live') out.push({ ...this.viewerStats(c, now), pendingBytes: pendingBytes(c), blocked: c.blockedSince !== null })
    return out
  }

  stats(): BroadcasterTotals {
    const now = monoMs()
    let pending = 0
    for (const c of this.conns) pending += pendingBytes(c)
    return {
      ...this.totals,
      fps: round1(this.sendMeter.rate(now)),
      kbps: Math.round(this.outMeter.kbps(now)),
      pendingBytes: pending
    }
  }

  /** Say BYE to everyone, stop listening and release the port. Idempotent. */
  close(reason: ByeReasonName = 'stopped'): Promise<void> {
    if (this.closing) return this.closing
    clearInterval(this.sweepTimer)
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.closing = serverClosed
    for (const c of [...this.conns]) {
      guard(() => {
        if (c.phase === 'live') this.leave(c, null, 'the broadcast stopped')
        if (c.socket.writableNeedDrain || c.socket.destroyed) {
          c.socket.destroy()
        } else {
          if (!this.classic) c.socket.write(encodeBye(reason))
          this.shutDown(c)
        }
      }, () => c.socket.destroy())
    }
    return serverClosed
  }

  /** Drop everything at once without saying goodbye, as if the process had died. */
  destroy(): Promise<void> {
    if (this.closing) return this.closing
    clearInterval(this.sweepTimer)
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()))
    this.closing = serverClosed
    for (const c of [...this.conns]) {
      if (c.phase === 'live') this.leave(c, null, 'the broadcast was destroyed')
      c.socket.destroy()
    }
    return serverClosed
  }

  // ---------------------------------------------------------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const now = monoMs()
    const c: Conn = {
      id: this.nextId++,
      socket,
      address: formatHostPort(unmapped(socket.remoteAddress ?? '?'), socket.remotePort ?? 0),
      since: Date.now(),
      phase: 'handshake',
      decoder: new Decoder({ expectRole: 'viewer', maxMessageBytes: Math.min(this.maxMessageBytes, UNKNOWN_MAX_BYTES) }),
      acceptedAt: now,
      lastHeardAt: now,
      pingWindowStart: now,
      pingsInWindow: 0,
      blockedSince: null,
      pending: null,
      frames: 0,
      bytes: 0,
      dropped: 0,
      meter: new RateMeter()
    }
    let handshaking = 0
    for (const other of this.conns) if (other.phase === 'handshake') handshaking++
    this.conns.add(c)
    let lastError: FramecastError | null = null
    socket.on('error', (err) => {
      lastError = fromSocketError(err, { host: c.address })
    })
    socket.on('data', (chunk: Buffer) => guard(() => this.receive(c, chunk), () => this.reject(c, 'INTERNAL', 'internal fault')))
    socket.on('drain', () => guard(() => this.drained(c), () => socket.destroy()))
    socket.on('end', () => guard(() => this.peerEnded(c)))
    socket.on('close', () => guard(() => this.closed(c, lastError)))
    socket.setNoDelay(true)
    if (this.classic) {
      this.admit(c)
      return
    }
    socket.write(encodePreamble('broadcaster'))
    if (handshaking >= MAX_PENDING_HANDSHAKES) this.reject(c, 'SERVER_FULL', 'Too many connections are being set up; try again shortly')
  }

  private receive(c: Conn, chunk: Buffer): void {
    // Classic viewers have nothing to say; whatever they send is read and dropped.
    if (c.phase === 'closing' || this.classic) return
    const receivedAt = nowUs()
    c.lastHeardAt = monoMs()
    const messages = c.decoder.push(chunk)
    for (const m of messages) {
      if (isClosing(c)) return
      this.handle(c, m, receivedAt)
    }
    const err = c.decoder.error
    if (err && !isClosing(c)) this.reject(c, err.code, err.message)
  }

  private handle(c: Conn, m: Message, receivedAt: number): void {
    switch (m.type) {
      case 'preamble':
        this.admit(c)
        return
      case 'ping': {
        // A viewer pings once a second; a flood is not answered, so it cannot pile PONGs into our memory.
        const now = monoMs()
        if (now - c.pingWindowStart >= 1_000) {
          c.pingWindowStart = now
          c.pingsInWindow = 0
        }
        if (++c.pingsInWindow <= MAX_PINGS_PER_SECOND) this.writeControl(c, encodePong(m.id, m.t1, receivedAt, nowUs()))
        return
      }
      case 'bye':
        this.leave(c, null, `the viewer left (${m.reason})`)
        this.shutDown(c)
        return
      case 'error':
        this.leave(c, m.code === 'UNKNOWN' ? 'INTERNAL' : m.code, `the viewer reported: ${m.text || m.code}`)
        this.shutDown(c)
        return
      case 'unknown':
        return
      default:
        this.reject(c, 'UNEXPECTED_MESSAGE', `a viewer may not send ${m.type.toUpperCase()}`)
    }
  }

  private admit(c: Conn): void {
    if (this.liveCount >= this.maxViewers) {
      this.reject(c, 'SERVER_FULL', `This broadcaster already has ${this.maxViewers} viewers`)
      return
    }
    c.phase = 'live'
    c.since = Date.now()
    this.liveCount++
    this.totals.viewersEver++
    if (!this.classic) this.writeControl(c, this.infoMessage)
    this.emit('viewer-joined', this.viewerStats(c, monoMs()))
  }

  private writeFrame(c: Conn, head: Buffer, payload: Uint8Array): void {
    const socket = c.socket
    socket.cork()
    socket.write(head)
    socket.write(payload)
    socket.uncork()
    const bytes = head.length + payload.length
    c.frames++
    c.bytes += bytes
    this.totals.bytes += bytes
    const now = monoMs()
    c.meter.record(bytes, now)
    this.outMeter.record(bytes, now)
    if (socket.writableNeedDrain) this.markBlocked(c, now)
  }

  private writeControl(c: Conn, message: Buffer): void {
    if (c.socket.destroyed || !c.socket.writable) return
    c.socket.write(message)
    this.totals.bytes += message.length
    if (c.phase === 'live' && c.socket.writableNeedDrain) this.markBlocked(c, monoMs())
  }

  private markBlocked(c: Conn, now: number): void {
    if (c.blockedSince !== null) return
    c.blockedSince = now
    this.blockedCount++
  }

  private unblock(c: Conn): void {
    if (c.blockedSince === null) return
    c.blockedSince = null
    this.blockedCount--
    if (this.blockedCount === 0 && !this.closing) this.emit('ready')
  }

  private drained(c: Conn): void {
    if (c.phase !== 'live') return
    const p = c.pending
    if (p !== null) {
      c.pending = null
      this.writeFrame(c, p.head, p.payload)
      if (c.socket.writableNeedDrain) {
        // The viewer read everything it had: slow, not stalled. The stall clock starts again.
        c.blockedSince = monoMs()
        return
      }
    }
    this.unblock(c)
  }

  private sweep(): void {
    const now = monoMs()
    for (const c of [...this.conns]) {
      if (c.phase === 'handshake' && now - c.acceptedAt >= this.handshakeTimeoutMs) {
        this.reject(c, 'HANDSHAKE_TIMEOUT', `No Framecast handshake within ${this.handshakeTimeoutMs} ms`)
      } else if (c.phase === 'live') {
        if (c.socket.writableNeedDrain) this.markBlocked(c, now)
        if (c.blockedSince !== null && now - c.blockedSince >= this.stallTimeoutMs) {
          this.leave(c, 'STALLED', `the viewer read nothing for ${Math.round((now - c.blockedSince) / 1000)} s`)
          c.socket.destroy()
        } else if (!this.classic && now - c.lastHeardAt >= this.idleTimeoutMs) {
          this.leave(c, 'IDLE_TIMEOUT', `the viewer sent nothing for ${Math.round((now - c.lastHeardAt) / 1000)} s`)
          c.socket.write(encodeBye('idle'))
          this.shutDown(c)
        }
      }
    }
  }

  /** Close a connection that never became a viewer (or breaks the protocol), telling it why first. */
  private reject(c: Conn, code: ErrorCode, message: string): void {
    if (c.phase === 'closing') return
    if (c.phase === 'live') {
      this.leave(c, code, message)
    } else {
      c.phase = 'closing'
      this.totals.refused++
      this.emit('refused', { address: c.address, code })
    }
    if (!this.classic && !c.socket.destroyed && c.socket.writable) c.socket.write(encodeError(code, message))
    this.shutDown(c)
  }

  /** A live viewer stops being one: stats are frozen and 'viewer-left' is emitted, exactly once. */
  private leave(c: Conn, code: ErrorCode | null, reason: string): void {
    if (c.phase !== 'live') {
      c.phase = 'closing'
      return
    }
    c.phase = 'closing'
    this.liveCount--
    c.pending = null
    const viewer = this.viewerStats(c, monoMs())
    this.unblock(c)
    this.emit('viewer-left', { viewer, code, reason })
  }

  /** Half-close after our last words; destroy if the peer has not closed its side by LINGER_MS. */
  private shutDown(c: Conn): void {
    const socket = c.socket
    if (socket.destroyed) return
    socket.end()
    const t = setTimeout(() => socket.destroy(), LINGER_MS)
    t.unref()
    socket.once('close', () => clearTimeout(t))
  }

  private peerEnded(c: Conn): void {
    if (c.phase === 'live') this.leave(c, 'PEER_LOST', 'the viewer closed the connection without BYE')
    else c.phase = 'closing'
    this.shutDown(c)
  }

  private closed(c: Conn, err: FramecastError | null): void {
    this.conns.delete(c)
    if (c.phase === 'live') this.leave(c, err?.code ?? 'PEER_LOST', err?.message ?? 'the connection closed')
    c.phase = 'closing'
  }

  private viewerStats(c: Conn, now: number): ViewerStats {
    return {
      id: c.id,
      address: c.address,
      since: c.since,
      fps: round1(c.meter.rate(now)),
      kbps: Math.round(c.meter.kbps(now)),
      frames: c.frames,
      dropped: c.dropped
    }
  }

  private report(err: FramecastError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}

function listenOn(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer({ noDelay: true })
    const onError = (err: Error): void => {
      server.close()
      reject(fromSocketError(err, { host, port }))
    }
    server.once('error', onError)
    server.listen({ host, port }, () => {
      server.off('error', onError)
      resolve(server)
    })
  })
}

function checkInfo(info: StreamInfo): void {
  const dimension = (n: number): boolean => Number.isInteger(n) && n >= 1 && n <= 0xffff
  if (!Object.prototype.hasOwnProperty.call(Codec, info.codec)) {
    throw new FramecastError('UNSUPPORTED_CODEC', `Codec ${String(info.codec)} is not supported`)
  }
  if (!dimension(info.width) || !dimension(info.height)) {
    throw new FramecastError('INVALID_ARGUMENT', `A ${info.width}×${info.height} picture cannot be described`)
  }
  if (!(info.fps > 0 && info.fps <= 0xffff / 100)) {
    throw new FramecastError('INVALID_ARGUMENT', `${info.fps} frames per second cannot be described`)
  }
}

/** Read through a call boundary, where handlers may have moved the connection on. */
function isClosing(c: Conn): boolean {
  return c.phase === 'closing'
}

function pendingBytes(c: Conn): number {
  const held = c.pending === null ? 0 : c.pending.head.length + c.pending.payload.length
  return held + (c.socket.destroyed ? 0 : c.socket.writableLength)
}

/** '::ffff:10.0.0.2' -> '10.0.0.2' (IPv4 viewers of a dual-stack server). */
function unmapped(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address
}

function round1(n: number): number {
  return Math.round(n * 10) / 10
}

/** Run a socket callback so that nothing it throws can reach the event loop. */
function guard(fn: () => void, onFault?: () => void): void {
  try {
    fn()
  } catch {
    try {
      onFault?.()
    } catch {
      // nothing more can be done for this connection
    }
  }
}

/** Bytes a frame of `payloadLength` occupies on the wire. */
export function frameWireBytes(payloadLength: number): number {
  return HEADER_BYTES + FRAME_PREFIX_BYTES + payloadLength
}
