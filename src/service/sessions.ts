// Glue between a window (or a browser-host connection) and the networking core: one broadcast or watch session per
// peer. Transport-agnostic: Electron IPC (src/main/ipc.ts) and the browser host both call handle/release/closeAll.
// No protocol logic lives here; requests are checked against the contract in src/shared/ipc.ts before anything runs.

import { networkInterfaces } from 'node:os'
import { Broadcaster, type BroadcastFrame } from '../core/fanout/broadcaster'
import { framingForClassicMode } from '../core/fanout/framing'
import { FramecastError, isFramecastError } from '../core/errors'
import { MjpegServer } from '../core/mjpeg/mjpeg-server'
import { Watcher } from '../core/watch/watcher'
import {
  channelRoles,
  isRequestChannel,
  parseRequest,
  type BroadcastStatus,
  type EventChannel,
  type EventMap,
  type IpcError,
  type NetInterface,
  type RequestChannel,
  type ResponseMap,
  type Result,
  type ValidRequestOf,
  type WatchFrame,
  type WindowRole
} from '../shared/ipc'
import { formatHostPort } from '../shared/address'
import { NewestSlot } from '../shared/newest'
import type { StreamInfo } from '../shared/protocol'
import { type Adaptation, idleStatus } from '../shared/status'
import { jpegSize } from '../core/jpeg/jpeg'

export interface Peer {
  /** unique per window / per browser-host connection */
  readonly id: string
  /** established by the transport (Electron: the window we created; web host: URL hash checked at connect) */
  readonly role: WindowRole
  send<E extends EventChannel>(channel: E, payload: EventMap[E]): void
}

export interface SessionsOptions {
  /** 'app:open' */
  openWindow?: (role: 'broadcast' | 'watch') => void
  log?: (line: string) => void
  maxMessageBytes?: number
  /** defaults to os.networkInterfaces() */
  listInterfaces?: () => NetInterface[]
}

/** How often a live broadcast re-sends its status (viewer list, fps, kbps). */
const STATUS_INTERVAL_MS = 1_000
/** The same complaint about the same peer and channel is logged at most this often. */
const LOG_REPEAT_MS = 1_000

interface BroadcastSession {
  readonly broadcaster: Broadcaster
  readonly host: string
  readonly ticker: NodeJS.Timeout
  request: ValidRequestOf<'broadcast:start'>
  compat: Compat
  lastError: IpcError | null
  /** The window's quality setting as its frames last stated it: the ceiling (1–100) and whether adaptation is on. */
  quality: { ceiling: number; adaptive: boolean }
  /** The picture size the viewers were last told (INFO); frames at another size (a scale step) retell it. */
  info: StreamInfo
}

interface WatchSession {
  readonly watcher: Watcher
  /** The newest frame not yet handed to the peer; a newer one replaces it. A hand-on is scheduled while it is full. */
  readonly toPeer: NewestSlot<WatchFrame>
}

type Handler<C extends RequestChannel> = (peer: Peer, request: ValidRequestOf<C>) => Promise<ResponseMap[C]>

export function systemInterfaces(): NetInterface[] {
  const out: NetInterface[] = []
  for (const [name, list] of Object.entries(networkInterfaces())) {
    for (const i of list ?? []) {
      const fam = i.family as string | number
      const family = fam === 'IPv4' || fam === 4 ? 'IPv4' : fam === 'IPv6' || fam === 6 ? 'IPv6' : null
      if (family) out.push({ name, address: i.address, family, internal: i.internal })
    }
  }
  return out
}

function isLinkLocalV6(address: string): boolean {
  return /^fe[89ab][0-9a-f]:/i.test(address)
}

/**
 * What a partner should type to reach a broadcaster bound to `host`: every non-internal address of this machine for
 * a wildcard bind ('::' is dual-stack, '0.0.0.0' IPv4 only), or the bound address itself. IPv6 link-local addresses
 * are left out: they need the partner's own zone id, which we cannot know.
 */
export function partnerAddresses(host: string, port: number, interfaces: NetInterface[]): string[] {
  const wildcardV4 = host === '0.0.0.0'
  const wildcardV6 = host === '::' || host === '::0' || host === '0:0:0:0:0:0:0:0'
  if (!wildcardV4 && !wildcardV6) return [formatHostPort(host, port)]
  const seen = new Set<string>()
  const out: string[] = []
  const ordered = [...interfaces].sort((a, b) => (a.family === b.family ? 0 : a.family === 'IPv4' ? -1 : 1))
  for (const i of ordered) {
    if (i.internal || (i.family === 'IPv6' && (wildcardV4 || isLinkLocalV6(i.address)))) continue
    const text = formatHostPort(i.address, port)
    if (!seen.has(text)) out.push(text)
    seen.add(text)
  }
  return out
}

function toIpcError(e: unknown): IpcError {
  if (isFramecastError(e)) return { code: e.code, message: e.message }
  return { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
}

function fail(code: IpcError['code'], message: string): { ok: false; error: IpcError } {
  return { ok: false, error: { code, message } }
}

/** A short, printable rendering of an untrusted value for a log line. */
function describe(value: unknown): string {
  const s = typeof value === 'string' ? value : Object.prototype.toString.call(value)
  return JSON.stringify(s.slice(0, 48))
}

// ---------------------------------------------------------------------------------------------------------------
// Switch points for compatibility with the classic (OpenCV script) protocol and the MJPEG-over-HTTP endpoint.
// ---------------------------------------------------------------------------------------------------------------

/** What runs for a broadcast besides its fan-out. */
interface Compat {
  classic: BroadcastStatus['classic']
  mjpegPort: number | null
  mjpeg: MjpegServer | null
}

/** broadcast:start `classic`: the broadcast port speaks the classic OpenCV-script format instead of Framecast. */
function listenBroadcaster(request: ValidRequestOf<'broadcast:start'>, info: StreamInfo, maxMessageBytes: number | undefined): Promise<Broadcaster> {
  const framing = framingForClassicMode(request.classic)
  // Adaptation always measures; whether its target is followed is the window's setting (adaptationOf), which can
  // change while live.
  const quality = { ceiling: FULL_QUALITY, enabled: true }
  return Broadcaster.listen({ host: request.host, port: request.port, info, framing, quality, ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}) })
}

/** broadcast:start `mjpegPort`: HTTP MJPEG on its own port; the running server is kept when the port stays. */
async function startMjpeg(request: ValidRequestOf<'broadcast:start'>, current: MjpegServer | null): Promise<MjpegServer | null> {
  if (current !== null && current.port === request.mjpegPort) return current
  await current?.close()
  if (request.mjpegPort === null) return null
  return MjpegServer.listen({ host: request.host, port: request.mjpegPort })
}

const FULL_QUALITY = 100

/** What a broadcast with adaptive quality off asks for: the set quality, full size, no bitrate target. */
function fixedAdaptation(ceiling: number): Adaptation {
  return { state: 'off', ceiling, target: { quality: ceiling, scale: 1, bitrateBps: null } }
}

/** The adaptation the window follows: the broadcaster's while adaptive quality is on, else the fixed setting. */
function adaptationOf(s: BroadcastSession): Adaptation {
  return s.quality.adaptive ? s.broadcaster.adaptation : fixedAdaptation(s.quality.ceiling)
}

/** broadcast:frame `ceiling` and `adaptive`: the person changed the quality setting, or turned adaptation on or off. */
function followQualitySetting(s: BroadcastSession, req: ValidRequestOf<'broadcast:frame'>): void {
  if (req.adaptive !== undefined) s.quality.adaptive = req.adaptive
  if (req.ceiling !== undefined && req.ceiling !== s.quality.ceiling) {
    s.quality.ceiling = req.ceiling
    s.broadcaster.setQualityCeiling(req.ceiling)
  }
}

/** A frame at another picture size than the viewers were told (adaptation stepped the size): tell them again. */
function followPictureSize(s: BroadcastSession, jpeg: Uint8Array): void {
  const size = jpegSize(jpeg)
  if (size === undefined || (size.width === s.info.width && size.height === s.info.height)) return
  s.info = { ...s.info, ...size }
  s.broadcaster.setInfo(s.info)
}

/** A frame from the window goes to the broadcaster, whatever its framing, and to MJPEG. */
function sendFrame(s: BroadcastSession, frame: BroadcastFrame): number {
  const viewers = s.broadcaster.send(frame)
  if (s.compat.mjpeg === null) return viewers
  s.compat.mjpeg.send(frame.payload)
  return viewers + s.compat.mjpeg.stats().clients
}

/** watch:start `mode`: 'auto' tells Framecast and classic senders apart; 'native' and 'classic' insist on one. */
function createWatcherFor(request: ValidRequestOf<'watch:start'>, maxMessageBytes: number | undefined): Watcher {
  return new Watcher({
    host: request.host,
    port: request.port,
    mode: request.mode,
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {})
  })
}

// ---------------------------------------------------------------------------------------------------------------

export class Sessions {
  private readonly broadcasts = new Map<string, BroadcastSession>()
  private readonly watches = new Map<string, WatchSession>()
  /** Start/stop/release of one peer run one after another, so a quick stop-start never interleaves. */
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly logRepeat = new Map<string, { at: number; suppressed: number }>()
  private readonly listInterfaces: () => NetInterface[]
  private readonly logLine: (line: string) => void

  constructor(private readonly options: SessionsOptions = {}) {
    this.listInterfaces = options.listInterfaces ?? systemInterfaces
    this.logLine = options.log ?? ((line) => console.warn(`[framecast] ${line}`))
  }

  /** Answer one request. Never throws: a bad message gets {ok:false, error} and a log line. */
  async handle(peer: Peer, channel: unknown, payload: unknown): Promise<Result<unknown>> {
    if (!isRequestChannel(channel)) {
      return this.refuse(peer, describe(channel), fail('INVALID_ARGUMENT', `Unknown request ${describe(channel)}`))
    }
    if (!channelRoles[channel].includes(peer.role)) {
      return this.refuse(peer, channel, fail('ACCESS_DENIED', `A ${peer.role} window cannot use ${channel}`))
    }
    const parsed = parseRequest(channel, payload)
    if (!parsed.ok) return this.refuse(peer, channel, parsed)
    try {
      const handler = this.handlers[channel] as Handler<typeof channel>
      const value = await handler(peer, parsed.value as never)
      return { ok: true, value }
    } catch (e) {
      const error = toIpcError(e)
      this.log(`${channel} from ${peer.role} ${peer.id} failed: ${error.code} ${error.message}`, `${peer.id}|${channel}|${error.code}`)
      return { ok: false, error }
    }
  }

  /** The window/connection closed: stop its broadcast and its watch. */
  release(peer: Peer): Promise<void> {
    return this.serial(peer.id, async () => {
      await Promise.all([this.stopBroadcast(peer.id, 'stopped', false, peer), this.stopWatch(peer.id, null)])
    })
  }

  /** Quit: BYE to every viewer, close every watch connection; also waits for releases still under way. */
  async closeAll(): Promise<void> {
    const ids = new Set([...this.broadcasts.keys(), ...this.watches.keys(), ...this.queues.keys()])
    await Promise.allSettled(
      [...ids].map((id) =>
        this.serial(id, async () => {
          await Promise.all([this.stopBroadcast(id, 'shutdown', false, null), this.stopWatch(id, null)])
        })
      )
    )
  }

  // -------------------------------------------------------------------------------------------------------------

  private readonly handlers: { [C in RequestChannel]: Handler<C> } = {
    'broadcast:start': (peer, req) => this.serial(peer.id, () => this.startBroadcast(peer, req)),
    'broadcast:stop': async (peer) => {
      await this.serial(peer.id, () => this.stopBroadcast(peer.id, 'stopped', true, peer))
      return null
    },
    'broadcast:frame': async (peer, req) => {
      const s = this.broadcasts.get(peer.id)
      if (!s) return { sent: false, target: fixedAdaptation(req.ceiling ?? FULL_QUALITY).target }
      followQualitySetting(s, req)
      followPictureSize(s, req.jpeg)
      const handed = sendFrame(s, { seq: req.seq, capturedAtUs: req.capturedAtUs, payload: req.jpeg, ...(req.quality !== undefined ? { quality: req.quality } : {}) })
      return { sent: handed > 0, target: adaptationOf(s).target }
    },
    'broadcast:interfaces': async () => this.listInterfaces(),
    'watch:start': async (peer, req) => {
      await this.serial(peer.id, () => this.startWatch(peer, req))
      return null
    },
    'watch:stop': async (peer) => {
      await this.serial(peer.id, () => this.stopWatch(peer.id, peer))
      return null
    },
    'app:open': async (_peer, req) => {
      if (!this.options.openWindow) throw new FramecastError('INVALID_ARGUMENT', 'This host cannot open windows')
      this.options.openWindow(req.role)
      return null
    }
  }

  private async startBroadcast(peer: Peer, req: ValidRequestOf<'broadcast:start'>): Promise<BroadcastStatus> {
    const info: StreamInfo = { codec: 'jpeg', width: req.width, height: req.height, fps: req.fps, name: req.name }
    const existing = this.broadcasts.get(peer.id)
    if (existing && existing.host === req.host && existing.request.port === req.port && existing.request.classic === req.classic) {
      // Same address: new capture settings reach the viewers as a fresh INFO, nobody is disconnected.
      existing.broadcaster.setInfo(info)
      existing.info = { ...info }
      existing.request = req
      const previous = existing.compat.mjpeg
      existing.compat.mjpeg = null
      existing.compat.mjpegPort = null
      existing.compat.mjpeg = await startMjpeg(req, previous)
      existing.compat.mjpegPort = existing.compat.mjpeg?.port ?? null
      return this.pushStatus(peer, existing)
    }
    if (existing) await this.stopBroadcast(peer.id, 'stopped', false, peer)

    let broadcaster: Broadcaster | undefined
    let mjpeg: MjpegServer | null = null
    try {
      broadcaster = await listenBroadcaster(req, info, this.options.maxMessageBytes)
      mjpeg = await startMjpeg(req, null)
    } catch (e) {
      await broadcaster?.close()
      const error = toIpcError(e)
      safeSend(peer, 'broadcast:status', { ...idleStatus(), state: 'error', error })
      throw e
    }
    const ticker = setInterval(() => this.pushStatus(peer, session), STATUS_INTERVAL_MS)
    ticker.unref()
    const compat: Compat = { classic: req.classic, mjpegPort: mjpeg?.port ?? null, mjpeg }
    const quality = { ceiling: FULL_QUALITY, adaptive: true }
    const session: BroadcastSession = { broadcaster, host: req.host, ticker, request: req, compat, lastError: null, quality, info: { ...info } }
    this.broadcasts.set(peer.id, session)

    const changed = (): void => void this.pushStatus(peer, session)
    broadcaster.on('viewer-joined', changed)
    broadcaster.on('viewer-left', changed)
    broadcaster.on('refused', (r) => {
      this.log(`broadcast ${peer.id}: refused ${r.address} (${r.code})`, `${peer.id}|refused`)
      changed()
    })
    broadcaster.on('error', (e) => {
      session.lastError = toIpcError(e)
      this.log(`broadcast ${peer.id}: ${session.lastError.code} ${session.lastError.message}`, `${peer.id}|b-error`)
      changed()
    })
    const extras = `${req.classic === 'off' ? '' : ` (classic ${req.classic})`}${mjpeg ? `, MJPEG on port ${mjpeg.port}` : ''}`
    this.log(`broadcast ${peer.id}: live on ${formatHostPort(req.host, broadcaster.port)}${extras}`)
    return this.pushStatus(peer, session)
  }

  private async stopBroadcast(
    id: string,
    reason: 'stopped' | 'shutdown',
    announce: boolean,
    peer: Peer | null
  ): Promise<void> {
    const s = this.broadcasts.get(id)
    if (s) {
      this.broadcasts.delete(id)
      clearInterval(s.ticker)
      try {
        await Promise.all([s.broadcaster.close(reason), s.compat.mjpeg?.close()])
      } catch (e) {
        this.log(`broadcast ${id}: close failed: ${toIpcError(e).message}`)
      }
      s.broadcaster.removeAllListeners()
      this.log(`broadcast ${id}: ${reason}`)
    }
    if (announce && peer) safeSend(peer, 'broadcast:status', idleStatus())
  }

  private pushStatus(peer: Peer, s: BroadcastSession): BroadcastStatus {
    const status = this.statusOf(s)
    safeSend(peer, 'broadcast:status', status)
    return status
  }

  private statusOf(s: BroadcastSession): BroadcastStatus {
    const b = s.broadcaster
    const { frames, bytes, replaced, skippedWhileConverting, conversionFailures, viewersEver, refused, fps, kbps } = b.stats()
    return {
      state: 'live',
      port: b.port,
      host: s.host,
      addresses: partnerAddresses(s.host, b.port, this.listInterfaces()),
      viewers: b.viewers(),
      totals: { frames, bytes, replaced, skippedWhileConverting, conversionFailures, viewersEver, refused },
      fps,
      kbps,
      classic: s.compat.classic,
      mjpegPort: s.compat.mjpegPort,
      adaptation: adaptationOf(s),
      error: s.lastError
    }
  }

  private async startWatch(peer: Peer, req: ValidRequestOf<'watch:start'>): Promise<void> {
    await this.stopWatch(peer.id, null)
    const watcher = createWatcherFor(req, this.options.maxMessageBytes)
    const session: WatchSession = { watcher, toPeer: new NewestSlot() }
    this.watches.set(peer.id, session)
    let sawState = false
    watcher.on('state', (status) => {
      sawState = true
      safeSend(peer, 'watch:state', status)
    })
    watcher.on('stats', (stats) => safeSend(peer, 'watch:stats', stats))
    watcher.on('frame', (f) => {
      // FRAME's quality byte, as the stream adapters pass it on (0: not stated).
      const quality = (f as { quality?: number }).quality ?? 0
      this.queueFrame(peer, session, { seq: f.seq, capturedAtUs: f.capturedAtUs, latencyMs: f.latencyMs, quality, jpeg: f.payload })
    })
    watcher.on('error', (e) => {
      const err = toIpcError(e)
      this.log(`watch ${peer.id}: ${err.code} ${err.message}`, `${peer.id}|w-error|${err.code}`)
    })
    watcher.start()
    if (!sawState) safeSend(peer, 'watch:state', watcher.status)
    this.log(`watch ${peer.id}: connecting to ${formatHostPort(req.host, req.port)}`)
  }

  /**
   * Newest frame wins on the way to the window: frames that arrive in the same turn of the event loop (a burst
   * decoded from one chunk after a network hiccup) replace each other, and only the newest is sent.
   */
  private queueFrame(peer: Peer, s: WatchSession, frame: WatchFrame): void {
    const scheduled = s.toPeer.full
    s.toPeer.offer(frame)
    if (scheduled) return
    setImmediate(() => {
      const f = s.toPeer.take()
      if (f && this.watches.get(peer.id) === s) safeSend(peer, 'watch:frame', f)
    })
  }

  private async stopWatch(id: string, announceTo: Peer | null): Promise<void> {
    const s = this.watches.get(id)
    if (!s) return
    this.watches.delete(id)
    s.toPeer.clear()
    s.watcher.removeAllListeners()
    try {
      await s.watcher.stop()
    } catch (e) {
      this.log(`watch ${id}: stop failed: ${toIpcError(e).message}`)
    }
    if (announceTo) safeSend(announceTo, 'watch:state', s.watcher.status)
  }

  /** Run `task` after every earlier task of the same peer; a failure does not block the next one. */
  private serial<T>(id: string, task: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve()
    const next = prev.then(task, task)
    const settled = next.then(
      () => undefined,
      () => undefined
    )
    this.queues.set(id, settled)
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id)
    })
    return next
  }

  private refuse(peer: Peer, what: string, result: { ok: false; error: IpcError }): { ok: false; error: IpcError } {
    this.log(
      `refused ${what} from ${peer.role} ${peer.id}: ${result.error.code} ${result.error.message}`,
      `${peer.id}|${what}|${result.error.code}|${result.error.message}`
    )
    return result
  }

  /** Log a line; with a `key`, repeats within LOG_REPEAT_MS are counted and summarised instead of printed. */
  private log(line: string, key?: string): void {
    if (key === undefined) return this.logLine(line)
    const now = Date.now()
    const seen = this.logRepeat.get(key)
    if (seen && now - seen.at < LOG_REPEAT_MS) {
      seen.suppressed++
      return
    }
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it)` : ''
    this.logRepeat.set(key, { at: now, suppressed: 0 })
    if (this.logRepeat.size > 1000) this.logRepeat.clear()
    this.logLine(line + more)
  }
}

function safeSend<E extends EventChannel>(peer: Peer, channel: E, payload: EventMap[E]): void {
  try {
    peer.send(channel, payload)
  } catch {
    // The window went away between our check and the send; nothing to tell it any more.
  }
}
