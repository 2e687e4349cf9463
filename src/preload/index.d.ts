import type { FramecastApi } from '../shared/ipc'

declare global {
  interface Window {
    /** Provided by the Electron preload (contextBridge) or by the browser host's injected client. */
    api: FramecastApi
  }
}

export {}
