import fc from 'fast-check'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Pacer } from '../../src/service/pacer'
import { NUM_RUNS } from '../support/runs'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('Pacer', () => {
  it('fires at once for a request after a quiet spell', () => {
    let state = 'a'
    const seen: string[] = []
    const p = new Pacer(() => seen.push(state), 4, 4)
    p.request()
    expect(seen).toEqual(['a'])
    state = 'b'
    vi.advanceTimersByTime(10_000)
    p.request()
    expect(seen).toEqual(['a', 'b'])
  })

  it('lets a burst through, then merges requests into one fire per token, ending on the newest state', () => {
    let state = 0
    const seen: number[] = []
    const p = new Pacer(() => seen.push(state), 4, 4)
    for (let i = 1; i <= 1_000; i++) {
      state = i
      p.request()
    }
    // Four tokens: the first four requests fired at once; the rest wait for the next token.
    expect(seen).toEqual([1, 2, 3, 4])
    vi.advanceTimersByTime(250)
    expect(seen).toEqual([1, 2, 3, 4, 1_000])
    vi.advanceTimersByTime(5_000)
    expect(seen).toHaveLength(5)
  })

  it('fires at most burst + rate × t times over any span, and always after the last request', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 300 }), (gaps) => {
        vi.setSystemTime(0)
        let state = 0
        const seen: Array<{ at: number; state: number }> = []
        const p = new Pacer(() => seen.push({ at: performance.now(), state }), 4, 4)
        const t0 = performance.now()
        for (const [i, gap] of gaps.entries()) {
          vi.advanceTimersByTime(gap)
          state = i + 1
          p.request()
        }
        vi.advanceTimersByTime(1_000)
        const span = (seen.at(-1)!.at - t0) / 1000
        expect(seen.length).toBeLessThanOrEqual(4 + Math.ceil(span * 4) + 1)
        expect(seen.at(-1)!.state).toBe(gaps.length)
        p.close()
      }),
      { numRuns: Math.min(NUM_RUNS, 300) }
    )
  })

  it('drops a scheduled fire once closed, and ignores requests after', () => {
    const fire = vi.fn()
    const p = new Pacer(fire, 4, 1)
    p.request()
    p.request()
    p.close()
    vi.advanceTimersByTime(1_000)
    p.request()
    expect(fire).toHaveBeenCalledTimes(1)
  })
})
