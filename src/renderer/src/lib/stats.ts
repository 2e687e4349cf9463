/** The p-th percentile (0..100) of the values, nearest-rank; null for an empty list. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null
  const sorted = [...values].sort((a, b) => a - b)
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!
}

/** A fixed-size window of the most recent samples. */
export class RecentSamples {
  private readonly values: number[] = []
  constructor(private readonly capacity: number) {}
  add(value: number): void {
    this.values.push(value)
    if (this.values.length > this.capacity) this.values.shift()
  }
  get size(): number {
    return this.values.length
  }
  mean(): number | null {
    if (this.values.length === 0) return null
    return this.values.reduce((a, b) => a + b, 0) / this.values.length
  }
  percentile(p: number): number | null {
    return percentile(this.values, p)
  }
  clear(): void {
    this.values.length = 0
  }
}

/** Counts events and reports how many happened in the last second. */
export class RateMeter {
  private readonly stamps: number[] = []
  constructor(private readonly windowMs = 1000) {}
  tick(nowMs: number): void {
    this.stamps.push(nowMs)
    this.trim(nowMs)
  }
  rate(nowMs: number): number {
    this.trim(nowMs)
    return (this.stamps.length * 1000) / this.windowMs
  }
  private trim(nowMs: number): void {
    while (this.stamps.length > 0 && this.stamps[0]! <= nowMs - this.windowMs) this.stamps.shift()
  }
}
