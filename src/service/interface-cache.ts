// The machine's network interfaces, looked up once per few seconds at most. A broadcast's status lists the addresses
// a partner can type, and status goes out often; os.networkInterfaces() walks every interface of the machine each
// time it is called, so under a flood of status changes the lookups themselves became the cost.

import type { NetInterface } from '../shared/status'

/** How long one lookup of the interfaces is used: a new address (Wi-Fi joined, cable plugged) shows within 5 s. */
export const INTERFACES_TTL_MS = 5_000

/** `list`, remembered for `ttlMs` after each call that reached it. `lookups` counts those calls. */
export function cachedInterfaces(list: () => NetInterface[], ttlMs = INTERFACES_TTL_MS): { get: () => NetInterface[]; readonly lookups: number } {
  let value: NetInterface[] | null = null
  let at = 0
  let lookups = 0
  return {
    get: () => {
      const now = performance.now()
      if (value === null || now - at >= ttlMs) {
        value = list()
        at = now
        lookups++
      }
      return value
    },
    get lookups() {
      return lookups
    }
  }
}
