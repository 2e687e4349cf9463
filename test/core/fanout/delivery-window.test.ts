// The per-viewer delivery window (delivery-window.ts): one frame always, then the window sized from the measured
// delivery rate and RTT; ACKs clear what they cover; unknown ACKs change nothing.

import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import { DeliveryWindow, MAX_FRAMES_IN_FLIGHT, TARGET_QUEUE_MS } from '../../../src/core/fanout/delivery-window'
import { WindowedFilter } from '../../../src/core/fanout/windowed-filter'

/** A path of `rate` bytes/s and `rttMs`: frames of `bytes` sent back to back at `fps`, each ACKed when it is through. */
function simulate(w: DeliveryWindow, rate: number, rttMs: number, bytes: number, frames: number): void {
  let linkFreeAt = 0
  for (let i = 0; i < frames; i++) {
    const now = i * 33
    w.sent(i, bytes, now)
    const spanMs = (bytes * 1_000) / rate
    const start = Math.max(now + rttMs / 2, linkFreeAt)
    linkFreeAt = start + spanMs
    w.acked(i, spanMs * 1_000, linkFreeAt + rttMs / 2)
  }
}

describe('DeliveryWindow', () => {
  it('lets one frame go when nothing is in flight, and holds the next until it is acknowledged', () => {
    const w = new DeliveryWindow()
    expect(w.canSend(100_000)).toBe(true)
    w.sent(1, 100_000, 0)
    expect(w.inFlightFrames).toBe(1)
    expect(w.canSend(100_000)).toBe(false)
    expect(w.acked(1, 40_000, 45)).not.toBeNull()
    expect(w.inFlightBytes).toBe(0)
    expect(w.canSend(100_000)).toBe(true)
  })

  it('measures the path: delivery rate near the link rate, RTT near the round trip, window = rate × (RTT + target)', () => {
    const w = new DeliveryWindow()
    simulate(w, 2_500_000, 4, 100_000, 60)
    expect(w.deliveryRate!).toBeGreaterThan(0.9 * 2_500_000)
    expect(w.deliveryRate!).toBeLessThan(1.1 * 2_500_000)
    expect(w.minRttMs!).toBeGreaterThanOrEqual(3.9)
    expect(w.minRttMs!).toBeLessThan(6)
    expect(w.windowBytes).toBeCloseTo((w.deliveryRate! * (w.minRttMs! + TARGET_QUEUE_MS)) / 1_000, 3)
    // Bounded queueing: what the window lets into flight takes at most RTT + target to drain at the measured rate.
    expect((w.windowBytes * 1_000) / w.deliveryRate!).toBeLessThan(w.minRttMs! + TARGET_QUEUE_MS + 1)
  })

  it('counts an ACK as covering every earlier frame, and ignores one for a frame not in flight', () => {
    const w = new DeliveryWindow()
    w.sent(1, 1_000, 0)
    w.sent(2, 1_000, 1)
    w.sent(3, 1_000, 2)
    expect(w.acked(99, 1_000, 5)).toBeNull()
    expect(w.inFlightFrames).toBe(3)
    w.acked(2, 1_000, 6)
    expect(w.inFlightFrames).toBe(1)
    expect(w.delivered).toBe(2_000)
    expect(w.acked(1, 1_000, 7)).toBeNull()
  })

  it(`never has more than ${MAX_FRAMES_IN_FLIGHT} frames in flight, however large the window`, () => {
    const w = new DeliveryWindow()
    simulate(w, 1e8, 50, 1_000_000, 40)
    let seq = 1_000
    while (w.canSend(100)) w.sent(seq++, 100, 10_000)
    expect(w.inFlightFrames).toBe(MAX_FRAMES_IN_FLIGHT)
  })
})

describe('WindowedFilter', () => {
  fcTest.prop([fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 200 })])(
    'max: never above any sample of the window and never below the newest sample',
    (steps) => {
      const f = new WindowedFilter('max', 1_000)
      let t = 0
      const seen: Array<{ t: number; v: number }> = []
      for (const [dt, v] of steps) {
        t += dt
        f.update(t, v)
        seen.push({ t, v })
        const best = f.best!
        expect(best).toBeGreaterThanOrEqual(v)
        expect(seen.some((s) => s.v === best && t - s.t <= 1_000)).toBe(true)
      }
    }
  )
})
