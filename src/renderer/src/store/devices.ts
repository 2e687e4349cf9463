import type { StateCreator } from 'zustand'
import type { DeviceList } from '../../../shared/status'
import type { State } from './index'

/** This installation's paired devices as main last reported them (devices:list, its answers, 'devices:changed'). */
export interface DevicesSlice {
  devices: {
    /** null until main answered the first devices:list */
    list: DeviceList | null
    /** the last rename/forget/block that main refused, in words; null once one succeeds */
    error: string | null
  }
  setDeviceList: (list: DeviceList) => void
  setDevicesError: (error: string | null) => void
}

export const createDevicesSlice: StateCreator<State, [['zustand/persist', unknown]], [], DevicesSlice> = (set) => ({
  devices: { list: null, error: null },
  setDeviceList: (list) => set((s) => ({ devices: { ...s.devices, list } })),
  setDevicesError: (error) => set((s) => ({ devices: { ...s.devices, error } }))
})
