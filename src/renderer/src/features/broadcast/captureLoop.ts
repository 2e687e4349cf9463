import { nowUs } from '../../../../shared/protocol'

/**
 * Takes frames from the camera as they come and hands at most one at a time to `process` (encode + send to main).
 * A frame that arrives while the previous one is still being processed is released and counted — never queued —
 * so capture never falls behind the network. Frames arriving faster than the chosen rate are left out too.
 */
export interface CaptureLoopOptions<F> {
  /** Encode and send; resolves when main has taken the frame. Must release the frame itself. */
  process: (frame: F, capturedAtUs: number, seq: number) => Promise<void>
  /** Give a frame back that is not used (VideoFrame.close(), ImageBitmap.close()). */
  release: (frame: F) => void
  /** Target frames per second; 0 = as many as the camera gives. */
  fps?: number
  now?: () => number
  onError?: (e: unknown) => void
}

export interface CaptureLoopStats {
  taken: number
  skippedBusy: number
  skippedPace: number
  errors: number
}

/** Frames that come up to this fraction of an interval early still count as on time (camera jitter). */
const PACE_TOLERANCE = 0.8

export class CaptureLoop<F> {
  private busy = false
  private lastTakenUs = -Infinity
  private seq = 0
  private stopped = false
  private readonly counters: CaptureLoopStats = { taken: 0, skippedBusy: 0, skippedPace: 0, errors: 0 }
  private intervalUs: number
  private readonly now: () => number

  constructor(private readonly options: CaptureLoopOptions<F>) {
    this.intervalUs = options.fps ? 1e6 / options.fps : 0
    this.now = options.now ?? nowUs
  }

  get inFlight(): boolean {
    return this.busy
  }

  get stats(): CaptureLoopStats {
    return { ...this.counters }
  }

  setFps(fps: number): void {
    this.intervalUs = fps > 0 ? 1e6 / fps : 0
  }

  /** Offer a frame; returns true when it was taken for processing. The capture time is stamped here. */
  offer(frame: F): boolean {
    const capturedAtUs = this.now()
    if (this.stopped) {
      this.options.release(frame)
      return false
    }
    if (this.busy) {
      this.counters.skippedBusy++
      this.options.release(frame)
      return false
    }
    if (capturedAtUs - this.lastTakenUs < this.intervalUs * PACE_TOLERANCE) {
      this.counters.skippedPace++
      this.options.release(frame)
      return false
    }
    this.busy = true
    this.lastTakenUs = capturedAtUs
    this.counters.taken++
    const seq = this.seq
    this.seq = (this.seq + 1) >>> 0
    let work: Promise<void>
    try {
      work = this.options.process(frame, capturedAtUs, seq)
    } catch (e) {
      work = Promise.reject(e)
    }
    work
      .catch((e: unknown) => {
        this.counters.errors++
        this.options.onError?.(e)
      })
      .finally(() => {
        this.busy = false
      })
    return true
  }

  stop(): void {
    this.stopped = true
  }
}
