/// <reference lib="dom" />
// The browser host's stand-in for Electron's preload: defines `window.api` (the same FramecastApi object, built from
// apiRequests / apiEvents) on top of one WebSocket to the host that served this page. Bundled by src/web-host/server.ts
// and loaded as a classic script before the app's module script, so the app finds `window.api` when it starts.
//
// The per-run token comes from this script's own URL (/web-api.js?token=...); the window's role from the page's hash.

import {
  createApi,
  type EventChannel,
  type FramecastApi,
  type RequestChannel,
  type Result,
  roleFromHash,
  type Unsubscribe
} from '../shared/ipc'
import { decodeBinary, encodeBinary, type EnvelopeHeader, parseHeader, type RequestMessage, splitBinary } from './envelope'

const LOST: Result<never> = {
  ok: false,
  error: { code: 'CONNECTION_RESET', message: 'Lost the connection to the Framecast browser host. Is `npm run web` still running?' }
}

function install(): void {
  const script = document.currentScript as HTMLScriptElement | null
  const token = script ? new URL(script.src).searchParams.get('token') : null
  const role = roleFromHash(location.hash)
  const wsUrl = new URL('/api', location.href)
  wsUrl.protocol = location.protocol === 'https:' ? 'wss:' : 'ws:'
  wsUrl.search = new URLSearchParams({ token: token ?? '', role }).toString()
  wsUrl.hash = ''

  const socket = new WebSocket(wsUrl)
  socket.binaryType = 'arraybuffer'
  let closed = false
  const opened = new Promise<void>((resolve) => socket.addEventListener('open', () => resolve(), { once: true }))
  const pending = new Map<number, (r: Result<unknown>) => void>()
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>()
  let nextId = 1

  socket.addEventListener('close', () => {
    closed = true
    for (const resolve of pending.values()) resolve(LOST)
    pending.clear()
  })

  socket.addEventListener('message', (ev: MessageEvent<string | ArrayBuffer>) => {
    let msg: EnvelopeHeader
    try {
      msg = typeof ev.data === 'string' ? parseHeader(ev.data) : decodeBinary(new Uint8Array(ev.data))
    } catch (e) {
      console.error('framecast: unreadable message from the host', e)
      return
    }
    if (msg.kind === 'response') {
      const resolve = pending.get(msg.id)
      pending.delete(msg.id)
      resolve?.(msg.result)
    } else if (msg.kind === 'event') {
      for (const l of listeners.get(msg.channel) ?? []) {
        try {
          l(msg.payload)
        } catch (e) {
          console.error(e)
        }
      }
    }
  })

  async function call(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    await opened.catch(() => undefined)
    if (closed || socket.readyState !== WebSocket.OPEN) return LOST
    const id = nextId++
    const { json, bin, bytes } = splitBinary(payload)
    const header: RequestMessage = { kind: 'request', id, channel, payload: json, ...(bin ? { bin } : {}) }
    const answer = new Promise<Result<unknown>>((resolve) => pending.set(id, resolve))
    socket.send(bytes ? encodeBinary(header, bytes) : JSON.stringify(header))
    return answer
  }

  function pageUrl(forRole: string): string {
    const u = new URL(location.href)
    u.hash = forRole
    return u.toString()
  }

  async function request(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
    const result = await call(channel, payload)
    // The host checks the request like Electron's main does; opening the window is the page's job here.
    if (channel === 'app:open' && result.ok) {
      const target = pageUrl((payload as { role: string }).role)
      const opened = window.open(target, '_blank')
      if (!opened) {
        location.assign(target)
        location.reload()
      }
    }
    return result
  }

  function subscribe(channel: EventChannel, listener: (payload: unknown) => void): Unsubscribe {
    let set = listeners.get(channel)
    if (!set) listeners.set(channel, (set = new Set()))
    const own = (p: unknown): void => listener(p)
    set.add(own)
    return () => void set.delete(own)
  }

  const api: FramecastApi = createApi(request, subscribe)
  Object.defineProperty(window, 'api', { value: api, enumerable: true })
}

install()
