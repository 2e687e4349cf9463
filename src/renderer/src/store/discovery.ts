import type { StateCreator } from 'zustand'
import type { DiscoveryList } from '../../../shared/ipc'
import type { State } from './index'

/** The broadcasters main hears on the local network, as it last reported them. */
export interface DiscoverySlice {
  discovery: DiscoveryList & {
    /** Main has answered at least once (until then the list is not known, not empty). */
    heard: boolean
  }
  setDiscovery: (list: DiscoveryList) => void
}

export const createDiscoverySlice: StateCreator<State, [['zustand/persist', unknown]], [], DiscoverySlice> = (set) => ({
  discovery: { broadcasters: [], error: null, heard: false },
  setDiscovery: (list) => set({ discovery: { broadcasters: list.broadcasters, error: list.error, heard: true } })
})
