import { describe, expect, it } from 'vitest'
import { fitRect } from '../../../src/renderer/src/lib/fit'
import { percentile, RateMeter, RecentSamples } from '../../../src/renderer/src/lib/stats'

describe('aspect fit', () => {
  it('letterboxes a wide picture in a tall area', () => {
    expect(fitRect(1280, 720, 800, 800)).toEqual({ x: 0, y: 175, w: 800, h: 450 })
  })

  it('pillarboxes a 4:3 picture in a 16:9 area', () => {
    expect(fitRect(640, 480, 1280, 720)).toEqual({ x: 160, y: 0, w: 960, h: 720 })
  })

  it('fills the area exactly when the aspect ratios match', () => {
    expect(fitRect(1920, 1080, 1280, 720)).toEqual({ x: 0, y: 0, w: 1280, h: 720 })
  })

  it('draws nothing for empty sizes', () => {
    expect(fitRect(0, 480, 100, 100)).toEqual({ x: 0, y: 0, w: 0, h: 0 })
  })
})

describe('stats helpers', () => {
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
    for (let t = 0; t < 2000; t += 40) r.tick(t)
    expect(r.rate(1999)).toBe(25)
    expect(r.rate(5000)).toBe(0)
  })
})
