// Small rolling statistics used by the broadcaster, the watcher and the windows: event rates over a sliding window,
// recent means and percentiles, and an NTP-style clock offset estimate. Bounded memory whatever the event rate.

/** Monotonic milliseconds (never jumps with the wall clock). */
export function monoMs(): number {
  return performance.now()
}

/**
 * Events per second and bits per second over a sliding window (1 s by default). Exact while fewer than `capacity`
 * events fall inside the window; above that the oldest are forgotten and the rate is taken over the span that is
 * still remembered.
 */
export class RateMeter {
  private readonly times: Float64Array
  private readonly sizes: Float64Array
  private head = 0
  private count = 0
  private bytesInWindow = 0

  constructor(
    readonly windowMs = 1_000,
    capacity = 1_024
  ) {
    this.times = new Float64Array(capacity)
    this.sizes = new Float64Array(capacity)
  }

  record(bytes: number, now = monoMs()): void {
    const cap = this.times.length
    if (this.count === cap) this.dropOldest()
    const i = (this.head + this.count) % cap
    this.times[i] = now
    this.sizes[i] = bytes
    this.count++
    this.bytesInWindow += bytes
  }

  /** Events per second over the window ending now. */
  rate(now = monoMs()): number {
    this.evict(now)
    return this.count / (this.span(now) / 1_000)
  }

  /** Kilobits per second over the window ending now. */
  kbps(now = monoMs()): number {
    this.evict(now)
    return (this.bytesInWindow * 8) / this.span(now)
  }

  reset(): void {
    this.head = 0
    this.count = 0
    this.bytesInWindow = 0
  }

  private span(now: number): number {
    if (this.count < this.times.length) return this.windowMs
    // Saturated: more events than we remember fell in the window; measure over what we remember.
    return Math.max(1, Math.min(this.windowMs, now - this.times[this.head]!))
  }

  private evict(now: number): void {
    const cutoff = now - this.windowMs
    while (this.count > 0 && this.times[this.head]! <= cutoff) this.dropOldest()
  }

  private dropOldest(): void {
    this.bytesInWindow -= this.sizes[this.head]!
    this.head = (this.head + 1) % this.times.length
    this.count--
    if (this.count === 0) this.bytesInWindow = 0
  }
}

/** The p-th percentile (0..100) of `values` by nearest rank, or null when there are none. Does not modify `values`. */
export function percentile(values: ArrayLike<number>, p: number): number | null {
  if (values.length === 0) return null
  const sorted = Float64Array.from(values).sort()
  const rank = Math.ceil((Math.min(100, Math.max(0, p)) / 100) * sorted.length)
  return sorted[Math.max(0, rank - 1)]!
}

/** The last `capacity` samples of some measurement (latencies), for percentiles over recent history. */
export class RecentSamples {
  private readonly values: Float64Array
  private next = 0
  private filled = 0

  constructor(capacity = 256) {
    this.values = new Float64Array(capacity)
  }

  add(v: number): void {
    this.values[this.next] = v
    this.next = (this.next + 1) % this.values.length
    if (this.filled < this.values.length) this.filled++
  }

  get size(): number {
    return this.filled
  }

  mean(): number | null {
    if (this.filled === 0) return null
    let sum = 0
    for (let i = 0; i < this.filled; i++) sum += this.values[i]!
    return sum / this.filled
  }

  percentile(p: number): number | null {
    return percentile(this.values.subarray(0, this.filled), p)
  }

  clear(): void {
    this.next = 0
    this.filled = 0
  }
}

export interface ClockSample {
  /** round trip minus the peer's processing time, µs */
  rttUs: number
  /** peer clock minus local clock, µs */
  offsetUs: number
}

/**
 * NTP-style clock offset from PING/PONG exchanges. t1 = ping sent (local), t2 = ping received (peer),
 * t3 = pong sent (peer), t4 = pong received (local). offset = ((t2 - t1) + (t3 - t4)) / 2 is the peer's clock minus
 * ours; the sample with the smallest round trip among the last few is the least disturbed by queueing, so it wins.
 */
export class ClockOffset {
  private samples: ClockSample[] = []

  constructor(private readonly keep = 8) {}

  add(t1: number, t2: number, t3: number, t4: number): ClockSample | null {
    const rttUs = t4 - t1 - (t3 - t2)
    if (!Number.isFinite(rttUs) || rttUs < 0 || t3 < t2) return null
    const sample = { rttUs, offsetUs: (t2 - t1 + (t3 - t4)) / 2 }
    this.samples.push(sample)
    if (this.samples.length > this.keep) this.samples.shift()
    return sample
  }

  /** The lowest-RTT recent sample, or null before the first PONG. */
  best(): ClockSample | null {
    let best: ClockSample | null = null
    for (const s of this.samples) if (best === null || s.rttUs < best.rttUs) best = s
    return best
  }

  reset(): void {
    this.samples = []
  }
}
