import { describe, expect, it } from 'vitest'
import { ClockOffset, percentile, RateMeter, RecentSamples } from '../../src/shared/stats'

describe('RateMeter', () => {
  it('counts events and bits over the last second only', () => {
    const m = new RateMeter(1_000)
    for (let i = 0; i < 30; i++) m.record(1_000, 10_000 + i * 33)
    expect(m.rate(10_000 + 29 * 33)).toBe(30)
    expect(m.kbps(10_000 + 29 * 33)).toBe(240)
    // 500 ms later only events 14..29 (at 10 462 ms and after) are still inside the window.
    expect(m.rate(10_000 + 29 * 33 + 500)).toBe(16)
    expect(m.rate(20_000)).toBe(0)
    expect(m.kbps(20_000)).toBe(0)
  })

  it('keeps bounded memory at rates above its capacity and still estimates the rate', () => {
    const m = new RateMeter(1_000, 64)
    for (let i = 0; i < 10_000; i++) m.record(10, i * 0.1) // 10 000 events per second
    expect(Math.abs(m.rate(999.9) / 10_000 - 1)).toBeLessThan(0.05)
    expect(Math.abs(m.kbps(999.9) / 800 - 1)).toBeLessThan(0.05)
  })
})

describe('percentile', () => {
  it('returns the nearest-rank percentile without reordering its input', () => {
    const values = [5, 1, 4, 2, 3, 10, 9, 8, 7, 6]
    expect(percentile(values, 50)).toBe(5)
    expect(percentile(values, 95)).toBe(10)
    expect(percentile(values, 0)).toBe(1)
    expect(values[0]).toBe(5)
    expect(percentile([], 50)).toBeNull()
  })

  it('looks only at the most recent samples', () => {
    const r = new RecentSamples(4)
    for (const v of [100, 100, 100, 1, 2, 3, 4]) r.add(v)
    expect(r.size).toBe(4)
    expect(r.percentile(100)).toBe(4)
  })
})

describe('ClockOffset', () => {
  it('recovers a known offset from a symmetric round trip', () => {
    const c = new ClockOffset()
    // Peer clock is 5 s ahead; 1 ms each way; 100 µs processing.
    const t1 = 1_000_000
    const t2 = t1 + 1_000 + 5_000_000
    const t3 = t2 + 100
    const t4 = t1 + 2_100
    expect(c.add(t1, t2, t3, t4)).toEqual({ rttUs: 2_000, offsetUs: 5_000_000 })
  })

  it('trusts the lowest round trip of the recent samples', () => {
    const c = new ClockOffset(3)
    c.add(0, 5_000 + 500, 5_000 + 500, 1_000) // rtt 1000, offset 5000
    c.add(0, 5_000 + 9_000, 5_000 + 9_000, 10_000) // queued on the way out: rtt 10 000, offset skewed
    expect(c.best()).toEqual({ rttUs: 1_000, offsetUs: 5_000 })
    c.add(0, 8_000, 8_000, 6_000)
    c.add(0, 8_000, 8_000, 6_000)
    c.add(0, 8_000, 8_000, 6_000)
    // The good sample has aged out of the last three.
    expect(c.best()?.rttUs).toBe(6_000)
  })

  it('ignores impossible samples', () => {
    const c = new ClockOffset()
    expect(c.add(100, 50, 40, 200)).toBeNull()
    expect(c.add(100, 0, 0, 50)).toBeNull()
    expect(c.best()).toBeNull()
  })
})

describe('stats as the windows use them', () => {
  it('computes nearest-rank percentiles', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(percentile(values, 50)).toBe(50)
    expect(percentile(values, 95)).toBe(95)
    expect(percentile([], 50)).toBeNull()
  })

  it('keeps only the most recent samples', () => {
    const s = new RecentSamples(3)
    for (const v of [100, 1, 2, 3]) s.add(v)
    expect(s.mean()).toBe(2)
    expect(s.percentile(100)).toBe(3)
  })

  it('counts events in the last second', () => {
    const r = new RateMeter(1000)
    for (let t = 0; t < 2000; t += 40) r.record(0, t)
    expect(r.rate(1999)).toBe(25)
    expect(r.rate(5000)).toBe(0)
  })
})
