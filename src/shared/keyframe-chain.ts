// The chain of references of an inter-coded stream (H.264): a delta frame can be decoded only when every frame since
// the last keyframe was. One rule for the three places that lose frames — the fan-out (a frame skipped for a slow
// viewer), the watcher (a jump in FRAME sequence numbers) and the Watch window (a decode error, a backlog): once the
// chain breaks, nothing but a keyframe is taken, and while waiting, a keyframe is asked for at most once per
// KEYFRAME_REQUEST_MIN_MS (docs/protocol.md, KEYFRAME_REQUEST). For JPEG every frame is a keyframe, so nothing is
// ever dropped. Pure TypeScript.

import { type CodecName, KEYFRAME_REQUEST_MIN_MS } from './protocol'

/** True for codecs whose frames depend on earlier ones (H.264), so a lost frame breaks what follows it. */
export function isInterCoded(codec: CodecName): boolean {
  return codec === 'h264'
}

/**
 * One receiver's view of the chain. It starts broken: the first frame taken is a keyframe.
 *
 * ```ts
 * const chain = new KeyframeChain()
 * if (chain.take(frame.keyframe, frame.seq)) decode(frame)     // a jump in seq breaks the chain first
 * else if (chain.shouldRequest(performance.now())) askForKeyframe(chain.lastTakenSeq)
 * decoder.onerror = () => chain.break()
 * ```
 */
export class KeyframeChain {
  private broken = true
  private lastSeenSeq: number | null = null
  private lastTaken: number | null = null
  private lastRequestMs = -Infinity
  private droppedCount = 0

  /** `minRequestGapMs`: the least time between two keyframe requests (ms). */
  constructor(private readonly minRequestGapMs = KEYFRAME_REQUEST_MIN_MS) {}

  /** True while only a keyframe can be taken. */
  get waiting(): boolean {
    return this.broken
  }

  /** The sequence number of the last frame taken (for KEYFRAME_REQUEST's lastSeq), null when none was or none was given. */
  get lastTakenSeq(): number | null {
    return this.lastTaken
  }

  /** Frames refused because the chain was broken, since construction. */
  get dropped(): number {
    return this.droppedCount
  }

  /**
   * A frame arrives. With `seq` (u32), a frame that does not follow the last one seen breaks the chain first (a step
   * backwards too: the sender started over). Returns true when the frame may be used: a keyframe always (it mends the
   * chain), a delta only while the chain is whole.
   */
  take(keyframe: boolean, seq?: number): boolean {
    if (seq !== undefined) {
      if (this.lastSeenSeq !== null && seq !== ((this.lastSeenSeq + 1) >>> 0)) this.broken = true
      this.lastSeenSeq = seq
    }
    if (keyframe) this.broken = false
    if (this.broken) {
      this.droppedCount++
      return false
    }
    if (seq !== undefined) this.lastTaken = seq
    return true
  }

  /** A frame was lost, skipped or could not be decoded: take nothing but a keyframe from now on. */
  break(): void {
    this.broken = true
  }

  /**
   * Whether to ask for a keyframe now (`nowMs` on any monotonic clock, ms): true while waiting, at most once per
   * `minRequestGapMs`; a true answer counts as the request made.
   */
  shouldRequest(nowMs: number): boolean {
    if (!this.broken || nowMs - this.lastRequestMs < this.minRequestGapMs) return false
    this.lastRequestMs = nowMs
    return true
  }
}
