// What a broadcast and a watch report about themselves: the domain's status and statistics types. The networking
// core produces them, the session services forward them, and the IPC contract (ipc.ts) carries them to the windows.

import * as v from 'valibot'
import type { ErrorCode, StreamInfo } from './protocol'

export const ClassicModeSchema = v.picklist(['off', 'pickle', 'jpeg'])
export type ClassicMode = v.InferOutput<typeof ClassicModeSchema>
export const WatchModeSchema = v.picklist(['auto', 'native', 'classic'])
export type WatchMode = v.InferOutput<typeof WatchModeSchema>
/** Who may watch a broadcast: paired devices over TLS ('private'), or anyone on the network in the clear ('open'). */
export const AccessModeSchema = v.picklist(['private', 'open'])
export type AccessMode = v.InferOutput<typeof AccessModeSchema>

export interface NetInterface {
  name: string
  address: string
  family: 'IPv4' | 'IPv6'
  internal: boolean
}

/** An error as data: a stable code and a sentence for people. */
export interface ErrorInfo {
  code: ErrorCode
  message: string
}
export interface ViewerStats {
  id: number
  address: string
  /** the viewer's device name: as renamed in Paired devices, else as it introduced itself ('' when it did not: classic
   * readers, unnamed devices) */
  name: string
  /** the viewer's device fingerprint when it came in over TLS (private access); null in the clear */
  fingerprint: string | null
  /** ms since epoch when the viewer joined */
  since: number
  fps: number
  kbps: number
  frames: number
  /** frames replaced by a newer one because this viewer was still reading the previous one (newest frame wins) */
  replaced: number
  /**
   * the delivery rate toward this viewer, kbit/s: the bottleneck rate measured from its acknowledgements (BBR-style,
   * "Delivery window" in docs/protocol.md), or for a reader that cannot acknowledge the drain rate its pacing measured
   * ("Readers that do not acknowledge"); null until measured
   */
  deliveryKbps: number | null
  /** round-trip time to this viewer, ms (smallest recent sample from its acknowledgements); null as deliveryKbps */
  rttMs: number | null
  /** frames had to wait for this viewer in the last second: the network toward it (or the reader) is the limit */
  limited: boolean
}

/**
 * What the capture side should encode at: chosen by the broadcaster from its viewers' delivery measurements
 * (src/core/fanout/adaptation.ts) and handed to whoever encodes (the Broadcast window's capture worker in the reply to
 * each broadcast:frame, the CLI's re-encoder). One value for the whole stream; the policy for several viewers is in
 * docs/protocol.md ("Adaptive quality").
 */
export interface EncoderTarget {
  /** JPEG quality, 1–100 */
  quality: number
  /** picture size as a share of the chosen size: 1, 0.75 or 0.5 */
  scale: number
  /** the bitrate the stream should keep under, bits per second; null while the network is not the limit */
  bitrateBps: number | null
}

/**
 * What adaptive quality is doing: 'off' (fixed quality, as set), 'full' (the set quality and size go through),
 * 'limited' (the network is the limit: quality or size lowered), 'recovering' (raising them again as the network
 * allows).
 */
export type AdaptationState = 'off' | 'full' | 'limited' | 'recovering'

export interface Adaptation {
  state: AdaptationState
  /** the quality the person set (the most adaptation ever asks for), 1–100 */
  ceiling: number
  target: EncoderTarget
}

/** What a broadcast has done since it started, summed over all viewers past and present. */
export interface BroadcastTotals {
  /** frames fanned out: handed to the broadcaster, or for classic pickle, converted */
  frames: number
  /** bytes written to all viewers, headers included */
  bytes: number
  /** frames replaced by a newer one before a slow viewer could take them (newest frame wins) */
  replaced: number
  /** classic pickle: frames never converted because a newer one arrived while they waited for the decoder; else 0 */
  skippedWhileConverting: number
  /** classic pickle: frames that could not be converted (not a decodable JPEG, or too large once unpacked); else 0 */
  conversionFailures: number
  viewersEver: number
  /** connections closed before they became viewers: full, garbage, silent, wrong version */
  refused: number
}

export interface BroadcastStatus {
  state: 'idle' | 'live' | 'error'
  port: number | null
  host: string | null
  /** host:port strings a partner can type: LAN addresses first, then public IPv4 (non-internal interfaces) */
  addresses: string[]
  /** host:port with this machine's global IPv6 addresses, which may be reachable from outside the LAN: shown only when asked */
  globalAddresses: string[]
  /** who may watch: 'open' for classic mode whatever was asked (the classic scripts cannot pair) */
  access: AccessMode
  /** private access: the code a new device types, and when it is replaced (ms since epoch) */
  pairing: { code: string; expiresAt: number } | null
  /** this installation's device fingerprint (private access), for people to compare */
  fingerprint: string | null
  viewers: ViewerStats[]
  totals: BroadcastTotals
  fps: number
  kbps: number
  classic: ClassicMode
  mjpegPort: number | null
  /** The name the broadcast is listed under on the local network (DNS-SD), null while it is not advertised. */
  advertised: string | null
  /** the MJPEG stream's path with its per-broadcast token ("/stream.mjpg?token=..."), null when MJPEG is off */
  mjpegPath: string | null
  /** adaptive quality: what the encoder is asked for, and why */
  adaptation: Adaptation
  error: ErrorInfo | null
}

/** 'pairing': the broadcaster asks for its code and the watch waits for the person to type it. */
export type WatchState = 'idle' | 'connecting' | 'pairing' | 'live' | 'stalled' | 'lost' | 'reconnecting' | 'error'

/** How the current connection is protected, once the broadcaster has answered. */
export interface WatchSecurity {
  /** TLS 1.3 (private broadcaster) or in the clear (open broadcaster, classic sender) */
  encrypted: boolean
  /** the broadcaster's device fingerprint (encrypted only) */
  fingerprint: string | null
  /** a broadcaster this device paired with (now or earlier) */
  paired: boolean
}

export interface WatchStatus {
  state: WatchState
  host: string
  port: number
  /** 1-based connection attempt since the last time the stream was live */
  attempt: number
  /** 'native' Framecast or 'classic' (OpenCV script) once known */
  format: 'native' | 'classic' | null
  info: StreamInfo | null
  /** null until the broadcaster has answered */
  security: WatchSecurity | null
  error: ErrorInfo | null
}

export interface WatchStats {
  fps: number
  kbps: number
  frames: number
  /** frames the broadcaster skipped for us: the jumps in its sequence numbers */
  gaps: number
  /** classic streams: pickled images skipped because a newer one arrived while an earlier one was encoded to JPEG */
  skippedWhileEncoding: number
  latencyP50Ms: number | null
  latencyP95Ms: number | null
  rttMs: number | null
}

/** A device this installation paired with (or blocked), as the device lists show it. */
export interface PairedDevice {
  /** SHA-256 of its certificate, 64 hex digits (displayFingerprint() for people) */
  fingerprint: string
  /** 'viewer': it watches this broadcaster; 'broadcaster': this installation watches it */
  role: 'viewer' | 'broadcaster'
  /** the name it introduced itself with (HELLO or INFO), or the one given here */
  name: string
  /** ms since epoch */
  pairedAt: number
  lastSeenAt: number
  /** viewers only: refused with BLOCKED */
  blocked: boolean
  /** broadcasters only: host:port where it was reached (a different key there is KEY_CHANGED) */
  addresses: string[]
}

/** This installation's fingerprint and the devices it remembers. */
export interface DeviceList {
  self: string
  devices: PairedDevice[]
}

/** What a broadcast reports while it is not running. */
export function idleStatus(): BroadcastStatus {
  return {
    state: 'idle',
    port: null,
    host: null,
    addresses: [],
    globalAddresses: [],
    access: 'private',
    pairing: null,
    fingerprint: null,
    viewers: [],
    totals: { frames: 0, bytes: 0, replaced: 0, skippedWhileConverting: 0, conversionFailures: 0, viewersEver: 0, refused: 0 },
    fps: 0,
    kbps: 0,
    classic: 'off',
    mjpegPort: null,
    advertised: null,
    mjpegPath: null,
    adaptation: { state: 'off', ceiling: 100, target: { quality: 100, scale: 1, bitrateBps: null } },
    error: null
  }
}
