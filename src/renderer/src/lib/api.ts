// The only reader of window.api. Electron's preload or the browser host's client script provides the object;
// everything else in the page talks to main through the typed wrapper below.

import {
  apiEvents,
  apiRequests,
  type EventMap,
  type FramecastApi,
  type RequestOf,
  type ResponseMap,
  type Result,
  type Unsubscribe
} from '../../../shared/ipc'
import { type ErrorCode, isErrorCode } from '../../../shared/protocol'

export const MISSING_API_MESSAGE =
  'This page must be opened from the Framecast app or its browser host (npm run web). Opened on its own it cannot reach the camera or the network.'

/** A request that main answered with an error, or a transport that failed. */
export class ApiError extends Error {
  override readonly name = 'ApiError'
  constructor(
    readonly code: ErrorCode,
    message: string
  ) {
    super(message)
  }
}

type Requests = typeof apiRequests
type Events = typeof apiEvents

export type Api = {
  [M in keyof Requests]: (payload: RequestOf<Requests[M]>) => Promise<ResponseMap[Requests[M]]>
} & {
  [M in keyof Events]: (listener: (payload: EventMap[Events[M]]) => void) => Unsubscribe
}

function raw(): FramecastApi | undefined {
  return (window as unknown as { api?: FramecastApi }).api
}

export function hasApi(): boolean {
  const a = raw()
  return typeof a === 'object' && a !== null
}

function requireApi(): FramecastApi {
  const a = raw()
  if (!a) throw new ApiError('INTERNAL', MISSING_API_MESSAGE)
  return a
}

/** Resolve a Result into its value, or throw ApiError with the code main gave. */
export function unwrap<T>(result: Result<T>): T {
  if (result.ok) return result.value
  const code = isErrorCode(result.error.code) ? result.error.code : 'INTERNAL'
  throw new ApiError(code, result.error.message)
}

function request(method: keyof Requests) {
  return async (payload: unknown): Promise<unknown> => {
    const fn = requireApi()[method] as (p: unknown) => Promise<Result<unknown>>
    let result: Result<unknown>
    try {
      result = await fn(payload)
    } catch (e) {
      throw new ApiError('INTERNAL', `Lost contact with the Framecast app: ${e instanceof Error ? e.message : String(e)}`)
    }
    return unwrap(result)
  }
}

function subscribe(method: keyof Events) {
  return (listener: (payload: unknown) => void): Unsubscribe => {
    const fn = requireApi()[method] as (l: (payload: unknown) => void) => Unsubscribe
    return fn(listener)
  }
}

function build(): Api {
  const out: Record<string, unknown> = {}
  for (const m of Object.keys(apiRequests) as (keyof Requests)[]) out[m] = request(m)
  for (const m of Object.keys(apiEvents) as (keyof Events)[]) out[m] = subscribe(m)
  return out as Api
}

export const api: Api = build()

/** The error's code and a message, whatever was thrown. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof ApiError) return e
  return new ApiError('INTERNAL', e instanceof Error ? e.message : String(e))
}
