// The fan-out engine: a TCP server that hands every frame to up to N viewers, newest frame wins per viewer, in
// whichever wire format its Framing speaks (framing.ts: native, classic pickle, classic JPEG). This file owns the
// policy that is the same for every format: accepting, the handshake deadline and the cap on connections still
// handshaking, the viewer limit, the newest-frame slot per viewer, stall and idle cut-offs, statistics, closing.
//
// Per viewer there is at most one frame waiting in user space besides what is on its way: a frame is written only
// while the socket does not need to drain and the way to the viewer is open — a Framecast viewer's delivery window
// (delivery-window.ts: FRAMEs in flight until acknowledged, sized from the measured delivery rate and RTT), or for a
// reader that cannot acknowledge, a nearly empty kernel send queue (pacing/reader-pacer.ts). Otherwise the frame goes
// into the viewer's NewestSlot, replacing the frame waiting there (counted as replaced), and goes out when an ACK, a
// 'drain' or a pacing check opens the way. A slow viewer therefore costs at most one frame plus what is in flight, and
// never delays anyone else. A viewer that takes nothing for its framing's stall limit while a frame waits is cut off.
// Every stream ends after a whole frame (pacing/end-whole.ts). The viewers' measurements drive adaptive quality
// (adaptation.ts): encoderTarget says what frames should be made at.
//
// Nothing thrown by a peer's bytes can escape a socket callback: the framings' readers never throw, and every handler
// that touches a socket is wrapped so a fault closes that one viewer.

import { EventEmitter } from 'node:events'
import net from 'node:net'
import {
  type ByeReasonName,
  Codec,
  DEFAULT_MAX_VIEWERS,
  DEFAULT_PORT,
  type ErrorCode,
  HANDSHAKE_TIMEOUT_MS,
  IDLE_TIMEOUT_MS,
  nowUs,
  PAIRING_TIMEOUT_MS,
  type StreamInfo
} from '../../shared/protocol'
import type { BroadcastTotals, ViewerStats } from '../../shared/status'
import { formatHostPort } from '../../shared/address'
import { NewestSlot } from '../../shared/newest'
import { FramecastError, fromSocketError } from '../errors'
import { monoMs, RateMeter } from '../../shared/stats'
import type { ClassicPrefix } from '../../shared/classic'
import type { Adaptation } from '../../shared/status'
import { sameStreamInfo } from '../../shared/stream-info'
import { endAfterWholeFrames } from '../pacing/end-whole'
import { ReaderPacer } from '../pacing/reader-pacer'
import { ADAPT_INTERVAL_MS, LIMITED_SHARE, QualityAdapter, type ViewerDelivery } from './adaptation'
import { classicFraming, classicJpegFraming, classicPickleFraming } from './classic-framing'
import { ConversionStage } from './conversion'
import { DeliveryWindow } from './delivery-window'
import type { Framing, FramingName, Heard, ViewerTalk } from './framing'
import { isInterCoded } from '../../shared/keyframe-chain'
import { type KeyframeReason, type KeyframeWanted, ViewerKeyframes } from './keyframes'
import { nativeFraming } from './native-framing'
import { type Access, OPEN_ACCESS } from '../secure/access'
import { serverTls, sessionOf } from '../secure/tls'

export { READER_STALL_TIMEOUT_MS, STALL_TIMEOUT_MS } from './stall'
/** Connections that have not finished the handshake, beyond which new ones are refused at once. */
export const MAX_PENDING_HANDSHAKES = 64
/** Connections from one source address that may be mid-handshake at once (docs/protocol.md "Limits"). */
export const MAX_PENDING_HANDSHAKES_PER_ADDRESS = 8
/**
 * Places one source address keeps when a viewer from another address finds the broadcaster full: beyond this, its
 * newest viewer gives its place up (SERVER_FULL), so one address cannot lock the others out.
 */
export const FAIR_SHARE_PER_ADDRESS = 4
/** How long a closing connection may take to read our last words before it is destroyed. */
const LINGER_MS = 1_000

/** The framings a broadcaster can be asked for by name. */
const FRAMINGS: Readonly<Record<FramingName, Framing>> = {
  native: nativeFraming,
  'classic-pickle': classicPickleFraming,
  'classic-jpeg': classicJpegFraming
}

export interface BroadcasterOptions {
  /** Address to listen on. Default '::' (IPv4 and IPv6); falls back to '0.0.0.0' where IPv6 is unavailable. */
  host?: string
  /** Default DEFAULT_PORT (9999); 0 picks any free port. */
  port?: number
  info: StreamInfo
  /** Default DEFAULT_MAX_VIEWERS (16). The next viewer is refused with SERVER_FULL (in the framing's words) and closed. */
  maxViewers?: number
  /**
   * Largest message (bytes) sent to a viewer, header excluded; bounds the frames send() accepts. Default: the
   * framing's (DEFAULT_MAX_MESSAGE_BYTES, the viewers' default limit; the classic limit of src/shared/classic.ts).
   */
  maxMessageBytes?: number
  /** A connection that has not sent a valid preamble by then is closed with HANDSHAKE_TIMEOUT. Default 5 s. */
  handshakeTimeoutMs?: number
  /** A viewer that sends nothing (not even PING) for this long is closed with IDLE_TIMEOUT. Default 10 s. */
  idleTimeoutMs?: number
  /**
   * A viewer that takes nothing for this long while a frame waits for it is cut off with STALLED. Default: the
   * framing's (STALL_TIMEOUT_MS, 5 s, for Framecast viewers; READER_STALL_TIMEOUT_MS, 30 s, for classic readers).
   */
  stallTimeoutMs?: number
  /**
   * The wire format: 'native' (default), the Framecast protocol (native-framing.ts); 'classic-jpeg' and
   * 'classic-pickle', the classic OpenCV-script format with JPEG or pickled BGR payloads (classic-framing.ts).
   */
  framing?: FramingName
  /**
   * Who may watch (native framing): OPEN_ACCESS (the default here: anyone, in the clear) or a PrivateAccess (TLS 1.3,
   * paired devices only; src/core/secure/access.ts). The app and the CLI pass private unless told otherwise. The
   * classic framings are open by nature and ignore it.
   */
  access?: Access
  /** Classic framings: how each message's length is written. Default "Q" (8 bytes, little-endian). */
  classicPrefix?: ClassicPrefix
  /**
   * Adaptive quality (adaptation.ts): `ceiling` is the JPEG quality the person set (1–100, default 100), `enabled`
   * false keeps it fixed. Only viewers that acknowledge frames (native) take part. Default: enabled, ceiling 100.
   */
  quality?: { ceiling: number; enabled: boolean }
}

export interface BroadcastFrame {
  /** Sequence number; by default one more than the previous frame's. */
  seq?: number
  /** Capture time, µs since the epoch on this machine's clock (nowUs()). */
  capturedAtUs: number
  /** One picture in the stream's codec: a JPEG, or an H.264 access unit (Annex B). Not copied: do not modify it after send(). */
  payload: Uint8Array
  /** Decodable without earlier frames (FRAME's keyframe flag). Default true: every JPEG is. */
  keyframe?: boolean
  /** The encoder quality it was made at, 1–100 (FRAME's quality byte); 0 or absent when not known. */
  quality?: number
}

/** What viewers() reports: the IPC ViewerStats plus back-pressure figures. */
export interface BroadcastViewer extends ViewerStats {
  /** Bytes held for this viewer in this process: its pending frame plus the socket's unsent buffer. */
  pendingBytes: number
  /** True while this viewer's socket is waiting to drain. */
  blocked: boolean
}

/** What stats() reports: the status totals (BroadcastTotals) plus rates and back-pressure figures. */
export interface BroadcasterTotals extends BroadcastTotals {
  /** send() calls per second over the last second (converting framings: converted frames per second). */
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

/** An unknown device was asked for the pairing code (private access). */
export interface PairingAsked {
  address: string
  name: string
  fingerprint: string
}

export interface BroadcasterEvents {
  'viewer-joined': [ViewerStats]
  pairing: [PairingAsked]
  'viewer-left': [ViewerLeft]
  refused: [Refused]
  /** Every viewer can take a frame at once (emitted when the last blocked viewer drains). */
  ready: []
  /**
   * H.264: make the next frame a keyframe for this viewer's sake (it joined, asked for one, or had a frame skipped);
   * at most once per KEYFRAME_REQUEST_MIN_MS per viewer. See keyframes.ts.
   */
  'keyframe-wanted': [KeyframeWanted]
  error: [FramecastError]
}

interface PendingFrame {
  seq: number
  head: Buffer
  payload: Uint8Array
}

/** What one viewer did since the last adaptation interval. */
interface Interval {
  offered: number
  waited: number
  delivered: number
}

interface Conn {
  id: number
  socket: net.Socket
  address: string
  /** ms since epoch */
  since: number
  phase: 'handshake' | 'live' | 'closing'
  talk: ViewerTalk
  /** The source IP address alone: per-address limits count by it. */
  host: string
  acceptedAt: number
  /** The handshake must be done by then (monoMs): the handshake deadline, or the pairing deadline while a code is typed. */
  deadlineAt: number
  /** The viewer's device fingerprint once it came in over TLS; null in the clear. */
  fingerprint: string | null
  /** The last socket error, for the reason a viewer left. */
  lastError: FramecastError | null
  /** Detach our listeners from the socket (before it is wrapped in TLS). */
  unbind: () => void
  lastHeardAt: number
  /** Since when a frame has waited for this viewer without it taking anything (ms); null while nothing waits. */
  blockedSince: number | null
  /** The one frame waiting for the way to open; its `replaced` count is the viewer's. */
  pending: NewestSlot<PendingFrame>
  /** Viewers that acknowledge: FRAMEs in flight and the window; null for readers that cannot. */
  window: DeliveryWindow | null
  /** Readers that cannot acknowledge: pacing by the kernel send queue; null for viewers that acknowledge. */
  pacer: ReaderPacer | null
  /** A pacing re-check is scheduled. */
  paceTimer: NodeJS.Timeout | null
  interval: Interval
  /** The last interval's waited share was at or above LIMITED_SHARE. */
  limited: boolean
  frames: number
  bytes: number
  meter: RateMeter
  /** The viewer's device name from its HELLO; '' when it gave none (and for classic readers). */
  name: string
  /** Which frames this viewer can decode (H.264: none after a skipped one until the next keyframe). */
  keyframes: ViewerKeyframes
  /** Frames not sent to this viewer because it could not have decoded them (counted as replaced). */
  skipped: number
}

/**
 * The fan-out engine: a TCP server that sends each frame to every viewer, newest frame wins per viewer, in the wire
 * format of its Framing ('native', 'classic-jpeg', 'classic-pickle'). Callers hold a Broadcaster whatever the format:
 * send() takes our JPEG frames and the framing decides what goes on the wire.
 *
 * ```ts
 * const b = await Broadcaster.listen({ port: 9999, info, framing: 'classic-pickle' })
 * b.send({ capturedAtUs: nowUs(), payload: jpeg })   // viewers it reaches
 * b.viewers(); b.stats()                             // per-viewer and total figures
 * await b.close('stopped')                           // BYE where the framing has one; the port is free again
 * ```
 *
 * Events: 'viewer-joined', 'viewer-left', 'refused', 'ready' (every viewer can take a frame), 'error' (the server
 * socket failed; FramecastError).
 */
export class Broadcaster extends EventEmitter<BroadcasterEvents> {
  readonly port: number
  readonly host: string
  /** The wire format this broadcaster speaks. */
  readonly framing: FramingName
  private readonly wire: Framing
  /** Converting framings (classic pickle): frames wait here for their payload; null when payloads go out as they are. */
  private readonly conversion: ConversionStage<BroadcastFrame> | null
  private info: StreamInfo
  private infoMessage: Buffer | null
  private readonly maxViewers: number
  private readonly maxMessageBytes: number
  private readonly handshakeTimeoutMs: number
  private readonly idleTimeoutMs: number
  private readonly stallTimeoutMs: number
  /** Who may watch. */
  readonly access: Access
  private readonly conns = new Set<Conn>()
  private liveCount = 0
  private nextId = 1
  private nextSeq = 0
  private readonly sweepTimer: NodeJS.Timeout
  private closing: Promise<void> | null = null
  private readonly totals = { frames: 0, bytes: 0, replaced: 0, viewersEver: 0, refused: 0 }
  private readonly sendMeter = new RateMeter()
  private readonly outMeter = new RateMeter(1_000, 8_192)
  private blockedCount = 0
  private readonly adapter: QualityAdapter
  private lastAdaptAt = monoMs()
  /** Payload bytes handed to the fan-out since the last adaptation interval. */
  private intervalSentBytes = 0

  private constructor(
    private readonly server: net.Server,
    wire: Framing,
    options: BroadcasterOptions
  ) {
    super()
    const addr = server.address() as net.AddressInfo
    this.port = addr.port
    this.host = addr.address
    this.wire = wire
    this.framing = wire.name
    this.info = options.info
    this.infoMessage = wire.describe(options.info)
    this.maxViewers = options.maxViewers ?? DEFAULT_MAX_VIEWERS
    this.maxMessageBytes = options.maxMessageBytes ?? wire.defaultMaxMessageBytes
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS
    this.idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS
    this.stallTimeoutMs = options.stallTimeoutMs ?? wire.defaultStallTimeoutMs
    this.access = wire.handshake ? (options.access ?? OPEN_ACCESS) : OPEN_ACCESS
    this.adapter = new QualityAdapter({ ceiling: options.quality?.ceiling ?? 100, enabled: (options.quality?.enabled ?? true) && wire.acknowledges })
    this.conversion = this.conversionFor(wire)
    server.on('connection', (socket) => guard(() => this.accept(socket), () => socket.destroy()))
    server.on('error', (err) => this.report(fromSocketError(err, { host: this.host, port: this.port })))
    const tick = Math.min(250, Math.max(10, Math.min(this.handshakeTimeoutMs, this.idleTimeoutMs, this.stallTimeoutMs) / 4))
    this.sweepTimer = setInterval(() => guard(() => this.sweep()), tick)
    this.sweepTimer.unref()
  }

  /**
   * Start listening. Rejects with INVALID_ARGUMENT for a bad port, stream info or framing name, UNSUPPORTED_CODEC,
   * and ADDRESS_IN_USE, ACCESS_DENIED or ADDRESS_NOT_AVAILABLE naming the port.
   */
  static async listen(options: BroadcasterOptions): Promise<Broadcaster> {
    const port = options.port ?? DEFAULT_PORT
    const wire = resolveFraming(options.framing ?? 'native', options.classicPrefix)
    checkInfo(options.info)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new FramecastError('INVALID_ARGUMENT', `Port ${port} is not between 0 and 65535`)
    }
    if (options.host === undefined) {
      try {
        return new Broadcaster(await listenOn('::', port), wire, options)
      } catch (e) {
        const code = (e as FramecastError).cause as NodeJS.ErrnoException | undefined
        if (code?.code !== 'EAFNOSUPPORT' && code?.code !== 'EADDRNOTAVAIL') throw e
        return new Broadcaster(await listenOn('0.0.0.0', port), wire, options)
      }
    }
    return new Broadcaster(await listenOn(options.host, port), wire, options)
  }

  /**
   * Hand a JPEG frame to every viewer, newest frame wins. Returns how many viewers got it written or pending (for a
   * converting framing: how many it will reach once converted; 0 when no one watches, and then nothing is converted).
   * Throws INVALID_ARGUMENT for an empty frame or one larger than the framing allows under maxMessageBytes; a
   * converting framing skips and counts such frames instead (stats().conversionFailures).
   */
  send(frame: BroadcastFrame): number {
    return this.conversion === null ? this.fanOut(frame) : this.conversion.offer(frame)
  }

  /** Change the stream description; every viewer is told at once where the framing describes the stream (an unchanged one is not sent again). */
  setInfo(info: StreamInfo): void {
    checkInfo(info)
    if (sameStreamInfo(info, this.info)) return
    const recoded = info.codec !== this.info.codec || info.params !== this.info.params
    this.info = info
    const message = this.wire.describe(info)
    this.infoMessage = message
    for (const c of this.conns) {
      if (c.phase !== 'live') continue
      if (message !== null) this.writeControl(c, message)
      if (!recoded) continue
      // A new codec or new codec parameters: every viewer starts again at a keyframe.
      c.keyframes.restart()
      this.askForKeyframe(c, 'joined')
    }
  }

  /** The limits in force, defaults filled in. */
  get limits(): Required<Omit<BroadcasterOptions, 'host' | 'port' | 'info' | 'framing' | 'access' | 'classicPrefix' | 'quality'>> {
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

  /** True when every viewer can take a frame immediately (none is waiting to drain, for its window or holds a pending frame). */
  get ready(): boolean {
    return this.blockedCount === 0
  }

  /**
   * What frames should be made at now (quality, size, bitrate), and why: adaptive quality from the viewers'
   * delivery measurements (adaptation.ts). Fixed quality, or a framing whose readers cannot acknowledge: the ceiling.
   */
  get adaptation(): Adaptation {
    return this.adapter.adaptation
  }

  /** The quality the person set changed (1–100): the most adaptation asks for. */
  setQualityCeiling(quality: number): void {
    this.adapter.setCeiling(quality)
  }

  /**
   * True when some viewer has no frame waiting for it and would take one: a paced reader only while its pacing would
   * let a frame go now, or its gate is closed (the frame waits there, so that its stall and its drain rate are seen).
   * A frame converted while only the pacing's timing holds it back would be stale by the time it went.
   */
  get wantsFrame(): boolean {
    const now = monoMs()
    for (const c of this.conns) {
      if (c.phase !== 'live' || c.pending.full) continue
      if (c.pacer === null || c.pacer.ready(now) || c.pacer.gateClosed) return true
    }
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
      skippedWhileConverting: this.conversion?.skippedWhileConverting ?? 0,
      conversionFailures: this.conversion?.conversionFailures ?? 0,
      fps: round1(this.sendMeter.rate(now)),
      kbps: Math.round(this.outMeter.kbps(now)),
      pendingBytes: pending
    }
  }

  /** Say BYE to everyone (where the framing has a goodbye), stop listening and release the port. Idempotent. */
  close(reason: ByeReasonName = 'stopped'): Promise<void> {
    if (this.closing) return this.closing
    const serverClosed = this.stopListening()
    for (const c of [...this.conns]) {
      guard(() => {
        if (c.phase === 'live') this.leave(c, null, 'the broadcast stopped')
        // Last words go behind the whole frames already written; the stream ends after them (pacing/end-whole.ts).
        const bye = this.wire.goodbye(reason)
        if (bye !== null && !c.socket.destroyed && c.socket.writable) c.socket.write(bye)
        this.shutDown(c)
      }, () => c.socket.destroy())
    }
    return serverClosed
  }

  /** Drop everything at once without saying goodbye, as if the process had died. */
  destroy(): Promise<void> {
    if (this.closing) return this.closing
    const serverClosed = this.stopListening()
    for (const c of [...this.conns]) {
      if (c.phase === 'live') this.leave(c, null, 'the broadcast was destroyed')
      c.socket.destroy()
    }
    return serverClosed
  }

  /** Stop converting, sweeping and accepting; resolves when the listening socket is closed. */
  private stopListening(): Promise<void> {
    this.conversion?.close()
    clearInterval(this.sweepTimer)
    this.closing = new Promise<void>((resolve) => this.server.close(() => resolve()))
    return this.closing
  }

  // ---------------------------------------------------------------------------------------------------------------

  /** The frame as it goes on the wire, to every viewer. */
  private fanOut(frame: BroadcastFrame): number {
    const { payload } = frame
    const max = this.wire.maxPayloadBytes(this.maxMessageBytes)
    if (payload.length === 0 || payload.length > max) {
      throw new FramecastError('INVALID_ARGUMENT', `A frame must be 1 to ${max} bytes, not ${payload.length}`)
    }
    if (this.closing) return 0
    const seq = (frame.seq ?? this.nextSeq) >>> 0
    this.nextSeq = (seq + 1) >>> 0
    this.totals.frames++
    const now = monoMs()
    this.sendMeter.record(payload.length, now)
    this.intervalSentBytes += payload.length
    if (this.liveCount === 0) return 0
    const keyframe = frame.keyframe ?? true
    const head = this.wire.frameHead(seq, frame.capturedAtUs, payload.length, { keyframe, quality: frame.quality ?? 0 })
    const f: PendingFrame = { seq, head, payload }
    let reached = 0
    for (const c of this.conns) {
      if (c.phase !== 'live') continue
      reached++
      this.offerFrame(c, f, keyframe, now)
    }
    return reached
  }

  /** Newest frame wins for one viewer: written now if the way is open, else it waits (replacing the one waiting). */
  private offerFrame(c: Conn, f: PendingFrame, keyframe: boolean, now: number): void {
    c.interval.offered++
    const verdict = c.keyframes.decide(keyframe, c.pending.full)
    if (verdict === 'skip') {
      // H.264: the viewer could not decode it (keyframes.ts); it waits for a keyframe, which is asked for.
      c.skipped++
      c.interval.waited++
      this.totals.replaced++
      this.askForKeyframe(c, 'skipped')
    } else if (verdict === 'replace') {
      // Still waiting for the previous one: this frame replaces it.
      c.pending.offer(f)
      c.interval.waited++
      this.totals.replaced++
    } else if (this.mayWrite(c, f, now)) {
      this.writeFrame(c, f, now)
    } else {
      c.interval.waited++
      c.pending.offer(f)
      this.markBlocked(c, now)
      this.schedulePacing(c, now)
    }
  }

  /** Whether `f` may be written to `c` now: the socket takes it, and the window (or the kernel queue) has room. */
  private mayWrite(c: Conn, f: PendingFrame, now: number): boolean {
    if (c.socket.writableNeedDrain) return false
    if (c.window !== null) return c.window.canSend(f.head.length + f.payload.length)
    if (c.pacer !== null) return c.pacer.ready(now)
    return true
  }

  /**
   * The way to `c` may have opened (an ACK, a 'drain', a pacing check): write the waiting frame if it may go. With
   * `progressed` the viewer took something, so it is slow, not stalled: the stall clock starts again.
   */
  private pump(c: Conn, progressed: boolean): void {
    if (c.phase !== 'live') return
    const now = monoMs()
    if (progressed && c.blockedSince !== null) c.blockedSince = now
    const p = c.pending.peek()
    if (p === undefined) {
      this.unblock(c)
      return
    }
    if (!this.mayWrite(c, p, now)) {
      if (this.conversion !== null && c.pacer !== null && !c.pacer.gateClosed) {
        // Converted when the gate was closed, it now waits for the pacing's timing: it would go stale. A frame
        // converted when the pacing lets one go takes its place (wantsFrame).
        c.pending.take()
        c.interval.waited++
        this.totals.replaced++
        this.unblock(c)
        return
      }
      this.schedulePacing(c, now)
      return
    }
    c.pending.take()
    this.writeFrame(c, p, now)
  }

  /** A reader paced by its kernel queue has a frame waiting: look again when the pacer says it is worth it. */
  private schedulePacing(c: Conn, now: number): void {
    const pacer = c.pacer
    if (pacer === null || c.paceTimer !== null || c.socket.writableNeedDrain) return
    c.paceTimer = setTimeout(() => {
      c.paceTimer = null
      guard(() => this.pump(c, pacer.progressed()), () => c.socket.destroy())
    }, pacer.retryMs(now))
  }

  /** A viewer acknowledged FRAME `seq`: what was in flight shrinks, and the waiting frame may go. */
  private acked(c: Conn, seq: number, spanUs: number): void {
    if (c.phase !== 'live' || c.window === null) return
    if (c.window.acked(seq, spanUs, monoMs()) === null) return
    this.pump(c, true)
  }

  private conversionFor(wire: Framing): ConversionStage<BroadcastFrame> | null {
    const convert = wire.convert
    if (convert === undefined) return null
    const maxPayloadBytes = wire.maxPayloadBytes(this.maxMessageBytes)
    return new ConversionStage<BroadcastFrame>((payload) => convert.call(wire, payload, maxPayloadBytes), {
      viewerCount: () => this.liveCount,
      wantsFrame: () => this.wantsFrame,
      deliver: (frame) => void this.fanOut(frame)
    })
  }

  private accept(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy()
      return
    }
    const now = monoMs()
    const host = unmapped(socket.remoteAddress ?? '?')
    const c: Conn = {
      id: this.nextId++,
      socket,
      address: formatHostPort(host, socket.remotePort ?? 0),
      since: Date.now(),
      phase: 'handshake',
      talk: this.wire.listen({ maxMessageBytes: this.maxMessageBytes, access: this.access, address: host }),
      host,
      acceptedAt: now,
      deadlineAt: now + this.handshakeTimeoutMs,
      fingerprint: null,
      lastError: null,
      unbind: () => undefined,
      lastHeardAt: now,
      blockedSince: null,
      pending: new NewestSlot<PendingFrame>(),
      window: this.wire.acknowledges ? new DeliveryWindow() : null,
      pacer: this.wire.acknowledges ? null : new ReaderPacer(socket),
      paceTimer: null,
      interval: { offered: 0, waited: 0, delivered: 0 },
      limited: false,
      frames: 0,
      bytes: 0,
      meter: new RateMeter(),
      name: '',
      keyframes: new ViewerKeyframes(),
      skipped: 0
    }
    let handshaking = 0
    let handshakingHere = 0
    for (const other of this.conns) {
      if (other.phase !== 'handshake') continue
      handshaking++
      if (other.host === host) handshakingHere++
    }
    this.conns.add(c)
    this.bind(c, socket)
    socket.setNoDelay(true)
    const greeting = this.wire.greeting()
    if (greeting !== null) socket.write(greeting)
    if (!this.wire.handshake) {
      this.admit(c)
      return
    }
    if (handshaking >= MAX_PENDING_HANDSHAKES) this.reject(c, 'SERVER_FULL', 'Too many connections are being set up; try again shortly')
    else if (handshakingHere >= MAX_PENDING_HANDSHAKES_PER_ADDRESS) {
      this.reject(c, 'SERVER_FULL', `Too many connections from ${host} are being set up; try again shortly`)
    }
  }

  /** Listen to `socket` on behalf of `c`; c.unbind() detaches exactly these listeners. */
  private bind(c: Conn, socket: net.Socket): void {
    const onError = (err: Error): void => {
      c.lastError = fromSocketError(err, { host: c.address })
    }
    const onData = (chunk: Buffer): void => guard(() => this.receive(c, chunk), () => this.reject(c, 'INTERNAL', 'internal fault'))
    const onDrain = (): void => guard(() => this.drained(c), () => socket.destroy())
    const onEnd = (): void => guard(() => this.peerEnded(c))
    const onClose = (): void => guard(() => this.closed(c, c.lastError))
    socket.on('error', onError)
    socket.on('data', onData)
    socket.on('drain', onDrain)
    socket.on('end', onEnd)
    socket.on('close', onClose)
    c.unbind = () => {
      socket.off('data', onData)
      socket.off('drain', onDrain)
      socket.off('end', onEnd)
      socket.off('close', onClose)
      // 'error' stays: an error on the wrapped socket must never go unhandled.
    }
  }

  /**
   * Private access: our preamble goes out in the clear, then the connection becomes TLS 1.3 with this device's
   * certificate; everything from then on is read and written through the TLS socket. A failed TLS handshake (TLS 1.2,
   * no certificate) refuses the connection with UNSUPPORTED_TRANSPORT.
   */
  private startTls(c: Conn, preamble: Buffer): void {
    if (this.access.mode !== 'private') return this.reject(c, 'INTERNAL', 'TLS asked for in open access')
    const identity = this.access.store.identity
    const raw = c.socket
    raw.write(preamble)
    c.unbind()
    const secure = serverTls(raw, identity)
    c.socket = secure
    this.bind(c, secure)
    secure.on('error', () =>
      guard(() => {
        if (c.phase === 'handshake') {
          c.phase = 'closing'
          this.totals.refused++
          this.emit('refused', { address: c.address, code: 'UNSUPPORTED_TRANSPORT' })
        }
        secure.destroy()
      })
    )
    secure.once('secure', () =>
      guard(() => {
        if (isClosing(c)) return
        for (const h of c.talk.secured?.(sessionOf(secure, identity)) ?? []) {
          if (isClosing(c)) return
          this.handle(c, h)
        }
      }, () => this.reject(c, 'INTERNAL', 'internal fault'))
    )
  }

  private receive(c: Conn, chunk: Buffer): void {
    if (c.phase === 'closing') return
    const receivedAt = nowUs()
    c.lastHeardAt = monoMs()
    for (const h of c.talk.receive(chunk, receivedAt)) {
      if (isClosing(c)) return
      this.handle(c, h)
    }
  }

  private handle(c: Conn, h: Heard): void {
    switch (h.type) {
      case 'hello':
        if (h.name !== undefined) c.name = h.name
        if (h.fingerprint !== undefined) c.fingerprint = h.fingerprint
        if (c.phase === 'handshake') this.admit(c)
        return
      case 'startTls':
        this.startTls(c, h.preamble)
        return
      case 'pairing':
        // A person is reading the code off this screen and typing it: the handshake may take that long.
        c.deadlineAt = Math.max(c.deadlineAt, monoMs() + PAIRING_TIMEOUT_MS)
        c.name = h.name
        this.emit('pairing', { address: c.address, name: h.name, fingerprint: h.fingerprint })
        return
      case 'ack':
        this.acked(c, h.seq, h.spanUs)
        return
      case 'keyframeRequest':
        // Ignored for JPEG (docs/protocol.md): every JPEG frame is a keyframe.
        if (!isInterCoded(this.info.codec)) return
        c.keyframes.requested()
        this.askForKeyframe(c, 'requested')
        return
      case 'reply':
        this.writeControl(c, h.message)
        return
      case 'leaving':
        this.leave(c, h.code, h.reason)
        this.shutDown(c)
        return
      case 'fault':
        this.reject(c, h.code, h.message)
    }
  }

  private admit(c: Conn): void {
    if (this.liveCount >= this.maxViewers) {
      const yielding = this.overShare(c.host)
      if (yielding === null) {
        this.reject(c, 'SERVER_FULL', `This broadcaster already has ${this.maxViewers} viewers`)
        return
      }
      this.reject(yielding, 'SERVER_FULL', `A viewer from another address needed a place; ${yielding.host} holds more than ${FAIR_SHARE_PER_ADDRESS}`)
    }
    c.phase = 'live'
    c.since = Date.now()
    this.liveCount++
    this.totals.viewersEver++
    if (this.infoMessage !== null) this.writeControl(c, this.infoMessage)
    this.emit('viewer-joined', this.viewerStats(c, monoMs()))
    this.askForKeyframe(c, 'joined')
  }

  /** H.264: tell whoever feeds frames that viewer `c` needs a keyframe, unless it was told for it too recently. */
  private askForKeyframe(c: Conn, reason: KeyframeReason): void {
    if (!isInterCoded(this.info.codec) || c.phase !== 'live' || !c.keyframes.shouldAsk(monoMs())) return
    this.emit('keyframe-wanted', { viewerId: c.id, reason })
  }

  /**
   * The viewer that gives its place up when one from `host` finds the broadcaster full: the newest viewer of the
   * address holding the most places, if that is another address holding more than FAIR_SHARE_PER_ADDRESS; else null.
   */
  private overShare(host: string): Conn | null {
    const held = new Map<string, Conn[]>()
    for (const c of this.conns) if (c.phase === 'live') held.set(c.host, [...(held.get(c.host) ?? []), c])
    let most: Conn[] = []
    for (const [h, list] of held) if (h !== host && list.length > most.length) most = list
    if (most.length <= FAIR_SHARE_PER_ADDRESS) return null
    return most.reduce((a, b) => (b.since > a.since || (b.since === a.since && b.id > a.id) ? b : a))
  }

  /**
   * Close one viewer on its owner's word: 'KICKED' says BYE kicked (it may come back), 'BLOCKED' says ERROR BLOCKED
   * (the caller has blocked its device). Returns its figures, or null when there is no such viewer.
   */
  closeViewer(id: number, code: 'KICKED' | 'BLOCKED'): ViewerStats | null {
    for (const c of this.conns) {
      if (c.id !== id || c.phase !== 'live') continue
      const stats = this.viewerStats(c, monoMs())
      if (code === 'BLOCKED') {
        this.reject(c, 'BLOCKED', 'The owner of this broadcaster blocked this device')
      } else {
        this.leave(c, 'KICKED', 'the owner closed this viewer')
        const bye = this.wire.goodbye('kicked')
        if (bye !== null && c.socket.writable) c.socket.write(bye)
        this.shutDown(c)
      }
      return stats
    }
    return null
  }

  /** The device fingerprint of a live viewer (private access), or null. */
  fingerprintOf(id: number): string | null {
    for (const c of this.conns) if (c.id === id && c.phase === 'live') return c.fingerprint
    return null
  }

  private writeFrame(c: Conn, f: PendingFrame, now: number): void {
    const socket = c.socket
    socket.cork()
    socket.write(f.head)
    socket.write(f.payload)
    socket.uncork()
    const bytes = f.head.length + f.payload.length
    c.window?.sent(f.seq, bytes, now)
    c.pacer?.wrote(bytes, now)
    c.frames++
    c.bytes += bytes
    this.totals.bytes += bytes
    c.meter.record(bytes, now)
    this.outMeter.record(bytes, now)
    // Could a frame like this one go at once? If not, this viewer is not ready (for 'ready' and the stall clock).
    if (this.mayWrite(c, f, now)) this.unblock(c)
    else this.markBlocked(c, now)
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
    // The viewer read everything Node held for it: slow, not stalled.
    this.pump(c, true)
  }

  private sweep(): void {
    const now = monoMs()
    for (const c of [...this.conns]) {
      if (c.phase === 'handshake' && now >= c.deadlineAt) {
        this.reject(c, 'HANDSHAKE_TIMEOUT', `No Framecast handshake within ${Math.round(c.deadlineAt - c.acceptedAt)} ms`)
      } else if (c.phase === 'live') {
        if (c.socket.writableNeedDrain) this.markBlocked(c, now)
        if (c.blockedSince !== null && now - c.blockedSince >= this.stallTimeoutMs) {
          this.leave(c, 'STALLED', `the viewer read nothing for ${Math.round((now - c.blockedSince) / 1000)} s`)
          // BYE where the framing has one, behind the whole frames already written; then end after them.
          const bye = this.wire.goodbye('stalled')
          if (bye !== null && c.socket.writable) c.socket.write(bye)
          this.shutDown(c)
        } else if (this.wire.idleTimeout && now - c.lastHeardAt >= this.idleTimeoutMs) {
          this.leave(c, 'IDLE_TIMEOUT', `the viewer sent nothing for ${Math.round((now - c.lastHeardAt) / 1000)} s`)
          const bye = this.wire.goodbye('idle')
          if (bye !== null) c.socket.write(bye)
          this.shutDown(c)
        }
      }
    }
    if (now - this.lastAdaptAt >= ADAPT_INTERVAL_MS) this.adapt(now)
  }

  /** One adaptation interval: each viewer's delivery, the stream's bitrate, and the new encoder target. */
  private adapt(now: number): void {
    const ms = Math.max(1, now - this.lastAdaptAt)
    this.lastAdaptAt = now
    const viewers: ViewerDelivery[] = []
    for (const c of this.conns) {
      if (c.phase !== 'live') continue
      const { offered, waited } = c.interval
      const delivered = c.window?.delivered ?? 0
      const share = offered === 0 ? 0 : waited / offered
      c.limited = share >= LIMITED_SHARE
      if (c.window !== null && offered > 0) viewers.push({ waitedShare: share, goodputBps: ((delivered - c.interval.delivered) * 8_000) / ms })
      c.interval = { offered: 0, waited: 0, delivered }
    }
    this.adapter.update(now, viewers, { sentBps: (this.intervalSentBytes * 8_000) / ms })
    this.intervalSentBytes = 0
  }

  /** Close a connection that never became a viewer (or breaks the protocol), telling it why first if the framing can. */
  private reject(c: Conn, code: ErrorCode, message: string): void {
    if (c.phase === 'closing') return
    if (c.phase === 'live') {
      this.leave(c, code, message)
    } else {
      c.phase = 'closing'
      this.totals.refused++
      this.emit('refused', { address: c.address, code })
    }
    const refusal = this.wire.refusal(code, message)
    if (refusal !== null && !c.socket.destroyed && c.socket.writable) {
      const owed = c.talk.beforeRefusal()
      c.socket.write(owed === null ? refusal : Buffer.concat([owed, refusal]))
    }
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
    c.pending.clear()
    if (c.paceTimer !== null) clearTimeout(c.paceTimer)
    c.paceTimer = null
    const viewer = this.viewerStats(c, monoMs())
    this.unblock(c)
    this.emit('viewer-left', { viewer, code, reason })
  }

  /** Half-close after our last words, after the last whole frame; reset if the peer has not taken them by LINGER_MS. */
  private shutDown(c: Conn): void {
    endAfterWholeFrames(c.socket, LINGER_MS)
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
      name: c.name,
      fingerprint: c.fingerprint,
      since: c.since,
      fps: round1(c.meter.rate(now)),
      kbps: Math.round(c.meter.kbps(now)),
      frames: c.frames,
      replaced: c.pending.replaced + c.skipped,
      deliveryKbps: kbpsOrNull(c.window?.deliveryRate ?? c.pacer?.drainRate ?? null),
      rttMs: c.window?.minRttMs == null ? null : Math.round(c.window.minRttMs * 10) / 10,
      limited: c.limited
    }
  }

  private report(err: FramecastError): void {
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }
}

/** Bytes per second as kbit/s, rounded; null stays null. */
function kbpsOrNull(bytesPerSecond: number | null): number | null {
  return bytesPerSecond === null ? null : Math.round((bytesPerSecond * 8) / 1_000)
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

function resolveFraming(framing: FramingName, classicPrefix: ClassicPrefix | undefined): Framing {
  if (!Object.prototype.hasOwnProperty.call(FRAMINGS, framing)) {
    throw new FramecastError('INVALID_ARGUMENT', `Framing ${String(framing)} is not one of ${Object.keys(FRAMINGS).join(', ')}`)
  }
  if (framing !== 'native' && classicPrefix !== undefined) return classicFraming(framing, classicPrefix)
  return FRAMINGS[framing]
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
  const p = c.pending.peek()
  const held = p === undefined ? 0 : p.head.length + p.payload.length
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
