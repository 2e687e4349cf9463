import type { StateCreator } from 'zustand'
import type { WatchStats, WatchStatus } from '../../../shared/ipc'
import type { State } from './index'

export const idleWatchStatus: WatchStatus = {
  state: 'idle',
  host: '',
  port: 0,
  attempt: 0,
  format: null,
  info: null,
  security: null,
  error: null
}

export interface WatchSlice {
  watch: {
    status: WatchStatus
    stats: WatchStats | null
    /** A request (start/stop) is on its way to main. */
    busy: boolean
  }
  setWatchStatus: (status: WatchStatus) => void
  setWatchStats: (stats: WatchStats) => void
  setWatchBusy: (busy: boolean) => void
  resetWatch: () => void
}

export const createWatchSlice: StateCreator<State, [['zustand/persist', unknown]], [], WatchSlice> = (set) => ({
  watch: { status: idleWatchStatus, stats: null, busy: false },
  setWatchStatus: (status) =>
    set((s) => ({ watch: { ...s.watch, status, stats: status.state === 'idle' ? null : s.watch.stats } })),
  setWatchStats: (stats) => set((s) => ({ watch: { ...s.watch, stats } })),
  setWatchBusy: (busy) => set((s) => ({ watch: { ...s.watch, busy } })),
  resetWatch: () => set({ watch: { status: idleWatchStatus, stats: null, busy: false } })
})
