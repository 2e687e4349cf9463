// A broadcaster as discovery describes it, for tests of what shows and uses the list: "Studio cam" on studio-pc,
// native Framecast over JPEG at 192.168.1.20:9999, open, no fingerprint; `over` changes any field.

import type { DiscoveredBroadcaster } from '../../src/shared/discovery'

export function discoveredBroadcaster(over: Partial<DiscoveredBroadcaster> = {}): DiscoveredBroadcaster {
  return {
    id: 'studio cam on studio-pc._framecast._tcp.local',
    instance: 'Studio cam on studio-pc',
    name: 'Studio cam',
    device: 'studio-pc',
    kind: 'framecast',
    host: '192.168.1.20',
    port: 9999,
    addresses: ['192.168.1.20'],
    protocolVersion: 2,
    codec: 'jpeg',
    pairing: false,
    fingerprint: null,
    path: null,
    supported: true,
    ...over
  }
}
