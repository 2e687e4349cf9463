import type { StateCreator } from 'zustand'
import type { AccessMode, BroadcastStatus, IpcError } from '../../../shared/ipc'
import type { CodecName } from '../../../shared/protocol'
import type { CameraProblem } from '../features/broadcast/cameraErrors'
import type { State } from './index'

/** Where the Broadcast window is: choosing settings, opening the camera and the port, live, or closing. */
export type BroadcastPhase = 'idle' | 'starting' | 'live' | 'stopping'

export interface CaptureStats {
  /** frames handed to main in the last second */
  fps: number
  encodeMs: number | null
  encodeMsP95: number | null
  /** frames skipped while the pipeline was busy: replaced while waiting for the encoder or for main (CaptureLoop) */
  skippedBusy: number
  /** frames left out to keep to the chosen frame rate */
  skippedPace: number
  sent: number
  width: number
  height: number
  /** how frames reach the encoder: 'track-processor' (VideoFrames in the worker) or 'video-frames' (ImageBitmaps) */
  source: string
  /** what the pictures are encoded as */
  codec: CodecName
}

export const emptyCaptureStats: CaptureStats = {
  fps: 0,
  encodeMs: null,
  encodeMsP95: null,
  skippedBusy: 0,
  skippedPace: 0,
  sent: 0,
  width: 0,
  height: 0,
  source: '',
  codec: 'jpeg'
}

export interface BroadcastSlice {
  broadcast: {
    phase: BroadcastPhase
    status: BroadcastStatus | null
    /** Starting or running the broadcast failed (port in use, ...). */
    error: IpcError | null
    camera: CameraProblem | null
    capture: CaptureStats
    /**
     * Who may watch the next broadcast. Not remembered between runs on purpose: every window starts private, and
     * streaming to anyone is chosen each time, next to its warning.
     */
    access: AccessMode
    /** Why the stream is JPEG although H.264 was chosen (no encoder, the encoder failed); null when it is not. */
    codecNote: string | null
  }
  setBroadcastAccess: (access: AccessMode) => void
  setBroadcastPhase: (phase: BroadcastPhase) => void
  setBroadcastStatus: (status: BroadcastStatus) => void
  setBroadcastError: (error: IpcError | null) => void
  setCameraProblem: (problem: CameraProblem | null) => void
  setCaptureStats: (capture: CaptureStats) => void
  setCodecNote: (note: string | null) => void
}

export const createBroadcastSlice: StateCreator<State, [['zustand/persist', unknown]], [], BroadcastSlice> = (set) => ({
  broadcast: { phase: 'idle', status: null, error: null, camera: null, capture: emptyCaptureStats, access: 'private', codecNote: null },
  setBroadcastAccess: (access) => set((s) => ({ broadcast: { ...s.broadcast, access } })),
  setBroadcastPhase: (phase) =>
    set((s) => ({
      broadcast: { ...s.broadcast, phase, ...(phase === 'starting' ? { error: null, camera: null, capture: emptyCaptureStats, codecNote: null } : {}) }
    })),
  setBroadcastStatus: (status) =>
    set((s) => ({
      broadcast: {
        ...s.broadcast,
        status,
        error: status.error ?? s.broadcast.error,
        phase: status.state === 'live' && s.broadcast.phase !== 'stopping' ? 'live' : status.state === 'idle' && s.broadcast.phase === 'live' ? 'idle' : s.broadcast.phase
      }
    })),
  setBroadcastError: (error) => set((s) => ({ broadcast: { ...s.broadcast, error } })),
  setCameraProblem: (camera) => set((s) => ({ broadcast: { ...s.broadcast, camera } })),
  setCaptureStats: (capture) => set((s) => ({ broadcast: { ...s.broadcast, capture } })),
  setCodecNote: (codecNote) => set((s) => ({ broadcast: { ...s.broadcast, codecNote } }))
})
