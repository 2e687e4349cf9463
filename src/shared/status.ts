// What a broadcast and a watch report about themselves: the domain's status and statistics types. The networking
// core produces them, the session services forward them, and the IPC contract (ipc.ts) carries them to the windows.

import * as v from 'valibot'
import type { ErrorCode, StreamInfo } from './protocol'

export const ClassicModeSchema = v.picklist(['off', 'pickle', 'jpeg'])
export type ClassicMode = v.InferOutput<typeof ClassicModeSchema>
export const WatchModeSchema = v.picklist(['auto', 'native', 'classic'])
export type WatchMode = v.InferOutput<typeof WatchModeSchema>

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
  /** the viewer's device name as it introduced itself ('' when it did not: classic readers, unnamed devices) */
  name: string
  /** ms since epoch when the viewer joined */
  since: number
  fps: number
  kbps: number
  frames: number
  /** frames replaced by a newer one because this viewer was still reading the previous one (newest frame wins) */
  replaced: number
  /**
   * the delivery rate toward this viewer, kbit/s: the bottleneck rate measured from its acknowledgements (BBR-style,
   * "Delivery window" in docs/protocol.md); null until measured, and for readers that cannot acknowledge
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
  /** host:port strings a partner can type (non-internal interfaces) */
  addresses: string[]
  viewers: ViewerStats[]
  totals: BroadcastTotals
  fps: number
  kbps: number
  classic: ClassicMode
  mjpegPort: number | null
  /** adaptive quality: what the encoder is asked for, and why */
  adaptation: Adaptation
  error: ErrorInfo | null
}

export type WatchState = 'idle' | 'connecting' | 'live' | 'stalled' | 'lost' | 'reconnecting' | 'error'

export interface WatchStatus {
  state: WatchState
  host: string
  port: number
  /** 1-based connection attempt since the last time the stream was live */
  attempt: number
  /** 'native' Framecast or 'classic' (OpenCV script) once known */
  format: 'native' | 'classic' | null
  info: StreamInfo | null
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

/** What a broadcast reports while it is not running. */
export function idleStatus(): BroadcastStatus {
  return {
    state: 'idle',
    port: null,
    host: null,
    addresses: [],
    viewers: [],
    totals: { frames: 0, bytes: 0, replaced: 0, skippedWhileConverting: 0, conversionFailures: 0, viewersEver: 0, refused: 0 },
    fps: 0,
    kbps: 0,
    classic: 'off',
    mjpegPort: null,
    adaptation: { state: 'off', ceiling: 100, target: { quality: 100, scale: 1, bitrateBps: null } },
    error: null
  }
}
