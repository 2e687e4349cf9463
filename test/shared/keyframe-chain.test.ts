import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { KeyframeChain } from '../../src/shared/keyframe-chain'
import { KEYFRAME_REQUEST_MIN_MS } from '../../src/shared/protocol'
import { NUM_RUNS } from '../support/runs'

describe('KeyframeChain', () => {
  it('takes nothing before the first keyframe, then every delta that follows it', () => {
    const chain = new KeyframeChain()
    expect(chain.waiting).toBe(true)
    expect(chain.take(false, 7)).toBe(false)
    expect(chain.take(true, 8)).toBe(true)
    expect(chain.take(false, 9)).toBe(true)
    expect(chain.take(false, 10)).toBe(true)
    expect(chain.waiting).toBe(false)
    expect(chain.lastTakenSeq).toBe(10)
    expect(chain.dropped).toBe(1)
  })

  it('drops every delta after a jump in sequence numbers until the next keyframe', () => {
    const chain = new KeyframeChain()
    chain.take(true, 1)
    expect(chain.take(false, 3)).toBe(false)
    expect(chain.take(false, 4)).toBe(false)
    expect(chain.lastTakenSeq).toBe(1)
    expect(chain.take(true, 5)).toBe(true)
    expect(chain.take(false, 6)).toBe(true)
  })

  it('counts the step from 2^32 - 1 to 0 as no gap, and a step backwards as a break', () => {
    const chain = new KeyframeChain()
    chain.take(true, 0xffffffff)
    expect(chain.take(false, 0)).toBe(true)
    expect(chain.take(false, 0)).toBe(false)
  })

  it('drops deltas after break() (a decode error) until the next keyframe', () => {
    const chain = new KeyframeChain()
    chain.take(true)
    expect(chain.take(false)).toBe(true)
    chain.break()
    expect(chain.take(false)).toBe(false)
    expect(chain.take(true)).toBe(true)
    expect(chain.take(false)).toBe(true)
  })

  it('takes every frame of a stream of keyframes (JPEG), whatever the gaps', () => {
    const chain = new KeyframeChain()
    for (const seq of [5, 9, 2, 100]) expect(chain.take(true, seq)).toBe(true)
    expect(chain.dropped).toBe(0)
  })

  it('asks for a keyframe only while waiting, and at most once per KEYFRAME_REQUEST_MIN_MS', () => {
    const chain = new KeyframeChain()
    expect(chain.shouldRequest(1_000)).toBe(true)
    expect(chain.shouldRequest(1_000 + KEYFRAME_REQUEST_MIN_MS - 1)).toBe(false)
    expect(chain.shouldRequest(1_000 + KEYFRAME_REQUEST_MIN_MS)).toBe(true)
    chain.take(true)
    expect(chain.shouldRequest(10_000)).toBe(false)
    chain.break()
    expect(chain.shouldRequest(10_000)).toBe(true)
  })

  it('never takes a delta whose predecessor was lost, skipped or broken, and never drops one it could decode', () => {
    const event = fc.oneof(
      fc.record({ kind: fc.constant('frame' as const), keyframe: fc.boolean(), skip: fc.nat({ max: 3 }) }),
      fc.record({ kind: fc.constant('break' as const) })
    )
    fc.assert(
      fc.property(fc.array(event, { maxLength: 120 }), fc.nat(), (events, start) => {
        const chain = new KeyframeChain()
        let seq = start >>> 0
        // What a decoder holds: whether it can decode the frame after the one it decoded last, and which seq that is.
        let decodable = false
        let next: number | null = null
        for (const e of events) {
          if (e.kind === 'break') {
            chain.break()
            decodable = false
            continue
          }
          seq = (seq + e.skip) >>> 0
          const followsLast = next !== null && seq === next
          const expected: boolean = e.keyframe || (decodable && followsLast)
          expect(chain.take(e.keyframe, seq)).toBe(expected)
          decodable = expected
          next = (seq + 1) >>> 0
          seq = next
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('grants a request within KEYFRAME_REQUEST_MIN_MS of asking while waiting, and never two closer than that', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 400 }), { minLength: 1, maxLength: 100 }), (steps) => {
        const chain = new KeyframeChain()
        let now = 0
        const granted: number[] = []
        for (const step of steps) {
          now += step
          if (chain.shouldRequest(now)) granted.push(now)
        }
        for (let i = 1; i < granted.length; i++) expect(granted[i]! - granted[i - 1]!).toBeGreaterThanOrEqual(KEYFRAME_REQUEST_MIN_MS)
        expect(granted[0]).toBe(steps[0])
        // Asked at every step: the longest stretch without a grant is shorter than the gap plus one step.
        expect(now - granted.at(-1)!).toBeLessThan(KEYFRAME_REQUEST_MIN_MS + 400)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
