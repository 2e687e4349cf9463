// Exposes window.api: one typed function per request channel and one on*() subscription per event channel, built
// from the maps in src/shared/ipc.ts. Neither ipcRenderer nor anything from Node reaches the page.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { apiEvents, apiRequests, IPC_REQUEST_CHANNEL, type FramecastApi, type Result } from '../shared/ipc'

function request(channel: string) {
  return async (payload: unknown): Promise<Result<unknown>> => {
    try {
      return (await ipcRenderer.invoke(IPC_REQUEST_CHANNEL, channel, payload)) as Result<unknown>
    } catch (e) {
      return { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } }
    }
  }
}

function subscription(channel: string) {
  return (listener: (payload: unknown) => void): (() => void) => {
    if (typeof listener !== 'function') throw new TypeError(`${channel}: the listener must be a function`)
    // The page sees only the payload, never the IpcRendererEvent (which would hand it ipcRenderer via event.sender).
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
    ipcRenderer.on(channel, forward)
    return () => {
      ipcRenderer.removeListener(channel, forward)
    }
  }
}

export function buildApi(): FramecastApi {
  const api: Record<string, unknown> = {}
  for (const [method, channel] of Object.entries(apiRequests)) api[method] = request(channel)
  for (const [method, channel] of Object.entries(apiEvents)) api[method] = subscription(channel)
  return Object.freeze(api) as FramecastApi
}

contextBridge.exposeInMainWorld('api', buildApi())
