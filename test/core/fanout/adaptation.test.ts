// The adaptive-quality controller (adaptation.ts) driven with interval measurements: it lowers the JPEG quality when
// the decisive viewer is network-limited, steps the size down below the quality floor, climbs back when the network
// allows, releases to the set quality, follows the better-connected half of several viewers, and does nothing when off.

import { fc, test as fcTest } from '@fast-check/vitest'
import { describe, expect, it } from 'vitest'
import {
  ADAPT_INTERVAL_MS,
  BACKOFF,
  decisiveVote,
  QUALITY_FLOOR,
  QualityAdapter,
  type ViewerDelivery
} from '../../../src/core/fanout/adaptation'

/** A stand-in encoder: bitrate at a quality and scale, ~3 % per quality point, with the area of the picture. */
function bitrateAt(quality: number, scale: number, atQ70Bps = 24e6): number {
  return atQ70Bps * Math.exp(0.03 * (quality - 70)) * scale * scale
}

/**
 * A link of `linkBps` shared by `viewers` identical viewers, each getting what the link carries: limited (most frames
 * waited) when the stream is above the link, else not. Runs `seconds` of intervals; returns the adaptations seen.
 */
function drive(adapter: QualityAdapter, linkBps: (t: number) => number, seconds: number, start = 0): Array<ReturnType<QualityAdapter['update']>> {
  const out = []
  for (let t = start; t < start + seconds * 1_000; t += ADAPT_INTERVAL_MS) {
    const { quality, scale } = adapter.adaptation.target
    const sent = bitrateAt(quality, scale)
    const link = linkBps(t)
    const viewer: ViewerDelivery = sent > link ? { waitedShare: 0.6, goodputBps: link } : { waitedShare: 0, goodputBps: sent }
    out.push(adapter.update(t, [viewer], { sentBps: sent }))
  }
  return out
}

describe('QualityAdapter', () => {
  it('lowers the quality until the stream fits a link that cannot carry it, and says it is network-limited', () => {
    const a = new QualityAdapter({ ceiling: 70, enabled: true })
    const seen = drive(a, () => 16e6, 10)
    const last = seen.at(-1)!
    expect(seen.some((s) => s.state === 'limited')).toBe(true)
    expect(last.target.quality).toBeLessThan(70)
    expect(last.target.quality).toBeGreaterThanOrEqual(QUALITY_FLOOR)
    // It settles where the frames fit: within the link, and not far below it.
    const rate = bitrateAt(last.target.quality, last.target.scale)
    expect(rate).toBeLessThanOrEqual(16e6)
    expect(rate).toBeGreaterThan(0.6 * 16e6)
    expect(last.target.bitrateBps).not.toBeNull()
  })

  it('makes the picture smaller once the quality reaches its floor', () => {
    const a = new QualityAdapter({ ceiling: 70, enabled: true })
    const last = drive(a, () => 3e6, 15).at(-1)!
    expect(last.target.scale).toBeLessThan(1)
    expect(bitrateAt(last.target.quality, last.target.scale)).toBeLessThanOrEqual(3e6)
  })

  it('climbs back to the set quality at full size when the link gets fast again, and then lets go', () => {
    const a = new QualityAdapter({ ceiling: 70, enabled: true })
    drive(a, () => 4e6, 10)
    expect(a.adaptation.target.quality < 70 || a.adaptation.target.scale < 1).toBe(true)
    const after = drive(a, () => 1e9, 60, 10_000)
    const last = after.at(-1)!
    expect(last.target).toEqual({ quality: 70, scale: 1, bitrateBps: null })
    expect(last.state).toBe('full')
    expect(after.some((s) => s.state === 'recovering')).toBe(true)
    // Gently: no step up larger than the controller allows in one interval.
    for (let i = 1; i < after.length; i++) {
      if (after[i]!.target.scale === after[i - 1]!.target.scale) expect(after[i]!.target.quality - after[i - 1]!.target.quality).toBeLessThanOrEqual(5)
    }
  })

  it('never goes above the ceiling, and a lower ceiling applies at once', () => {
    const a = new QualityAdapter({ ceiling: 80, enabled: true })
    drive(a, () => 10e6, 5)
    a.setCeiling(35)
    expect(a.adaptation.target.quality).toBeLessThanOrEqual(35)
    expect(a.adaptation.ceiling).toBe(35)
    for (const s of drive(a, () => 1e9, 30, 5_000)) expect(s.target.quality).toBeLessThanOrEqual(35)
  })

  it('is fixed quality when off, whatever the network does', () => {
    const a = new QualityAdapter({ ceiling: 60, enabled: false })
    for (const s of drive(a, () => 1e6, 5)) {
      expect(s.state).toBe('off')
      expect(s.target).toEqual({ quality: 60, scale: 1, bitrateBps: null })
    }
  })

  it('follows the better-connected half: one slow viewer of four does not lower the picture', () => {
    const a = new QualityAdapter({ ceiling: 70, enabled: true })
    for (let t = 0; t < 10_000; t += ADAPT_INTERVAL_MS) {
      const sent = bitrateAt(a.adaptation.target.quality, a.adaptation.target.scale)
      const fast = { waitedShare: 0, goodputBps: sent }
      a.update(t, [{ waitedShare: 0.9, goodputBps: 2e6 }, fast, fast, fast], { sentBps: sent })
    }
    expect(a.adaptation.target).toEqual({ quality: 70, scale: 1, bitrateBps: null })
    expect(a.adaptation.state).toBe('full')
  })

  it('lowers the picture when half of the viewers are limited, to what the better of them receives', () => {
    const a = new QualityAdapter({ ceiling: 70, enabled: true })
    const sent = bitrateAt(70, 1)
    const s = a.update(0, [{ waitedShare: 0.9, goodputBps: 8e6 }, { waitedShare: 0.9, goodputBps: 12e6 }, { waitedShare: 0, goodputBps: sent }], {
      sentBps: sent
    })
    expect(s.state).toBe('limited')
    expect(s.target.bitrateBps).toBe(Math.round(BACKOFF * 12e6))
  })
})

describe('decisiveVote', () => {
  it('is Infinity with no votes', () => expect(decisiveVote([])).toBe(Infinity))

  fcTest.prop([fc.array(fc.double({ min: 0, max: 1e9, noNaN: true }), { minLength: 1, maxLength: 20 })])(
    'is a vote that at least half of the votes reach (the upper median)',
    (votes) => {
      const v = decisiveVote(votes)
      expect(votes).toContain(v)
      expect(votes.filter((x) => x >= v).length * 2).toBeGreaterThanOrEqual(votes.length)
      expect(votes.filter((x) => x <= v).length * 2).toBeGreaterThan(votes.length - 1)
    }
  )
})
