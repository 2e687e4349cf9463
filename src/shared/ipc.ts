// The IPC contract between a window (renderer) and the main process — the only IPC vocabulary.
// Both transports use it unchanged: Electron IPC (src/main/ipc.ts + src/preload) and the browser host's WebSocket
// (src/web-host/server.ts). Every request payload is validated with the schemas below on the main side.

import * as v from 'valibot'
import { BindHostSchema, HostSchema, PortSchema } from './address'
import { ClassicPrefixChoiceSchema, ClassicPrefixSchema, DEFAULT_CLASSIC_PREFIX, MessageLimitSchema } from './classic'
import type { DiscoveryList } from './discovery'
import { FingerprintSchema } from './fingerprint'
import { type CodecName, DEFAULT_MAX_MESSAGE_BYTES, isJpeg } from './protocol'
import {
  AccessModeSchema,
  type BroadcastStatus,
  ClassicModeSchema,
  type DeviceList,
  type EncoderTarget,
  type ErrorInfo,
  type NetInterface,
  type WatchStats,
  type WatchStatus,
  WatchModeSchema
} from './status'

export type { DiscoveredBroadcaster, DiscoveryList } from './discovery'
export type {
  AccessMode,
  Adaptation,
  BroadcastStatus,
  ClassicMode,
  DeviceList,
  EncoderTarget,
  NetInterface,
  PairedDevice,
  ViewerStats,
  WatchMode,
  WatchSecurity,
  WatchState,
  WatchStats,
  WatchStatus
} from './status'
/** An error carried in a Result or an event. */
export type IpcError = ErrorInfo

// ---------------------------------------------------------------------------------------------------------------
// Values
// ---------------------------------------------------------------------------------------------------------------

export const MAX_JPEG_BYTES = DEFAULT_MAX_MESSAGE_BYTES - 64

/** A JPEG quality, 1–100. */
export const QualitySchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100))

export const JpegSchema = v.pipe(
  v.custom<Uint8Array>((b) => b instanceof Uint8Array, 'A frame must be binary'),
  v.check((b) => b.byteLength > 0 && b.byteLength <= MAX_JPEG_BYTES, `A frame must be 1 byte to ${MAX_JPEG_BYTES} bytes`),
  v.check((b) => isJpeg(b), 'A frame must be a JPEG image')
)

/** A pairing code as typed: 6 digits. */
export const PairingCodeSchema = v.pipe(v.string(), v.regex(/^\d{6}$/, 'A pairing code is 6 digits'))
const ViewerIdSchema = v.pipe(v.number(), v.integer(), v.minValue(1))
const DeviceRoleSchema = v.picklist(['viewer', 'broadcaster'])
/** The WebCodecs codec string of an H.264 stream (RFC 6381 "avc1.PPCCLL"), as INFO `params` carries it. */
export const H264CodecParamsSchema = v.pipe(v.string(), v.regex(/^avc1\.[0-9A-Fa-f]{6}$/, 'H.264 codec parameters look like avc1.42E01F'))

/** One H.264 access unit in Annex B form: it starts with a start code (00 00 01 or 00 00 00 01). */
export const H264Schema = v.pipe(
  v.custom<Uint8Array>((b) => b instanceof Uint8Array, 'A frame must be binary'),
  v.check((b) => b.byteLength > 4 && b.byteLength <= MAX_JPEG_BYTES, `A frame must be 5 bytes to ${MAX_JPEG_BYTES} bytes`),
  v.check((b) => b[0] === 0 && b[1] === 0 && (b[2] === 1 || (b[2] === 0 && b[3] === 1)), 'An H.264 frame must start with an Annex B start code')
)

/**
 * A picture from the Broadcast window: a JPEG (`jpeg`), or an H.264 access unit (`h264`) with its keyframe flag.
 * Validated as the window sends it, handed on as one shape with its codec.
 */
const FrameRequestSchema = v.pipe(
  v.strictObject({
    seq: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff)),
    capturedAtUs: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
    /** FRAME's quality byte: JPEG quality, or H.264's bitrate in force as a share of its default bitrate, 1–100 (0: not stated). */
    quality: v.optional(v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100)), 0),
    jpeg: v.optional(JpegSchema),
    h264: v.optional(H264Schema),
    keyframe: v.optional(v.boolean()),
    /** The person's quality setting: the most adaptive quality asks for. Absent: unchanged (100 at the start). */
    ceiling: v.optional(QualitySchema),
    /** Adaptive quality on (the answer's target follows the network) or off (fixed: the target is the ceiling). */
    adaptive: v.optional(v.boolean())
  }),
  v.check((f) => (f.jpeg === undefined) !== (f.h264 === undefined), 'A frame carries either jpeg or h264'),
  v.forward(
    v.check((f) => (f.h264 === undefined) === (f.keyframe === undefined), 'keyframe says whether an H.264 frame is one, and goes with h264 only'),
    ['keyframe']
  ),
  v.transform(
    (f): BroadcastPicture => ({
      seq: f.seq,
      capturedAtUs: f.capturedAtUs,
      quality: f.quality,
      ...(f.ceiling !== undefined ? { ceiling: f.ceiling } : {}),
      ...(f.adaptive !== undefined ? { adaptive: f.adaptive } : {}),
      ...(f.h264 !== undefined ? { codec: 'h264', payload: f.h264, keyframe: f.keyframe === true } : { codec: 'jpeg', payload: f.jpeg!, keyframe: true })
    })
  )
)

/** A picture from the Broadcast window, checked: what the session hands to the fan-out (and MJPEG). */
export interface BroadcastPicture {
  seq: number
  capturedAtUs: number
  quality: number
  codec: CodecName
  payload: Uint8Array
  keyframe: boolean
  /** The person's quality setting, when the window says it (see broadcast:frame). */
  ceiling?: number
  /** Adaptive quality on or off, when the window says it. */
  adaptive?: boolean
}

/**
 * broadcast:start's codec: 'jpeg' (default), or 'h264' with `codecParams`, the WebCodecs codec string the Watch
 * windows configure their decoder with. The session refuses H.264 without parameters, and H.264 with a classic mode
 * (classic scripts read JPEG).
 */
const StreamCodecEntries = {
  codec: v.optional(v.picklist(['jpeg', 'h264'] as const satisfies readonly CodecName[]), 'jpeg'),
  codecParams: v.optional(H264CodecParamsSchema)
}

// ---------------------------------------------------------------------------------------------------------------
// Requests: renderer -> main, each answered with a Result
// ---------------------------------------------------------------------------------------------------------------

export const requestSchemas = {
  'broadcast:start': v.strictObject({
    port: PortSchema,
    host: BindHostSchema,
    name: v.pipe(v.string(), v.maxLength(64)),
    width: v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(7680)),
    height: v.pipe(v.number(), v.integer(), v.minValue(16), v.maxValue(4320)),
    fps: v.pipe(v.number(), v.minValue(1), v.maxValue(120)),
    classic: v.optional(ClassicModeSchema, 'off'),
    /** Classic: how each message's length is written, and the largest message (bytes; null: 32 MiB). */
    classicPrefix: v.optional(ClassicPrefixSchema, DEFAULT_CLASSIC_PREFIX),
    maxMessageBytes: v.optional(v.nullable(MessageLimitSchema), null),
    mjpegPort: v.optional(v.nullable(PortSchema), null),
    access: v.optional(AccessModeSchema, 'private'),
    /** Tell the local network about this broadcast (DNS-SD); false keeps it to those who know the address. */
    advertise: v.optional(v.boolean(), true),
    ...StreamCodecEntries
  }),
  'broadcast:stop': v.strictObject({}),
  'broadcast:frame': FrameRequestSchema,
  'broadcast:interfaces': v.strictObject({}),
  'broadcast:kick': v.strictObject({ viewerId: ViewerIdSchema }),
  'broadcast:block': v.strictObject({ viewerId: ViewerIdSchema }),
  'broadcast:new-code': v.strictObject({}),
  'watch:start': v.strictObject({
    host: HostSchema,
    port: PortSchema,
    mode: v.optional(WatchModeSchema, 'auto'),
    /** A classic sender's length prefix ('auto': told from its first messages), and the largest message (bytes; null: the format's). */
    classicPrefix: v.optional(ClassicPrefixChoiceSchema, 'auto'),
    maxMessageBytes: v.optional(v.nullable(MessageLimitSchema), null)
  }),
  'watch:stop': v.strictObject({}),
  /** Start hearing the broadcasters on the network: answered with what is heard now, then 'discovery:list' events. */
  'discovery:start': v.strictObject({}),
  'discovery:stop': v.strictObject({}),
  'watch:code': v.strictObject({ code: PairingCodeSchema }),
  'devices:list': v.strictObject({}),
  'devices:rename': v.strictObject({ role: DeviceRoleSchema, fingerprint: FingerprintSchema, name: v.pipe(v.string(), v.maxLength(64)) }),
  'devices:forget': v.strictObject({ role: DeviceRoleSchema, fingerprint: FingerprintSchema }),
  'devices:block': v.strictObject({ fingerprint: FingerprintSchema, blocked: v.boolean() }),
  /** The Watch window lost the H.264 chain (a decode error, a backlog): ask the broadcaster for a keyframe. */
  'watch:keyframe': v.strictObject({ lastSeq: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff)) }),
  'app:open': v.strictObject({ role: v.picklist(['broadcast', 'watch']) })
} as const

export type RequestChannel = keyof typeof requestSchemas
export type RequestOf<C extends RequestChannel> = v.InferInput<(typeof requestSchemas)[C]>
export type ValidRequestOf<C extends RequestChannel> = v.InferOutput<(typeof requestSchemas)[C]>

export interface ResponseMap {
  'broadcast:start': BroadcastStatus
  'broadcast:stop': null
  'broadcast:frame': FrameAnswer
  'broadcast:interfaces': NetInterface[]
  'broadcast:kick': null
  'broadcast:block': null
  'broadcast:new-code': null
  'watch:start': null
  'watch:stop': null
  'discovery:start': DiscoveryList
  'discovery:stop': null
  'watch:code': null
  'devices:list': DeviceList
  'devices:rename': DeviceList
  'devices:forget': DeviceList
  'devices:block': DeviceList
  'watch:keyframe': null
  'app:open': null
}

/** The answer to a picture from the Broadcast window: what became of it, and what the next pictures should be. */
export interface FrameAnswer {
  /** The frame was handed to the network, or skipped because no one is watching / not live. */
  sent: boolean
  /** Make the next picture an H.264 keyframe: a viewer joined, asked for one, or missed a frame. */
  wantKeyframe: boolean
  /** Also send a JPEG of the next picture: the stream is H.264 and the MJPEG endpoint has clients to feed. */
  wantJpeg: boolean
  /**
   * What the next pictures should be encoded at (adaptive quality: JPEG quality and size, H.264 bitrate; the ceiling at
   * full size when adaptation is off or nothing is live).
   */
  target: EncoderTarget
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError }

/** Which kind of window may use which request channel. */
export type WindowRole = 'start' | 'broadcast' | 'watch'
export const channelRoles: Record<RequestChannel, readonly WindowRole[]> = {
  'broadcast:start': ['broadcast'],
  'broadcast:stop': ['broadcast'],
  'broadcast:frame': ['broadcast'],
  'broadcast:interfaces': ['broadcast'],
  'broadcast:kick': ['broadcast'],
  'broadcast:block': ['broadcast'],
  'broadcast:new-code': ['broadcast'],
  'watch:start': ['watch'],
  'watch:stop': ['watch'],
  'discovery:start': ['watch'],
  'discovery:stop': ['watch'],
  'watch:code': ['watch'],
  'devices:list': ['broadcast', 'watch'],
  'devices:rename': ['broadcast', 'watch'],
  'devices:forget': ['broadcast', 'watch'],
  'devices:block': ['broadcast'],
  'watch:keyframe': ['watch'],
  'app:open': ['start', 'broadcast', 'watch']
}

export function isRequestChannel(s: unknown): s is RequestChannel {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, s)
}

/** Validate a request payload. Returns the parsed value, or an IpcError naming the first problem. */
export function parseRequest<C extends RequestChannel>(
  channel: C,
  payload: unknown
): { ok: true; value: ValidRequestOf<C> } | { ok: false; error: IpcError } {
  const r = v.safeParse(requestSchemas[channel], payload)
  if (r.success) return { ok: true, value: r.output as ValidRequestOf<C> }
  const issue = r.issues[0]
  const path = issue.path?.map((p) => String(p.key)).join('.')
  return { ok: false, error: { code: 'INVALID_ARGUMENT', message: path ? `${path}: ${issue.message}` : issue.message } }
}

// ---------------------------------------------------------------------------------------------------------------
// Events: main -> renderer
// ---------------------------------------------------------------------------------------------------------------

export interface WatchFrame {
  seq: number
  capturedAtUs: number
  /** glass-to-glass estimate up to the moment main received it, using the clock offset; null until known */
  latencyMs: number | null
  /** the encoder quality the broadcaster made it at (FRAME's quality byte), 1–100; 0 when not stated */
  quality: number
  /** What `payload` holds: one JPEG, or one H.264 access unit in Annex B form (the stream's INFO says its parameters). */
  codec: CodecName
  /** Decodable on its own (every JPEG; H.264 IDR pictures). */
  keyframe: boolean
  payload: Uint8Array
}

export interface EventMap {
  'broadcast:status': BroadcastStatus
  'watch:state': WatchStatus
  'watch:stats': WatchStats
  'watch:frame': WatchFrame
  'discovery:list': DiscoveryList
  /** The paired devices changed (paired, renamed, forgotten, blocked): to windows that listed them. */
  'devices:changed': DeviceList
}
export type EventChannel = keyof EventMap

// ---------------------------------------------------------------------------------------------------------------
// window.api — what the preload (or the browser host's client) exposes to the page
// ---------------------------------------------------------------------------------------------------------------

export type Unsubscribe = () => void

/** One typed function per channel. Methods are named here once; preload and the browser host build from this map. */
export const apiRequests = {
  startBroadcast: 'broadcast:start',
  stopBroadcast: 'broadcast:stop',
  sendFrame: 'broadcast:frame',
  listInterfaces: 'broadcast:interfaces',
  kickViewer: 'broadcast:kick',
  blockViewer: 'broadcast:block',
  newPairingCode: 'broadcast:new-code',
  startWatch: 'watch:start',
  stopWatch: 'watch:stop',
  startDiscovery: 'discovery:start',
  stopDiscovery: 'discovery:stop',
  enterPairingCode: 'watch:code',
  listDevices: 'devices:list',
  renameDevice: 'devices:rename',
  forgetDevice: 'devices:forget',
  setDeviceBlocked: 'devices:block',
  requestKeyframe: 'watch:keyframe',
  openWindow: 'app:open'
} as const satisfies Record<string, RequestChannel>

export const apiEvents = {
  onBroadcastStatus: 'broadcast:status',
  onWatchState: 'watch:state',
  onWatchStats: 'watch:stats',
  onWatchFrame: 'watch:frame',
  onDiscoveryList: 'discovery:list',
  onDevicesChanged: 'devices:changed'
} as const satisfies Record<string, EventChannel>

export type FramecastApi = {
  [M in keyof typeof apiRequests]: (
    payload: RequestOf<(typeof apiRequests)[M]>
  ) => Promise<Result<ResponseMap[(typeof apiRequests)[M]]>>
} & {
  [M in keyof typeof apiEvents]: (listener: (payload: EventMap[(typeof apiEvents)[M]]) => void) => Unsubscribe
}

/**
 * Build the window.api object from the two maps above. `request` carries one request to main and resolves with its
 * Result; `subscribe` listens to one event channel. Electron's preload and the browser host's client both use it, so
 * the page sees the same object whatever the transport.
 */
export function createApi(
  request: (channel: RequestChannel, payload: unknown) => Promise<Result<unknown>>,
  subscribe: (channel: EventChannel, listener: (payload: unknown) => void) => Unsubscribe
): FramecastApi {
  const api: Record<string, unknown> = {}
  for (const [method, channel] of Object.entries(apiRequests)) api[method] = (payload: unknown) => request(channel, payload)
  for (const [method, channel] of Object.entries(apiEvents)) {
    api[method] = (listener: (payload: unknown) => void) => subscribe(channel, listener)
  }
  return Object.freeze(api) as FramecastApi
}

/** Windows are told their role by the URL hash: index.html#broadcast, #watch, or none for the start window. */
export function roleFromHash(hash: string): WindowRole {
  const h = hash.replace(/^#\/?/, '')
  return h === 'broadcast' || h === 'watch' ? h : 'start'
}

/**
 * Electron transport: every request travels on this one channel as invoke(IPC_REQUEST_CHANNEL, channel, payload)
 * and is answered with a Result; events are sent on their own EventChannel names.
 */
export const IPC_REQUEST_CHANNEL = 'framecast:request'
