/**
 * Newest-frame-only painting. At most one frame is decoding; a frame that arrives meanwhile waits as the pending one,
 * and a newer arrival replaces it (counted as skipped). A decoded picture is painted at once — the canvas is shown at
 * the next display refresh anyway, so waiting for requestAnimationFrame first would only add up to a frame of delay.
 */
export interface FrameSchedulerDeps<F, D> {
  decode: (frame: F) => Promise<D>
  paint: (picture: D, frame: F) => void
  /** Free a decoded picture that will never be painted (ImageBitmap.close(), VideoFrame.close()). */
  discard: (picture: D) => void
  onDecodeError?: (e: unknown, frame: F) => void
}

export interface FrameSchedulerStats {
  received: number
  painted: number
  /** replaced while waiting to be decoded: skipped in the viewer */
  skipped: number
  decodeErrors: number
}

export class FrameScheduler<F, D> {
  private decoding = false
  private pending: F | null = null
  private disposed = false
  private readonly counters: FrameSchedulerStats = { received: 0, painted: 0, skipped: 0, decodeErrors: 0 }

  constructor(private readonly deps: FrameSchedulerDeps<F, D>) {}

  get stats(): FrameSchedulerStats {
    return { ...this.counters }
  }

  /** The frame waiting for the decoder, if any (for tests and diagnostics). */
  get pendingFrame(): F | null {
    return this.pending
  }

  get isDecoding(): boolean {
    return this.decoding
  }

  push(frame: F): void {
    if (this.disposed) return
    this.counters.received++
    if (this.decoding) {
      if (this.pending !== null) this.counters.skipped++
      this.pending = frame
      return
    }
    this.startDecode(frame)
  }

  dispose(): void {
    this.disposed = true
    this.pending = null
  }

  private startDecode(frame: F): void {
    this.decoding = true
    let work: Promise<D>
    try {
      work = this.deps.decode(frame)
    } catch (e) {
      work = Promise.reject(e)
    }
    work.then(
      (picture) => this.onDecoded(picture, frame),
      (e: unknown) => {
        this.counters.decodeErrors++
        if (!this.disposed) this.deps.onDecodeError?.(e, frame)
        this.next()
      }
    )
  }

  private onDecoded(picture: D, frame: F): void {
    if (this.disposed) {
      this.deps.discard(picture)
      this.decoding = false
      return
    }
    this.counters.painted++
    try {
      this.deps.paint(picture, frame)
    } finally {
      this.next()
    }
  }

  private next(): void {
    this.decoding = false
    const p = this.pending
    this.pending = null
    if (p !== null && !this.disposed) this.startDecode(p)
  }
}
