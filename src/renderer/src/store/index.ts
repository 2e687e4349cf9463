import { create } from 'zustand'
import { createJSONStorage, persist } from 'zustand/middleware'
import { type BroadcastSlice, createBroadcastSlice } from './broadcast'
import { createDevicesSlice, type DevicesSlice } from './devices'
import { createDiscoverySlice, type DiscoverySlice } from './discovery'
import { createSettingsSlice, sanitizeSettings, type SettingsSlice } from './settings'
import { createWatchSlice, type WatchSlice } from './watch'

export type State = BroadcastSlice & WatchSlice & SettingsSlice & DiscoverySlice & DevicesSlice

export const SETTINGS_STORAGE_KEY = 'framecast.settings'

/** One store per window. Only `settings` is persisted; status and stats live for the window's lifetime. */
export const useStore = create<State>()(
  persist(
    (...a) => ({
      ...createBroadcastSlice(...a),
      ...createWatchSlice(...a),
      ...createSettingsSlice(...a),
      ...createDiscoverySlice(...a),
      ...createDevicesSlice(...a)
    }),
    {
      name: SETTINGS_STORAGE_KEY,
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: (s) => ({ settings: s.settings }),
      merge: (persisted, current) => ({
        ...current,
        settings: sanitizeSettings((persisted as { settings?: unknown } | undefined)?.settings)
      })
    }
  )
)
