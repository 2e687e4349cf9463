/**
 * Newest-frame-only painting. At most one frame is decoding and at most one decoded picture waits for paint;
 * a frame that arrives while one is decoding replaces the frame waiting its turn, and a picture decoded before the
 * previous one was painted replaces it. Nothing ever queues up behind the display.
 */
export interface FrameSchedulerDeps<F, D> {
  decode: (frame: F) => Promise<D>
  /** Ask for `paint` at the next display refresh (requestAnimationFrame). */
  requestPaint: (paint: () => void) => void
  paint: (picture: D, frame: F) => void
  /** Free a decoded picture that will never be painted (ImageBitmap.close()). */
  discard: (picture: D) => void
  onDecodeError?: (e: unknown, frame: F) => void
}

export interface FrameSchedulerStats {
  received: number
  painted: number
  /** replaced while waiting to be decoded or painted: skipped in the viewer */
  skipped: number
  decodeErrors: number
}

export class FrameScheduler<F, D> {
  private decoding = false
  private pending: F | null = null
  private ready: { picture: D; frame: F } | null = null
  private paintRequested = false
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
    if (this.ready) this.deps.discard(this.ready.picture)
    this.ready = null
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
        this.deps.onDecodeError?.(e, frame)
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
    if (this.ready) {
      this.counters.skipped++
      this.deps.discard(this.ready.picture)
    }
    this.ready = { picture, frame }
    if (!this.paintRequested) {
      this.paintRequested = true
      this.deps.requestPaint(() => this.paintNow())
    }
    this.next()
  }

  private next(): void {
    this.decoding = false
    const p = this.pending
    this.pending = null
    if (p !== null && !this.disposed) this.startDecode(p)
  }

  private paintNow(): void {
    this.paintRequested = false
    const r = this.ready
    this.ready = null
    if (!r || this.disposed) return
    this.counters.painted++
    this.deps.paint(r.picture, r.frame)
  }
}
