// Adaptive quality: from what the viewers' delivery windows measure, the target the encoder should make frames at
// (EncoderTarget in src/shared/status.ts), so that frames fit the network and the frame rate holds instead of frames
// piling up or being replaced.
//
// Two loops, after the delay-based half of WebRTC's Google Congestion Control (draft-ietf-rmcat-gcc-02; Carlucci,
// De Cicco, Holmer, Mascolo, "Analysis and Design of the Google Congestion Control for WebRTC", MMSys 2016):
// - the bitrate loop: when the decisive viewer is network-limited (its frames wait for its window), the target drops
//   to 0.85 × the rate it actually received (GCC's β on overuse); when it is not, the target grows 8 % a second
//   (GCC's η = 1.08), slowing to 2 % near the last rate that was too much, until the set quality and size go through
//   again;
// - the encoder loop: JPEG has no rate control, so the quality is steered toward the target bitrate by the bytes the
//   frames actually take (their size falls by about 3 % per quality point in the useful range), and when the quality
//   reaches QUALITY_FLOOR the picture size steps down (0.75, then 0.5), and back up when there is room for it.
//
// Several viewers: the encoder serves the better-connected half. Viewers vote with the rate they can take (unlimited
// while they are not network-limited); the decisive vote is the upper median, so at least half of the viewers — the
// best-connected ones — get the full frame rate, and a slow viewer never lowers the picture for the others: it gets
// newest-frame-wins at whatever rate its network carries. Readers that cannot acknowledge (classic, MJPEG) do not vote.

import type { Adaptation, AdaptationState, EncoderTarget } from '../../shared/status'

/** How often the target is revisited (ms): 15 frames at 30 fps, enough to measure, quick enough to follow. */
export const ADAPT_INTERVAL_MS = 500
/** On overuse the bitrate target drops to this share of what the decisive viewer received (GCC's β). */
export const BACKOFF = 0.85
/** Growth of the bitrate target per second while no viewer that counts is limited (GCC's η − 1). */
export const INCREASE_PER_S = 0.08
/** Growth per second while within 10 % (either side) of the last rate that proved too much. */
export const NEAR_INCREASE_PER_S = 0.02
/** After a decrease, the target holds this long before it grows again (ms). */
export const HOLD_MS = 1_000
/** A viewer is network-limited in an interval when at least this share of the frames offered to it had to wait. */
export const LIMITED_SHARE = 0.25
/** Below this JPEG quality the picture gets smaller instead (quality 30 is where blocking starts to show at 720p). */
export const QUALITY_FLOOR = 30
/** Picture sizes, as a share of the chosen size, in the order they are stepped down. */
export const SCALES = [1, 0.75, 0.5] as const
/** About how much a frame's size changes per JPEG quality point between 30 and 90 (natural log). */
const SIZE_SLOPE = 0.03
/** Bitrates within this (natural-log) distance of the target need no quality change. */
const DEADBAND = 0.08
/** Largest quality steps per interval: down fast, up gently. */
const MAX_STEP_DOWN = 20
const MAX_STEP_UP = 5

/** One viewer's delivery over the last interval. */
export interface ViewerDelivery {
  /** Share (0–1) of the frames offered to it that had to wait for its window or were replaced. */
  waitedShare: number
  /** Bits per second it acknowledged. */
  goodputBps: number
}

/** The stream over the last interval. */
export interface StreamDelivery {
  /** Bits per second of the frames handed to the fan-out. */
  sentBps: number
}

/** The decisive vote of several: the upper median, so the better-connected half decides. Infinity when none vote. */
export function decisiveVote(votes: readonly number[]): number {
  if (votes.length === 0) return Infinity
  const sorted = [...votes].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)]!
}

/**
 * The adaptive-quality controller of one broadcast. `update(now, viewers, stream)` is called about every
 * ADAPT_INTERVAL_MS with the viewers' and the stream's delivery over the interval (times in ms); `adaptation` holds
 * the resulting EncoderTarget and its state. With `enabled` false (fixed quality) the target is always the ceiling
 * at full size.
 *
 * ```ts
 * const adapter = new QualityAdapter({ ceiling: 70, enabled: true })
 * adapter.update(monoMs(), [{ waitedShare: 0.6, goodputBps: 16e6 }], { sentBps: 24e6 })
 * adapter.adaptation.target   // { quality: 50, scale: 1, bitrateBps: 13.6e6 }
 * ```
 */
export class QualityAdapter {
  private ceiling: number
  private readonly enabled: boolean
  private quality: number
  private scaleIndex = 0
  private targetBps: number | null = null
  private lastTooMuchBps: number | null = null
  private holdUntil = -Infinity
  private lastAt: number | null = null
  private state: AdaptationState

  constructor(options: { ceiling: number; enabled: boolean }) {
    this.ceiling = clampQuality(options.ceiling)
    this.enabled = options.enabled
    this.quality = this.ceiling
    this.state = this.enabled ? 'full' : 'off'
  }

  /** The current target and why. */
  get adaptation(): Adaptation {
    const target: EncoderTarget = { quality: this.quality, scale: SCALES[this.scaleIndex]!, bitrateBps: this.targetBps === null ? null : Math.round(this.targetBps) }
    return { state: this.state, ceiling: this.ceiling, target }
  }

  /** The person changed the quality: the new ceiling; a lower one applies at once. */
  setCeiling(quality: number): void {
    this.ceiling = clampQuality(quality)
    if (!this.enabled || this.targetBps === null) this.quality = this.ceiling
    else this.quality = Math.min(this.quality, this.ceiling)
  }

  /** One interval's measurements; returns the new adaptation. */
  update(now: number, viewers: readonly ViewerDelivery[], stream: StreamDelivery): Adaptation {
    const dt = this.lastAt === null ? ADAPT_INTERVAL_MS : Math.max(0, now - this.lastAt)
    this.lastAt = now
    if (!this.enabled) return this.adaptation
    if (viewers.length === 0) {
      this.release()
      return this.adaptation
    }
    const vote = decisiveVote(viewers.map((v) => (v.waitedShare >= LIMITED_SHARE ? BACKOFF * v.goodputBps : Infinity)))
    let limited = false
    if (Number.isFinite(vote) && vote > 0) {
      limited = true
      this.lastTooMuchBps = vote / BACKOFF
      this.targetBps = this.targetBps === null ? vote : Math.min(this.targetBps, vote)
      this.holdUntil = now + HOLD_MS
    } else if (this.targetBps !== null && now >= this.holdUntil) {
      // Slow only near the last rate that was too much: past it by more than 10 %, the network has changed.
      const near = this.lastTooMuchBps !== null && this.targetBps >= 0.9 * this.lastTooMuchBps && this.targetBps <= 1.1 * this.lastTooMuchBps
      this.targetBps *= (1 + (near ? NEAR_INCREASE_PER_S : INCREASE_PER_S)) ** (dt / 1_000)
    }
    if (this.targetBps !== null) this.steer(this.targetBps, stream.sentBps)
    // Everything as set, and room to spare: the network is no longer the limit.
    if (!limited && this.targetBps !== null && this.quality >= this.ceiling && this.scaleIndex === 0 && this.targetBps > stream.sentBps * 1.25) {
      this.release()
    }
    this.state = this.targetBps === null ? 'full' : limited ? 'limited' : 'recovering'
    return this.adaptation
  }

  /** Back to the set quality at full size, no bitrate target. */
  private release(): void {
    this.targetBps = null
    this.quality = this.ceiling
    this.scaleIndex = 0
    this.state = 'full'
  }

  /** The encoder loop: move quality (then size) so that the frames' bitrate approaches `targetBps`. */
  private steer(targetBps: number, sentBps: number): void {
    if (!(sentBps > 0)) return
    const gap = Math.log(targetBps / sentBps)
    const smaller = SCALES[this.scaleIndex + 1]
    const larger = SCALES[this.scaleIndex - 1]
    if (larger !== undefined && gap > 2 * Math.log(larger / SCALES[this.scaleIndex]!) + DEADBAND) {
      // Room for the larger picture (pixels grow with the square of the side) at a somewhat lower quality.
      this.scaleIndex--
      this.quality = Math.max(QUALITY_FLOOR, Math.min(this.ceiling, this.quality - 10))
      return
    }
    if (Math.abs(gap) < DEADBAND) return
    const step = Math.max(-MAX_STEP_DOWN, Math.min(MAX_STEP_UP, Math.round(gap / SIZE_SLOPE)))
    const next = this.quality + step
    if (next < QUALITY_FLOOR && smaller !== undefined && this.quality <= QUALITY_FLOOR + MAX_STEP_DOWN) {
      this.scaleIndex++
      this.quality = Math.min(this.ceiling, QUALITY_FLOOR + 15)
      return
    }
    this.quality = Math.max(Math.min(QUALITY_FLOOR, this.ceiling), Math.min(this.ceiling, next))
  }
}

function clampQuality(q: number): number {
  return Math.max(1, Math.min(100, Math.round(Number.isFinite(q) ? q : 100)))
}
