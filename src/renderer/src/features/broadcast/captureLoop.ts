import { nowUs } from '../../../../shared/protocol'

/**
 * The capture pipeline's two stages, overlapped: the encoder takes the next camera frame as soon as it is free while
 * the previous JPEG is still on its way to main; the sender holds at most one JPEG in flight.
 *
 * Nothing ever waits in a queue: a camera frame that arrives while the encoder is busy is released, and a JPEG that
 * is ready while the sender still has the previous one in flight is dropped — both counted as skipped while busy.
 * Frames are paced by the camera's own timestamps (VideoFrame.timestamp), so frames that arrive unevenly are not
 * mistaken for frames that come too fast.
 */
export interface CaptureLoopOptions<F, E> {
  /** Draw and encode a camera frame. Must release the frame itself (also when it fails). */
  encode: (frame: F) => Promise<E>
  /** Hand an encoded frame on; resolves when it was taken (main acknowledged it). */
  send: (encoded: E, meta: FrameMeta) => Promise<void>
  /** Give back a camera frame that is not used (VideoFrame.close()). */
  release: (frame: F) => void
  /** The camera's timestamp of a frame in µs (VideoFrame.timestamp); null when the source gives none. */
  timestampUs?: (frame: F) => number | null
  /** Free an encoded frame that is dropped because the sender is busy. */
  discard?: (encoded: E) => void
  /** Target frames per second; 0 = as many as the camera gives. */
  fps?: number
  /** The capture clock (µs since the epoch): stamped when a frame is offered. */
  now?: () => number
  onError?: (e: unknown) => void
}

export interface FrameMeta {
  /** numbers the frames that are sent, from 0, without gaps */
  seq: number
  /** when the frame reached the pipeline (µs since the epoch) */
  capturedAtUs: number
}

export interface CaptureLoopStats {
  /** camera frames taken by the encoder */
  taken: number
  sent: number
  /** camera frames that arrived while the encoder was busy */
  skippedEncoding: number
  /** encoded frames dropped because the previous one was still in flight to main */
  skippedSending: number
  /** skippedEncoding + skippedSending */
  skippedBusy: number
  /** frames left out to keep to the chosen frame rate */
  skippedPace: number
  errors: number
}

/** Frames that come up to this fraction of an interval early still count as on time (camera jitter). */
const PACE_TOLERANCE = 0.8

export class CaptureLoop<F, E> {
  private encoding = false
  private sending = false
  private lastTakenTs = -Infinity
  private seq = 0
  private stopped = false
  private readonly counters = { taken: 0, sent: 0, skippedEncoding: 0, skippedSending: 0, skippedPace: 0, errors: 0 }
  private intervalUs: number
  private readonly now: () => number

  constructor(private readonly options: CaptureLoopOptions<F, E>) {
    this.intervalUs = options.fps ? 1e6 / options.fps : 0
    this.now = options.now ?? nowUs
  }

  /** Whether the encoder or the sender is working. */
  get inFlight(): boolean {
    return this.encoding || this.sending
  }

  get stats(): CaptureLoopStats {
    const c = this.counters
    return { ...c, skippedBusy: c.skippedEncoding + c.skippedSending }
  }

  setFps(fps: number): void {
    this.intervalUs = fps > 0 ? 1e6 / fps : 0
  }

  /** Offer a camera frame; returns true when the encoder took it. The capture time is stamped here. */
  offer(frame: F): boolean {
    const capturedAtUs = this.now()
    if (this.stopped) {
      this.options.release(frame)
      return false
    }
    if (this.encoding) {
      this.counters.skippedEncoding++
      this.options.release(frame)
      return false
    }
    const ts = this.options.timestampUs?.(frame) ?? capturedAtUs
    // A clock that jumped back (the camera restarted) starts pacing afresh.
    if (ts >= this.lastTakenTs && ts - this.lastTakenTs < this.intervalUs * PACE_TOLERANCE) {
      this.counters.skippedPace++
      this.options.release(frame)
      return false
    }
    this.lastTakenTs = ts
    this.encoding = true
    this.counters.taken++
    let work: Promise<E>
    try {
      work = this.options.encode(frame)
    } catch (e) {
      work = Promise.reject(e)
    }
    work.then(
      (encoded) => {
        this.encoding = false
        this.encoded(encoded, capturedAtUs)
      },
      (e: unknown) => {
        this.encoding = false
        this.failed(e)
      }
    )
    return true
  }

  stop(): void {
    this.stopped = true
  }

  private encoded(encoded: E, capturedAtUs: number): void {
    if (this.stopped || this.sending) {
      if (!this.stopped) this.counters.skippedSending++
      this.options.discard?.(encoded)
      return
    }
    this.sending = true
    const meta: FrameMeta = { seq: this.seq, capturedAtUs }
    this.seq = (this.seq + 1) >>> 0
    let work: Promise<void>
    try {
      work = this.options.send(encoded, meta)
    } catch (e) {
      work = Promise.reject(e)
    }
    work.then(
      () => {
        this.counters.sent++
        this.sending = false
      },
      (e: unknown) => {
        this.sending = false
        this.failed(e)
      }
    )
  }

  private failed(e: unknown): void {
    this.counters.errors++
    this.options.onError?.(e)
  }
}
