// What adaptive quality and the delivery toward each viewer look like in words: the same sentences in the Broadcast
// window and on `framecast broadcast`'s status line.

import type { Adaptation, ViewerStats } from './status'

/** A bitrate for people: "840 kbit/s", "18.2 Mbit/s"; '–' when not known. `kbps` is kbit/s. */
export function formatRate(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined || !Number.isFinite(kbps)) return '–'
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`
}

/**
 * What adaptive quality is doing, in one sentence: "Network-limited: quality lowered to 45 %" (and ", picture at
 * 75 % size" when the size was stepped down), "Network recovering: quality back up to 60 %", "Full quality (70 %):
 * the network keeps up", "Fixed quality: 70 % (adaptation off)". `asRead`: frames are ready-made and go out as read
 * at the full setting (the CLI without --quality), so the full states say that instead of a quality.
 */
export function describeAdaptation(a: Adaptation, asRead = false): string {
  const { quality, scale } = a.target
  const size = scale < 1 ? `, picture at ${Math.round(scale * 100)} % size` : ''
  switch (a.state) {
    case 'off':
      return asRead ? 'Frames as read (adaptation off)' : `Fixed quality: ${a.ceiling} % (adaptation off)`
    case 'full':
      return asRead ? 'Frames as read: the network keeps up' : `Full quality (${a.ceiling} %): the network keeps up`
    case 'limited':
      return `Network-limited: quality lowered to ${quality} %${size}`
    case 'recovering':
      return `Network recovering: quality back up to ${quality} %${size}`
  }
}

/**
 * One viewer's delivery: "18.2 Mbit/s · RTT 12 ms", with " · limited" while frames wait for it; "not measured" for
 * readers that cannot acknowledge (classic, MJPEG) and before the first measurement.
 */
export function describeDelivery(v: Pick<ViewerStats, 'deliveryKbps' | 'rttMs' | 'limited'>): string {
  if (v.deliveryKbps === null && v.rttMs === null) return 'not measured'
  const rtt = v.rttMs === null ? '' : ` · RTT ${v.rttMs < 10 ? v.rttMs.toFixed(1) : Math.round(v.rttMs)} ms`
  return `${formatRate(v.deliveryKbps)}${rtt}${v.limited ? ' · limited' : ''}`
}
