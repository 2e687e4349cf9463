// The Broadcast window's capture pipeline: camera frames → encoder → sender, each stage a NewestRunner, paced by the
// camera's own timestamps.

import { NewestRunner } from '../../../../shared/newest-runner'
import { nowUs } from '../../../../shared/protocol'

/** What CaptureLoop is given: how to encode a camera frame (type F) into a picture (type E), send it, and free both. */
export interface CaptureLoopOptions<F, E> {
  /**
   * Draw and encode a camera frame. Must release the frame itself (also when it fails). Resolves with null when the
   * encoder made nothing of it (a realtime video encoder may drop a frame): nothing is sent and no number is used.
   */
  encode: (frame: F) => Promise<E | null>
  /** Hand an encoded frame on; resolves when it was taken (main acknowledged it). */
  send: (encoded: E, meta: FrameMeta) => Promise<void>
  /** Give back a camera frame that will not be encoded (VideoFrame.close()). */
  release: (frame: F) => void
  /** The camera's timestamp of a frame in µs (VideoFrame.timestamp); null when the source gives none. */
  timestampUs?: (frame: F) => number | null
  /** Free an encoded frame that will not be sent (replaced by a newer one, or finished after stop). */
  discard?: (encoded: E) => void
  /**
   * Whether `newer` may replace an encoded frame still waiting for the sender (default: always). An H.264 delta may
   * not: it refers to the one waiting, so the encoder waits for the sender to take that one first; a keyframe may.
   */
  mayReplace?: (newer: E) => boolean
  /** Target frames per second; 0 = as many as the camera gives. */
  fps?: number
  /** The capture clock (µs since the epoch): stamped when a frame is offered. */
  now?: () => number
  /** An encode or a hand-over failed; the loop goes on with the next frame. */
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
  /** encoded frames main took */
  sent: number
  /** camera frames skipped while encoding: replaced by a newer one while they waited for the encoder */
  skippedWhileEncoding: number
  /** encoded frames skipped while sending: replaced by a newer one while they waited for main to take the previous */
  skippedWhileSending: number
  /** skippedWhileEncoding + skippedWhileSending */
  skippedBusy: number
  /** frames left out to keep to the chosen frame rate */
  skippedPace: number
  /** encodes and hand-overs that failed */
  errors: number
  /** camera frames the encoder made nothing of (a realtime video encoder's own drops) */
  dropped: number
}

/** Frames that come up to this fraction of an interval early still count as on time (camera jitter). */
const PACE_TOLERANCE = 0.8

interface Offered<F> {
  frame: F
  capturedAtUs: number
}

interface Encoded<E> {
  encoded: E
  capturedAtUs: number
}

/**
 * The capture pipeline's two stages, overlapped: the encoder takes the next camera frame as soon as it is free while
 * the previous picture is still on its way to main, and the sender holds one picture in flight.
 *
 * Nothing queues: each stage is a NewestRunner, so a camera frame that arrives while the encoder is busy waits and a
 * newer one replaces it (released, counted in skippedWhileEncoding), and a JPEG that is ready while the previous one
 * is in flight waits and a newer one replaces it (discarded, counted in skippedWhileSending). An encoded picture that
 * later ones refer to (an H.264 delta, see `mayReplace`) is never replaced: the encoder waits until the sender has
 * taken it, and the camera frames wait (newest first) meanwhile. Frames are paced by the
 * camera's own timestamps (VideoFrame.timestamp), so frames that arrive unevenly are not mistaken for frames that come
 * too fast. After `stop`, every frame offered or waiting is released and a JPEG that finishes is discarded.
 */
export class CaptureLoop<F, E> {
  private lastTakenTs = -Infinity
  private seq = 0
  private stopped = false
  private readonly counters = { taken: 0, sent: 0, skippedPace: 0, errors: 0, dropped: 0 }
  private intervalUs: number
  private readonly now: () => number
  private readonly encoder: NewestRunner<Offered<F>>
  private readonly sender: NewestRunner<Encoded<E>>
  /** Resolves the encoder's wait for the sender to take the picture waiting for it (see `mayReplace`). */
  private senderTook: (() => void) | null = null

  constructor(private readonly options: CaptureLoopOptions<F, E>) {
    this.intervalUs = options.fps ? 1e6 / options.fps : 0
    this.now = options.now ?? nowUs
    const failed = (e: unknown): void => {
      this.counters.errors++
      this.options.onError?.(e)
    }
    this.encoder = new NewestRunner<Offered<F>>({
      run: async ({ frame, capturedAtUs }) => {
        this.counters.taken++
        const encoded = await this.options.encode(frame)
        if (encoded === null) {
          this.counters.dropped++
          return
        }
        if (this.sender.peekWaiting() !== undefined && this.options.mayReplace?.(encoded) === false && !this.stopped) {
          await new Promise<void>((resolve) => (this.senderTook = resolve))
        }
        this.sender.offer({ encoded, capturedAtUs })
      },
      release: ({ frame }) => this.options.release(frame),
      onError: failed
    })
    this.sender = new NewestRunner<Encoded<E>>({
      run: async ({ encoded, capturedAtUs }) => {
        this.wakeEncoder()
        const meta: FrameMeta = { seq: this.seq, capturedAtUs }
        this.seq = (this.seq + 1) >>> 0
        await this.options.send(encoded, meta)
        this.counters.sent++
      },
      release: ({ encoded }) => this.options.discard?.(encoded),
      onError: failed
    })
  }

  /** Whether the encoder or the sender is working. */
  get inFlight(): boolean {
    return this.encoder.busy || this.sender.busy
  }

  /** The counters since construction (a copy). */
  get stats(): CaptureLoopStats {
    const skippedWhileEncoding = this.encoder.replaced
    const skippedWhileSending = this.sender.replaced
    return { ...this.counters, skippedWhileEncoding, skippedWhileSending, skippedBusy: skippedWhileEncoding + skippedWhileSending }
  }

  /** Pace to `fps` frames per second from now on (0: every frame the camera gives). */
  setFps(fps: number): void {
    this.intervalUs = fps > 0 ? 1e6 / fps : 0
  }

  /**
   * Offer a camera frame; the capture time is stamped here. Returns true when the frame goes to the encoder (at once,
   * or waiting for it); false when it was released: too early for the frame rate, or the loop is stopped.
   */
  offer(frame: F): boolean {
    const capturedAtUs = this.now()
    if (this.stopped) {
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
    this.encoder.offer({ frame, capturedAtUs })
    return true
  }

  /** Stop: release what waits and everything offered later; a JPEG that finishes encoding is discarded, not sent. */
  stop(): void {
    this.stopped = true
    this.encoder.close()
    this.sender.close()
    this.wakeEncoder()
  }

  private wakeEncoder(): void {
    const wake = this.senderTook
    this.senderTook = null
    wake?.()
  }
}
