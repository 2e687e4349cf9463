// The Watch window's decode-and-paint loop: newest frame only, one decode at a time (a NewestRunner).

import { NewestRunner } from '../../../../shared/newest-runner'

/** What FrameScheduler is given: how to decode a frame (type F) into a picture (type D), paint it, and free it. */
export interface FrameSchedulerDeps<F, D> {
  /** Decode a frame into a picture (createImageBitmap, ImageDecoder, …); a rejection or throw counts as failed. */
  decode: (frame: F) => Promise<D>
  /** Show a decoded picture; it belongs to `paint` from then on (e.g. transferred to the canvas). */
  paint: (picture: D, frame: F) => void
  /** Free a decoded picture that will never be painted (ImageBitmap.close(), VideoFrame.close()). */
  discard: (picture: D) => void
  /** Decoding or painting `frame` failed (a corrupt JPEG, mostly); the scheduler goes on with the next frame. */
  onError?: (e: unknown, frame: F) => void
}

export interface FrameSchedulerStats {
  /** Frames pushed, since construction. */
  received: number
  /** Pictures painted. */
  painted: number
  /** Frames replaced by a newer one while waiting to be decoded: never decoded, never painted. */
  replacedBeforeDecode: number
  /** Frames whose decoding or painting failed. */
  failed: number
}

/**
 * Newest-frame-only painting. At most one frame is decoding; a frame that arrives meanwhile waits, and a newer
 * arrival replaces it (counted in `replacedBeforeDecode`). A decoded picture is painted at once — the canvas is shown
 * at the next display refresh anyway, so waiting for requestAnimationFrame first would only add up to a frame of
 * delay. After `dispose`, nothing more is decoded and a picture that finishes decoding is discarded.
 */
export class FrameScheduler<F, D> {
  private disposed = false
  private readonly runner: NewestRunner<F>
  private readonly counters = { received: 0, painted: 0, failed: 0 }

  constructor(private readonly deps: FrameSchedulerDeps<F, D>) {
    this.runner = new NewestRunner<F>({
      run: (frame) => this.decodeAndPaint(frame),
      onError: (e, frame) => {
        this.counters.failed++
        if (!this.disposed) this.deps.onError?.(e, frame)
      }
    })
  }

  /** The counters since construction (a copy). */
  get stats(): FrameSchedulerStats {
    return { ...this.counters, replacedBeforeDecode: this.runner.replaced }
  }

  /** The frame waiting for the decoder, if any (for tests and diagnostics). */
  get pendingFrame(): F | undefined {
    return this.runner.peekWaiting()
  }

  /** True while a frame is being decoded (or painted). */
  get isDecoding(): boolean {
    return this.runner.busy
  }

  /** Hand over a received frame: decoded now if the decoder is free, else it waits (replacing one that waited). */
  push(frame: F): void {
    if (this.disposed) return
    this.counters.received++
    this.runner.offer(frame)
  }

  /** Stop: drop the waiting frame, decode nothing more, discard what is still being decoded when it is done. */
  dispose(): void {
    this.disposed = true
    this.runner.close()
  }

  private async decodeAndPaint(frame: F): Promise<void> {
    const picture = await this.deps.decode(frame)
    if (this.disposed) {
      this.deps.discard(picture)
      return
    }
    this.deps.paint(picture, frame)
    this.counters.painted++
  }
}
