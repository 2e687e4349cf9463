// Glue between a window (or a browser-host connection) and the networking core: one broadcast or watch session per
// peer. Transport-agnostic: Electron IPC (src/main/ipc.ts) and the browser host both call handle/release/closeAll.
// No protocol logic lives here; requests are checked against the contract in src/shared/ipc.ts before anything runs.

import { randomBytes } from 'node:crypto'
import { mkdtemp } from 'node:fs/promises'
import { networkInterfaces, tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broadcaster } from '../core/fanout/broadcaster'
import { framingForClassicMode } from '../core/fanout/framing'
import { FramecastError, isFramecastError } from '../core/errors'
import { MJPEG_STREAM_PATH, MjpegServer } from '../core/mjpeg/mjpeg-server'
import { type Access, OPEN_ACCESS } from '../core/secure/access'
import { DeviceStore } from '../core/secure/device-store'
import { PairingCodes } from '../core/secure/pairing-code'
import { Watcher } from '../core/watch/watcher'
import {
  type BroadcastPicture,
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
import { addressScope, formatHostPort } from '../shared/address'
import { NewestSlot } from '../shared/newest'
import type { StreamInfo } from '../shared/protocol'
import { jpegSize } from '../core/jpeg/jpeg'
import { monoMs } from '../shared/stats'
import { type Adaptation, idleStatus, type ViewerStats } from '../shared/status'
import type { Advertising } from './advertising'
import { Discovery } from './discovery'
import { cachedInterfaces } from './interface-cache'
import { Pacer } from './pacer'
import { RepeatLimitedLog } from './repeat-log'
import { EncoderWants, routePicture, streamInfoFor } from './broadcast-codec'

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
  /** Advertising and browsing on the local network; default: a Discovery with FRAMECAST_MDNS_INTERFACE's interface. */
  discovery?: Discovery
  /**
   * The folder of this installation's key, certificate and paired devices (made 0700; see DeviceStore): Electron's
   * user-data folder, the browser host's config folder. Default: a new temporary folder — a fresh identity that
   * nothing remembers (tests).
   */
  configDir?: string
}

/** How often a live broadcast re-sends its status (viewer list, fps, kbps). */
const STATUS_INTERVAL_MS = 1_000

interface BroadcastSession {
  readonly broadcaster: Broadcaster
  /** Private access: the code on show; null when the broadcast is open. */
  readonly codes: PairingCodes | null
  readonly host: string
  readonly ticker: NodeJS.Timeout
  /** Paces broadcast:status to the window (changes, the ticker): a few a second at most. */
  readonly status: Pacer
  request: ValidRequestOf<'broadcast:start'>
  compat: Compat
  lastError: IpcError | null
  /** The broadcast's DNS-SD advertisement, null when it advertises nothing. */
  advertising: Advertising | null
  /** What the window's encoder is asked to make next (keyframes, compatibility JPEGs). */
  readonly wants: EncoderWants
  /** The window's quality setting as its frames last stated it: the ceiling (1–100) and whether adaptation is on. */
  quality: { ceiling: number; adaptive: boolean }
}

interface WatchSession {
  readonly watcher: Watcher
  /** The newest frame not yet handed to the peer; a newer one replaces it. A hand-on is scheduled while it is full. */
  readonly toPeer: NewestSlot<WatchFrame>
  /** Paces watch:state to the window: a few a second at most, always ending on the newest. */
  readonly state: Pacer
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

/** Where an address comes in the list a partner reads: LAN first, then public IPv4; global IPv6 apart. */
const SCOPE_ORDER = { lan: 0, 'link-local': 1, global: 2, loopback: 3 } as const

/**
 * What a partner should type to reach a broadcaster bound to `host`: the non-internal addresses of this machine for a
 * wildcard bind ('::' is dual-stack, '0.0.0.0' IPv4 only) — LAN addresses first (private IPv4, IPv6 unique local),
 * then public IPv4, and global IPv6 (which may be reachable from outside the LAN) only with `global` — or the bound
 * address itself. IPv6 link-local addresses are left out: they need the partner's own zone id, which we cannot know.
 */
export function partnerAddresses(host: string, port: number, interfaces: NetInterface[], options: { global?: boolean } = {}): string[] {
  const wildcardV4 = host === '0.0.0.0'
  const wildcardV6 = host === '::' || host === '::0' || host === '0:0:0:0:0:0:0:0'
  if (!wildcardV4 && !wildcardV6) return [formatHostPort(host, port)]
  const seen = new Set<string>()
  const out: string[] = []
  const rank = (i: NetInterface): number => (i.family === 'IPv4' ? 0 : 4) + SCOPE_ORDER[addressScope(i.address)]
  const ordered = [...interfaces].sort((a, b) => rank(a) - rank(b))
  for (const i of ordered) {
    if (i.internal || (i.family === 'IPv6' && (wildcardV4 || isLinkLocalV6(i.address)))) continue
    if (i.family === 'IPv6' && addressScope(i.address) === 'global' && !options.global) continue
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

/**
 * broadcast:start `classic`: the broadcast port speaks the classic OpenCV-script format instead of Framecast (open by
 * nature), with the request's length prefix and size limit (`classicPrefix`, `maxMessageBytes`); `access` private:
 * TLS and pairing with `codes`.
 */
function listenBroadcaster(
  request: ValidRequestOf<'broadcast:start'>,
  info: StreamInfo,
  maxMessageBytes: number | undefined,
  access: Access
): Promise<Broadcaster> {
  const framing = framingForClassicMode(request.classic)
  const classic = request.classic === 'off' ? {} : { classicPrefix: request.classicPrefix, ...(request.maxMessageBytes !== null ? { maxMessageBytes: request.maxMessageBytes } : {}) }
  // Adaptation always measures; whether its target is followed is the window's setting (adaptationOf), which can
  // change while live.
  const quality = { ceiling: FULL_QUALITY, enabled: true }
  return Broadcaster.listen({ host: request.host, port: request.port, info, framing, access, quality, ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}), ...classic })
}

/** Whether two broadcast:start requests put the same format on the wire (so a running broadcaster can stay). */
function sameWire(a: ValidRequestOf<'broadcast:start'>, b: ValidRequestOf<'broadcast:start'>): boolean {
  return a.classic === b.classic && (a.classic === 'off' || (a.classicPrefix === b.classicPrefix && a.maxMessageBytes === b.maxMessageBytes))
}

/** The access a broadcast asks for: private (with a code) unless the request says open or speaks classic. */
function accessFor(request: ValidRequestOf<'broadcast:start'>, store: DeviceStore | null): { access: Access; codes: PairingCodes | null } {
  if (request.classic !== 'off' || request.access === 'open' || store === null) return { access: OPEN_ACCESS, codes: null }
  const codes = new PairingCodes()
  return { access: { mode: 'private', store, codes }, codes }
}

/**
 * broadcast:start `mjpegPort`: HTTP MJPEG on its own port, behind a random per-broadcast token; the running server is
 * kept when the port stays.
 */
async function startMjpeg(request: ValidRequestOf<'broadcast:start'>, current: MjpegServer | null): Promise<MjpegServer | null> {
  if (current !== null && current.port === request.mjpegPort) return current
  await current?.close()
  if (request.mjpegPort === null) return null
  return MjpegServer.listen({ host: request.host, port: request.mjpegPort, token: randomBytes(18).toString('base64url') })
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

/** A frame at another picture size than the viewers were told (adaptation stepped the size): tell them again (setInfo sends only a change). */
function followPictureSize(s: BroadcastSession, jpeg: Uint8Array): void {
  const size = jpegSize(jpeg)
  if (size !== undefined) s.broadcaster.setInfo({ ...s.broadcaster.streamInfo, ...size })
}

/**
 * A picture from the window goes to the broadcaster, whatever its framing, when it is in the stream's codec, and to
 * MJPEG when it is JPEG (broadcast-codec.ts). Returns how many it reached.
 */
function sendFrame(s: BroadcastSession, picture: BroadcastPicture): number {
  const { toViewers, toCompat } = routePicture(picture, s.broadcaster.streamInfo.codec)
  const { seq, capturedAtUs, payload, keyframe, quality } = picture
  const viewers = toViewers ? s.broadcaster.send({ seq, capturedAtUs, payload, keyframe, quality }) : 0
  if (s.compat.mjpeg === null || !toCompat) return viewers
  s.compat.mjpeg.send(payload)
  s.wants.jpegArrived(monoMs())
  return viewers + s.compat.mjpeg.stats().clients
}

/**
 * watch:start `mode`: 'auto' tells Framecast and classic senders apart; 'native' and 'classic' insist on one. A
 * classic sender is read with `classicPrefix`; `maxMessageBytes` (or the host's) bounds what either may send. The
 * watch pairs with private broadcasters as this installation, asking the window for the code when one is needed.
 */
function createWatcherFor(request: ValidRequestOf<'watch:start'>, maxMessageBytes: number | undefined, store: DeviceStore): Watcher {
  const limit = request.maxMessageBytes ?? maxMessageBytes
  return new Watcher({
    host: request.host,
    port: request.port,
    mode: request.mode,
    security: { store, askForCode: true },
    classicPrefix: request.classicPrefix,
    ...(limit !== undefined ? { maxMessageBytes: limit } : {})
  })
}

// ---------------------------------------------------------------------------------------------------------------

/** A viewer under the name its device has in Paired devices (renamed there, or as it introduced itself at pairing). */
function namedAsPaired(viewer: ViewerStats, store: DeviceStore): ViewerStats {
  const name = viewer.fingerprint === null ? '' : (store.find('viewer', viewer.fingerprint)?.name ?? '')
  return name === '' || name === viewer.name ? viewer : { ...viewer, name }
}

export class Sessions {
  private readonly broadcasts = new Map<string, BroadcastSession>()
  private readonly watches = new Map<string, WatchSession>()
  /** Start/stop/release of one peer run one after another, so a quick stop-start never interleaves. */
  private readonly queues = new Map<string, Promise<unknown>>()
  private readonly listInterfaces: () => NetInterface[]
  /** The interfaces a live status lists, looked up once per few seconds at most. */
  private readonly statusInterfaces: { get: () => NetInterface[] }
  /** The same complaint about the same peer and channel is logged at most once a second. */
  private readonly logLines: RepeatLimitedLog
  private readonly discovery: Discovery
  /** Peers hearing the broadcasters on the network: how each stops. */
  private readonly browsing = new Map<string, () => void>()
  private storeOpening: Promise<DeviceStore> | null = null
  /** Windows that listed the devices: they hear 'devices:changed'. */
  private readonly deviceListeners = new Map<string, Peer>()

  constructor(private readonly options: SessionsOptions = {}) {
    this.listInterfaces = options.listInterfaces ?? systemInterfaces
    this.statusInterfaces = cachedInterfaces(this.listInterfaces)
    this.logLines = new RepeatLimitedLog(options.log ?? ((line) => console.warn(`[framecast] ${line}`)))
    this.discovery = options.discovery ?? new Discovery()
  }

  /** This installation's secure store, opened (or made) on first use. */
  store(): Promise<DeviceStore> {
    this.storeOpening ??= (async () => {
      const dir = this.options.configDir ?? (await mkdtemp(join(tmpdir(), 'framecast-')))
      const store = await DeviceStore.open(dir)
      store.on('changed', (list) => {
        for (const peer of this.deviceListeners.values()) safeSend(peer, 'devices:changed', list)
      })
      return store
    })()
    this.storeOpening.catch(() => (this.storeOpening = null))
    return this.storeOpening
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
    this.stopBrowsing(peer.id)
    this.deviceListeners.delete(peer.id)
    return this.serial(peer.id, async () => {
      await Promise.all([this.stopBroadcast(peer.id, 'stopped', false, peer), this.stopWatch(peer.id, null)])
    })
  }

  /** Quit: BYE to every viewer, close every watch connection; also waits for releases still under way. */
  async closeAll(): Promise<void> {
    for (const id of [...this.browsing.keys()]) this.stopBrowsing(id)
    const ids = new Set([...this.broadcasts.keys(), ...this.watches.keys(), ...this.queues.keys()])
    await Promise.allSettled(
      [...ids].map((id) =>
        this.serial(id, async () => {
          await Promise.all([this.stopBroadcast(id, 'shutdown', false, null), this.stopWatch(id, null)])
        })
      )
    )
    await this.discovery.close()
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
      if (!s) return { sent: false, wantKeyframe: false, wantJpeg: false, target: fixedAdaptation(req.ceiling ?? FULL_QUALITY).target }
      followQualitySetting(s, req)
      if (req.codec === 'jpeg' && s.broadcaster.streamInfo.codec === 'jpeg') followPictureSize(s, req.payload)
      const handed = sendFrame(s, req)
      return { ...s.wants.answer(handed > 0, s.compat.mjpeg?.stats().clients ?? null, monoMs()), target: adaptationOf(s).target }
    },
    'broadcast:interfaces': async () => this.listInterfaces(),
    'broadcast:kick': async (peer, req) => {
      const s = this.liveBroadcast(peer)
      if (s.broadcaster.closeViewer(req.viewerId, 'KICKED') === null) throw new FramecastError('INVALID_ARGUMENT', 'That viewer is not watching any more')
      this.pushStatus(peer, s)
      return null
    },
    'broadcast:block': async (peer, req) => {
      const s = this.liveBroadcast(peer)
      const fingerprint = s.broadcaster.fingerprintOf(req.viewerId)
      const viewer = s.broadcaster.viewers().find((v) => v.id === req.viewerId)
      if (fingerprint === null || viewer === undefined) {
        throw new FramecastError('INVALID_ARGUMENT', 'Only a paired device can be blocked: this viewer is not watching over a private broadcast')
      }
      await (await this.store()).setBlocked(fingerprint, true, viewer.name)
      s.broadcaster.closeViewer(req.viewerId, 'BLOCKED')
      this.pushStatus(peer, s)
      return null
    },
    'broadcast:new-code': async (peer) => {
      const s = this.liveBroadcast(peer)
      if (s.codes === null) throw new FramecastError('INVALID_ARGUMENT', 'An open broadcast has no pairing code')
      s.codes.rotate()
      return null
    },
    'watch:code': async (peer, req) => {
      const s = this.watches.get(peer.id)
      if (!s) throw new FramecastError('INVALID_ARGUMENT', 'Nothing is being watched in this window')
      s.watcher.enterCode(req.code)
      return null
    },
    'devices:list': async (peer) => {
      this.deviceListeners.set(peer.id, peer)
      return (await this.store()).list()
    },
    'devices:rename': async (_peer, req) => {
      const store = await this.store()
      await store.rename(req.role, req.fingerprint, req.name)
      return store.list()
    },
    'devices:forget': async (_peer, req) => {
      const store = await this.store()
      await store.forget(req.role, req.fingerprint)
      return store.list()
    },
    'devices:block': async (_peer, req) => {
      const store = await this.store()
      await store.setBlocked(req.fingerprint, req.blocked)
      if (req.blocked) this.closeViewersOf(req.fingerprint)
      return store.list()
    },
    'watch:start': async (peer, req) => {
      await this.serial(peer.id, () => this.startWatch(peer, req))
      return null
    },
    'watch:stop': async (peer) => {
      await this.serial(peer.id, () => this.stopWatch(peer.id, peer))
      return null
    },
    'discovery:start': async (peer) => {
      if (!this.browsing.has(peer.id)) this.browsing.set(peer.id, this.discovery.browse((list) => safeSend(peer, 'discovery:list', list)))
      return this.discovery.current()
    },
    'discovery:stop': async (peer) => {
      this.stopBrowsing(peer.id)
      return null
    },
    'watch:keyframe': async (peer, req) => {
      this.watches.get(peer.id)?.watcher.requestKeyframe(req.lastSeq)
      return null
    },
    'app:open': async (_peer, req) => {
      if (!this.options.openWindow) throw new FramecastError('INVALID_ARGUMENT', 'This host cannot open windows')
      this.options.openWindow(req.role)
      return null
    }
  }

  private async startBroadcast(peer: Peer, req: ValidRequestOf<'broadcast:start'>): Promise<BroadcastStatus> {
    const info: StreamInfo = streamInfoFor(req)
    const existing = this.broadcasts.get(peer.id)
    const sameAccess = existing !== undefined && existing.request.access === req.access
    if (existing && sameAccess && existing.host === req.host && existing.request.port === req.port && sameWire(existing.request, req)) {
      // Same address: new capture settings reach the viewers as a fresh INFO, nobody is disconnected.
      existing.broadcaster.setInfo(info)
      existing.wants.setCodec(info.codec)
      existing.request = req
      const previous = existing.compat.mjpeg
      existing.compat.mjpeg = null
      existing.compat.mjpegPort = null
      existing.compat.mjpeg = await startMjpeg(req, previous)
      existing.compat.mjpegPort = existing.compat.mjpeg?.port ?? null
      await this.advertise(peer, existing)
      return this.pushStatus(peer, existing)
    }
    if (existing) await this.stopBroadcast(peer.id, 'stopped', false, peer)

    let broadcaster: Broadcaster | undefined
    let mjpeg: MjpegServer | null = null
    let codes: PairingCodes | null = null
    try {
      const chosen = accessFor(req, req.classic === 'off' && req.access === 'private' ? await this.store() : null)
      codes = chosen.codes
      broadcaster = await listenBroadcaster(req, info, this.options.maxMessageBytes, chosen.access)
      mjpeg = await startMjpeg(req, null)
    } catch (e) {
      codes?.close()
      await broadcaster?.close()
      const error = toIpcError(e)
      safeSend(peer, 'broadcast:status', { ...idleStatus(), state: 'error', error })
      throw e
    }
    const status = new Pacer(() => void this.pushStatus(peer, session))
    const ticker = setInterval(() => status.request(), STATUS_INTERVAL_MS)
    ticker.unref()
    const compat: Compat = { classic: req.classic, mjpegPort: mjpeg?.port ?? null, mjpeg }
    const quality = { ceiling: FULL_QUALITY, adaptive: true }
    const session: BroadcastSession = {
      broadcaster,
      codes,
      host: req.host,
      ticker,
      status,
      request: req,
      compat,
      lastError: null,
      advertising: null,
      wants: new EncoderWants(info.codec),
      quality
    }
    this.broadcasts.set(peer.id, session)
    codes?.on('changed', () => status.request())
    broadcaster.on('keyframe-wanted', () => session.wants.keyframeWanted())
    await this.advertise(peer, session)

    const changed = (): void => status.request()
    broadcaster.on('viewer-joined', changed)
    broadcaster.on('viewer-left', changed)
    broadcaster.on('refused', (r) => {
      this.log(`broadcast ${peer.id}: refused ${r.address} (${r.code})`, `${peer.id}|refused`)
      changed()
    })
    broadcaster.on('pairing', (p) => {
      this.log(`broadcast ${peer.id}: ${p.address} (${p.name || 'unnamed'}) asks to pair`)
      changed()
    })
    broadcaster.on('error', (e) => {
      session.lastError = toIpcError(e)
      this.log(`broadcast ${peer.id}: ${session.lastError.code} ${session.lastError.message}`, `${peer.id}|b-error`)
      changed()
    })
    const mode = req.classic !== 'off' ? ` (classic ${req.classic}, open)` : codes === null ? ' (open: anyone on the network, unencrypted)' : ' (private)'
    const extras = `${mode}${mjpeg ? `, MJPEG on port ${mjpeg.port}` : ''}`
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
      s.status.close()
      s.codes?.close()
      s.codes?.removeAllListeners()
      try {
        await Promise.all([s.broadcaster.close(reason), s.compat.mjpeg?.close(), s.advertising?.stop()])
      } catch (e) {
        this.log(`broadcast ${id}: close failed: ${toIpcError(e).message}`)
      }
      s.broadcaster.removeAllListeners()
      this.log(`broadcast ${id}: ${reason}`)
    }
    if (announce && peer) safeSend(peer, 'broadcast:status', idleStatus())
  }

  /** A device was blocked from Paired devices: wherever it is watching now, it is closed with ERROR BLOCKED. */
  private closeViewersOf(fingerprint: string): void {
    for (const s of this.broadcasts.values()) {
      for (const v of s.broadcaster.viewers()) if (s.broadcaster.fingerprintOf(v.id) === fingerprint) s.broadcaster.closeViewer(v.id, 'BLOCKED')
    }
  }

  private pushStatus(peer: Peer, s: BroadcastSession): BroadcastStatus {
    const status = this.statusOf(s)
    safeSend(peer, 'broadcast:status', status)
    return status
  }

  private liveBroadcast(peer: Peer): BroadcastSession {
    const s = this.broadcasts.get(peer.id)
    if (!s) throw new FramecastError('INVALID_ARGUMENT', 'This window is not broadcasting')
    return s
  }

  private statusOf(s: BroadcastSession): BroadcastStatus {
    const b = s.broadcaster
    const { frames, bytes, replaced, skippedWhileConverting, conversionFailures, viewersEver, refused, fps, kbps } = b.stats()
    const interfaces = this.statusInterfaces.get()
    const lan = partnerAddresses(s.host, b.port, interfaces)
    const access = b.access
    return {
      state: 'live',
      port: b.port,
      host: s.host,
      addresses: lan,
      globalAddresses: partnerAddresses(s.host, b.port, interfaces, { global: true }).filter((a) => !lan.includes(a)),
      access: access.mode,
      pairing: s.codes?.state ?? null,
      fingerprint: access.mode === 'private' ? access.store.fingerprint : null,
      viewers: access.mode === 'private' ? b.viewers().map((v) => namedAsPaired(v, access.store)) : b.viewers(),
      totals: { frames, bytes, replaced, skippedWhileConverting, conversionFailures, viewersEver, refused },
      fps,
      kbps,
      classic: s.compat.classic,
      mjpegPort: s.compat.mjpegPort,
      advertised: s.advertising?.instance ?? null,
      mjpegPath: s.compat.mjpeg?.pathWithToken(MJPEG_STREAM_PATH) ?? null,
      adaptation: adaptationOf(s),
      error: s.lastError
    }
  }

  /**
   * (Re)advertise a broadcast after it started or changed: an unchanged advertisement stays as it is, a changed one is
   * withdrawn and published anew. A failure to advertise is logged; the broadcast runs on without it.
   */
  private async advertise(peer: Peer, s: BroadcastSession): Promise<void> {
    const r = s.request
    const access = s.broadcaster.access
    // The MJPEG endpoint is not listed: its URL carries the broadcast's token, given only to those meant to watch.
    const fingerprint = access.mode === 'private' ? access.store.fingerprint : null
    const ad = this.discovery.advertisementFor({ advertise: r.advertise, host: r.host, name: r.name, port: s.broadcaster.port, classic: r.classic, mjpegPort: null, fingerprint })
    if (JSON.stringify(ad) === JSON.stringify(s.advertising?.advertisement ?? null)) return
    await s.advertising?.stop()
    s.advertising = null
    if (ad === null) return
    try {
      const advertising = this.discovery.advertise(ad)
      s.advertising = advertising
      void advertising.published.then((instance) => {
        if (instance !== null && this.broadcasts.get(peer.id) === s) this.log(`broadcast ${peer.id}: listed on the network as "${instance}"`)
        if (this.broadcasts.get(peer.id) === s) this.pushStatus(peer, s)
      })
    } catch (e) {
      this.log(`broadcast ${peer.id}: not advertised: ${toIpcError(e).message}`)
    }
  }

  private stopBrowsing(id: string): void {
    this.browsing.get(id)?.()
    this.browsing.delete(id)
  }

  private async startWatch(peer: Peer, req: ValidRequestOf<'watch:start'>): Promise<void> {
    await this.stopWatch(peer.id, null)
    const watcher = createWatcherFor(req, this.options.maxMessageBytes, await this.store())
    const session: WatchSession = { watcher, toPeer: new NewestSlot(), state: new Pacer(() => safeSend(peer, 'watch:state', watcher.status)) }
    this.watches.set(peer.id, session)
    let sawState = false
    watcher.on('state', () => {
      sawState = true
      session.state.request()
    })
    watcher.on('stats', (stats) => safeSend(peer, 'watch:stats', stats))
    watcher.on('frame', (f) => {
      const { seq, capturedAtUs, latencyMs, quality, codec, keyframe, payload } = f
      this.queueFrame(peer, session, { seq, capturedAtUs, latencyMs, quality, codec, keyframe, payload })
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
   * decoded from one chunk after a network hiccup) replace each other, and only the newest is sent. H.264 frames go
   * on at once and in order instead: each one is needed to decode the next (the window drops what it cannot keep up
   * with, down to the next keyframe).
   */
  private queueFrame(peer: Peer, s: WatchSession, frame: WatchFrame): void {
    if (frame.codec === 'h264') {
      s.toPeer.clear()
      safeSend(peer, 'watch:frame', frame)
      return
    }
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
    s.state.close()
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

  /** Log a line; with a `key`, repeats within a second are counted and summarised instead of printed. */
  private log(line: string, key?: string): void {
    this.logLines.log(line, key)
  }
}

function safeSend<E extends EventChannel>(peer: Peer, channel: E, payload: EventMap[E]): void {
  try {
    peer.send(channel, payload)
  } catch {
    // The window went away between our check and the send; nothing to tell it any more.
  }
}
