// The running maximum or minimum of a measurement over a sliding time window, in constant memory: BBR keeps its
// bottleneck bandwidth as the windowed maximum of delivery-rate samples and its RTT as the windowed minimum, and the
// delivery window (delivery-window.ts) does the same. Kathleen Nichols' algorithm, as in Linux's lib/win_minmax.c:
// three samples are kept (the best, the best of the later part of the window, and of the last part), so a best value
// that ages out is replaced by the next best without remembering every sample.

interface Sample {
  /** ms */
  t: number
  v: number
}

/**
 * A windowed extremum. `update(now, value)` adds a sample and returns the best (largest for 'max', smallest for
 * 'min') value seen within the last `windowMs` milliseconds, approximately: an aged-out best is replaced by the best
 * of the later quarter/half of the window (Nichols, as in Linux lib/win_minmax.c).
 *
 * ```ts
 * const rate = new WindowedFilter('max', 2_000)
 * rate.update(monoMs(), bytesPerSecond)   // the windowed maximum
 * rate.best                               // null before the first sample
 * ```
 */
export class WindowedFilter {
  private s: [Sample, Sample, Sample] | null = null

  constructor(
    private readonly kind: 'max' | 'min',
    readonly windowMs: number
  ) {}

  /** The current best value; null before the first sample. */
  get best(): number | null {
    return this.s === null ? null : this.s[0].v
  }

  /** When the current best was measured (ms, the clock of `update`); null before the first sample. */
  get bestAt(): number | null {
    return this.s === null ? null : this.s[0].t
  }

  /** Forget every sample. */
  reset(): void {
    this.s = null
  }

  /** Add `value` measured at `now` (ms, never decreasing); returns the windowed best. Non-finite values are ignored. */
  update(now: number, value: number): number | null {
    if (!Number.isFinite(value)) return this.best
    const val: Sample = { t: now, v: value }
    const s = this.s
    if (s === null || this.better(val.v, s[0].v) || val.t - s[2].t > this.windowMs) {
      this.s = [val, val, val]
      return value
    }
    if (this.better(val.v, s[1].v)) {
      s[1] = val
      s[2] = val
    } else if (this.better(val.v, s[2].v)) {
      s[2] = val
    }
    return this.subwindow(s, val)
  }

  /** As a sample passes through the window, let the next best ones take over (win_minmax.c's minmax_subwin_update). */
  private subwindow(s: [Sample, Sample, Sample], val: Sample): number {
    const dt = val.t - s[0].t
    const win = this.windowMs
    if (dt > win) {
      s[0] = s[1]
      s[1] = s[2]
      s[2] = val
      if (val.t - s[0].t > win) {
        s[0] = s[1]
        s[1] = s[2]
        s[2] = val
      }
    } else if (s[1].t === s[0].t && dt > win / 4) {
      s[1] = val
      s[2] = val
    } else if (s[2].t === s[1].t && dt > win / 2) {
      s[2] = val
    }
    return s[0].v
  }

  private better(a: number, b: number): boolean {
    return this.kind === 'max' ? a >= b : a <= b
  }
}
