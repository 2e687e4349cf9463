// Finding broadcasters without typing: the DNS-SD advertisement a broadcaster sends over multicast DNS (its service
// types and TXT keys, mirrored from docs/protocol.md "Discovery", the source of truth) and what a browser makes of
// one — the entries the Watch window lists and `framecast list` prints. Pure TypeScript: no Node, no Electron.

import type { ErrorInfo } from './status'

/** DNS-SD service type of a Framecast broadcast port (native or classic): `_framecast._tcp` (RFC 6763 §7). */
export const FRAMECAST_SERVICE = 'framecast'
/**
 * The MJPEG endpoint is advertised as what players understand, `_http._tcp` with its path in TXT (RFC 6763 §7, the
 * `path` key of dns-sd.org's http profile), under this subtype (`_framecast._sub._http._tcp`, RFC 6763 §7.1) so a
 * Framecast browser asks for its own endpoints only, not every printer's web page.
 */
export const HTTP_SERVICE = 'http'
export const MJPEG_SUBTYPE = 'framecast'

/** TXT keys (RFC 6763 §6: short, lower-case ASCII). What each holds is in docs/protocol.md "Discovery". */
export const TxtKey = {
  /** display name of the stream (as in INFO), UTF-8 */
  name: 'name',
  /** the broadcasting device's name (its host name), UTF-8 */
  device: 'dev',
  /** Framecast protocol version spoken on the port (native mode only) */
  protocol: 'proto',
  /** codec of the frames (native mode only): `jpeg`, `h264` */
  codec: 'codec',
  /** classic mode: the port speaks the classic OpenCV-script format instead of Framecast: `pickle` or `jpeg` */
  classic: 'classic',
  /** `1` when a viewer must pair (type the code shown on the broadcaster) before it may watch */
  pairing: 'pair',
  /** the broadcaster's device fingerprint: SHA-256 of its certificate, 64 lower-case hex digits */
  fingerprint: 'fp',
  /** MJPEG endpoint: the stream's path on the HTTP server */
  path: 'path'
} as const

/** A whole TXT record (every string with its length byte) may be at most this long (RFC 6763 §6.2: one packet). */
export const TXT_MAX_BYTES = 1300
/** `name` and `dev` values, UTF-8 bytes (INFO's name cap). */
export const TXT_MAX_NAME_BYTES = 64
/** `path` value, bytes. */
export const TXT_MAX_PATH_BYTES = 200
/** A DNS label (the service instance name) is at most 63 bytes (RFC 1035 §2.3.4). */
export const INSTANCE_MAX_BYTES = 63
/** Addresses kept per broadcaster (A and AAAA records). */
export const MAX_ADVERTISED_ADDRESSES = 8

/** What a broadcaster serves on the advertised port. */
export type BroadcasterKind = 'framecast' | 'classic-pickle' | 'classic-jpeg' | 'mjpeg'

/** One broadcaster heard on the network, as the Watch window lists it and `framecast list --json` prints it. */
export interface DiscoveredBroadcaster {
  /** Stable while the broadcaster runs: its DNS-SD service instance's full name, lower-cased. */
  id: string
  /** The DNS-SD instance name, what other DNS-SD browsers show ("Studio on studio-pc (9999)"). */
  instance: string
  /** The stream's display name. */
  name: string
  /** The broadcasting device's name ('' when it gives none). */
  device: string
  kind: BroadcasterKind
  /** The address to connect to: where the advertisement came from. */
  host: string
  port: number
  /** Every address the broadcaster advertised (A/AAAA records), at most MAX_ADVERTISED_ADDRESSES. */
  addresses: string[]
  /** Framecast protocol version (native mode), null otherwise. */
  protocolVersion: number | null
  /** Codec name as advertised (native mode: "jpeg", "h264", or a newer one), null otherwise. */
  codec: string | null
  /** A viewer must pair with the code shown on the broadcaster. */
  pairing: boolean
  /** Device fingerprint, 64 lower-case hex digits, or null when the broadcaster gives none. */
  fingerprint: string | null
  /** MJPEG endpoint: the stream's path ("/stream.mjpg"); null for other kinds. */
  path: string | null
  /** This version of Framecast can watch it: a classic stream, or the same protocol version and a known codec. */
  supported: boolean
}

/** What a browse reports: the broadcasters heard right now, or why it cannot listen. */
export interface DiscoveryList {
  broadcasters: DiscoveredBroadcaster[]
  error: ErrorInfo | null
}

/** What a broadcaster serves, in words ("Framecast, JPEG"; "Classic OpenCV script, JPEG frames"; "MJPEG over HTTP"). */
export function describeKind(b: Pick<DiscoveredBroadcaster, 'kind' | 'protocolVersion' | 'codec' | 'supported'>): string {
  switch (b.kind) {
    case 'framecast': {
      const codec = b.codec === null ? '' : `, ${b.codec === 'h264' ? 'H.264' : b.codec.toUpperCase()}`
      return b.supported ? `Framecast${codec}` : `Framecast ${b.protocolVersion ?? '?'}${codec} (needs another version of Framecast)`
    }
    case 'classic-pickle':
      return 'Classic OpenCV script, pickled frames'
    case 'classic-jpeg':
      return 'Classic OpenCV script, JPEG frames'
    case 'mjpeg':
      return 'MJPEG over HTTP'
  }
}
