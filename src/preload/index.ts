// Exposes window.api: one typed function per request channel and one on*() subscription per event channel, built
// from the maps in src/shared/ipc.ts. Neither ipcRenderer nor anything from Node reaches the page.

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { createApi, type EventChannel, IPC_REQUEST_CHANNEL, type FramecastApi, type RequestChannel, type Result } from '../shared/ipc'

async function request(channel: RequestChannel, payload: unknown): Promise<Result<unknown>> {
  try {
    return (await ipcRenderer.invoke(IPC_REQUEST_CHANNEL, channel, payload)) as Result<unknown>
  } catch (e) {
    return { ok: false, error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } }
  }
}

function subscribe(channel: EventChannel, listener: (payload: unknown) => void): () => void {
  if (typeof listener !== 'function') throw new TypeError(`${channel}: the listener must be a function`)
  // The page sees only the payload, never the IpcRendererEvent (which would hand it ipcRenderer via event.sender).
  const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload)
  ipcRenderer.on(channel, forward)
  return () => {
    ipcRenderer.removeListener(channel, forward)
  }
}

export function buildApi(): FramecastApi {
  return createApi(request, subscribe)
}

contextBridge.exposeInMainWorld('api', buildApi())
