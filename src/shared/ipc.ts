// The IPC contract between a window (renderer) and the main process — the only IPC vocabulary.
// Both transports use it unchanged: Electron IPC (src/main/ipc.ts + src/preload) and the browser host's WebSocket
// (src/web-host/server.ts). Every request payload is validated with the schemas below on the main side.

import * as v from 'valibot'
import { BindHostSchema, HostSchema, PortSchema } from './address'
import { DEFAULT_MAX_MESSAGE_BYTES, isJpeg } from './protocol'
import {
  type BroadcastStatus,
  ClassicModeSchema,
  type EncoderTarget,
  type ErrorInfo,
  type NetInterface,
  type WatchStats,
  type WatchStatus,
  WatchModeSchema
} from './status'

export type { Adaptation, BroadcastStatus, ClassicMode, EncoderTarget, NetInterface, ViewerStats, WatchMode, WatchState, WatchStats, WatchStatus } from './status'
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
    mjpegPort: v.optional(v.nullable(PortSchema), null)
  }),
  'broadcast:stop': v.strictObject({}),
  'broadcast:frame': v.strictObject({
    seq: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(0xffffffff)),
    capturedAtUs: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(Number.MAX_SAFE_INTEGER)),
    jpeg: JpegSchema,
    /** The JPEG quality this frame was encoded at (FRAME's quality byte); absent when not known. */
    quality: v.optional(QualitySchema),
    /** The person's quality setting: the most adaptive quality asks for. Absent: unchanged (100 at the start). */
    ceiling: v.optional(QualitySchema),
    /** Adaptive quality on (the reply's target follows the network) or off (fixed: the target is the ceiling). */
    adaptive: v.optional(v.boolean())
  }),
  'broadcast:interfaces': v.strictObject({}),
  'watch:start': v.strictObject({
    host: HostSchema,
    port: PortSchema,
    mode: v.optional(WatchModeSchema, 'auto')
  }),
  'watch:stop': v.strictObject({}),
  'app:open': v.strictObject({ role: v.picklist(['broadcast', 'watch']) })
} as const

export type RequestChannel = keyof typeof requestSchemas
export type RequestOf<C extends RequestChannel> = v.InferInput<(typeof requestSchemas)[C]>
export type ValidRequestOf<C extends RequestChannel> = v.InferOutput<(typeof requestSchemas)[C]>

export interface ResponseMap {
  'broadcast:start': BroadcastStatus
  'broadcast:stop': null
  /**
   * The frame was handed to the network (`sent`) or skipped because no one is watching / not live; `target` is what
   * the next frames should be encoded at (adaptive quality; the ceiling at full size when it is off or not live).
   */
  'broadcast:frame': { sent: boolean; target: EncoderTarget }
  'broadcast:interfaces': NetInterface[]
  'watch:start': null
  'watch:stop': null
  'app:open': null
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: IpcError }

/** Which kind of window may use which request channel. */
export type WindowRole = 'start' | 'broadcast' | 'watch'
export const channelRoles: Record<RequestChannel, readonly WindowRole[]> = {
  'broadcast:start': ['broadcast'],
  'broadcast:stop': ['broadcast'],
  'broadcast:frame': ['broadcast'],
  'broadcast:interfaces': ['broadcast'],
  'watch:start': ['watch'],
  'watch:stop': ['watch'],
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
  jpeg: Uint8Array
}

export interface EventMap {
  'broadcast:status': BroadcastStatus
  'watch:state': WatchStatus
  'watch:stats': WatchStats
  'watch:frame': WatchFrame
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
  startWatch: 'watch:start',
  stopWatch: 'watch:stop',
  openWindow: 'app:open'
} as const satisfies Record<string, RequestChannel>

export const apiEvents = {
  onBroadcastStatus: 'broadcast:status',
  onWatchState: 'watch:state',
  onWatchStats: 'watch:stats',
  onWatchFrame: 'watch:frame'
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
