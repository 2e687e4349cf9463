// The conversion stage's newest-wins policy, with conversions the test finishes by hand. Its use by the classic
// pickle framing over real sockets is in classic-framing.test.ts.

import { describe, expect, it } from 'vitest'
import { FramecastError } from '../../../src/core/errors'
import { ConversionStage, type ConversionTarget } from '../../../src/core/fanout/conversion'

interface Frame {
  seq: number
  payload: Uint8Array
}

const frame = (seq: number): Frame => ({ seq, payload: Uint8Array.of(seq) })

/** A converter whose conversions wait until the test resolves or rejects them, and a target that records. */
function harness(target: Partial<ConversionTarget<Frame>> = {}) {
  const running: Array<{ input: number; resolve: (p: Uint8Array) => void; reject: (e: unknown) => void }> = []
  const delivered: Frame[] = []
  const state = { viewers: 1, wantsFrame: true }
  const stage = new ConversionStage<Frame>(
    (payload) => new Promise((resolve, reject) => running.push({ input: payload[0]!, resolve, reject })),
    {
      viewerCount: () => state.viewers,
      wantsFrame: () => state.wantsFrame,
      deliver: (f) => void delivered.push(f),
      ...target
    }
  )
  /** Finish the oldest running conversion with `[input, 0xcc]`, or fail it; then let its callbacks run. */
  const finish = async (ok = true): Promise<void> => {
    const c = running.shift()!
    if (ok) c.resolve(Uint8Array.of(c.input, 0xcc))
    else c.reject(new FramecastError('MALFORMED_MESSAGE', 'not a JPEG'))
    await new Promise((r) => setImmediate(r))
  }
  return { stage, running, delivered, state, finish }
}

describe('ConversionStage', () => {
  it('runs one conversion at a time and keeps only the newest frame waiting meanwhile', async () => {
    const h = harness()
    expect(h.stage.offer(frame(1))).toBe(1)
    for (const seq of [2, 3, 4]) h.stage.offer(frame(seq))
    expect(h.running.map((c) => c.input)).toEqual([1])
    expect(h.stage.skippedWhileConverting).toBe(2)
    await h.finish()
    expect(h.running.map((c) => c.input)).toEqual([4])
    await h.finish()
    expect(h.delivered).toEqual([
      { seq: 1, payload: Uint8Array.of(1, 0xcc) },
      { seq: 4, payload: Uint8Array.of(4, 0xcc) }
    ])
    expect(h.running).toHaveLength(0)
  })

  it('converts nothing while no one watches', () => {
    const h = harness()
    h.state.viewers = 0
    expect(h.stage.offer(frame(1))).toBe(0)
    expect(h.running).toHaveLength(0)
    expect(h.stage.skippedWhileConverting).toBe(0)
  })

  it('lets a frame wait while every viewer still has one, and converts the newest once a viewer is free', () => {
    const h = harness()
    h.state.wantsFrame = false
    expect(h.stage.offer(frame(1))).toBe(1)
    expect(h.running).toHaveLength(0)
    h.state.wantsFrame = true
    h.stage.offer(frame(2))
    expect(h.running.map((c) => c.input)).toEqual([2])
    expect(h.stage.skippedWhileConverting).toBe(1)
  })

  it('counts a failed conversion and goes on with the frame that waited', async () => {
    const h = harness()
    h.stage.offer(frame(1))
    h.stage.offer(frame(2))
    await h.finish(false)
    expect(h.stage.conversionFailures).toBe(1)
    await h.finish()
    expect(h.delivered.map((f) => f.seq)).toEqual([2])
  })

  it('counts a converted frame the fan-out refuses as too large, and goes on', async () => {
    const h = harness({
      deliver: () => {
        throw new FramecastError('INVALID_ARGUMENT', 'too large')
      }
    })
    h.stage.offer(frame(1))
    await h.finish()
    expect(h.stage.conversionFailures).toBe(1)
    h.stage.offer(frame(2))
    expect(h.running.map((c) => c.input)).toEqual([2])
  })

  it('is not left busy by a converter that throws instead of rejecting', async () => {
    let calls = 0
    const stage = new ConversionStage<Frame>(
      () => {
        calls++
        throw new FramecastError('INTERNAL', 'thrown')
      },
      { viewerCount: () => 1, wantsFrame: () => true, deliver: () => {} }
    )
    stage.offer(frame(1))
    await new Promise((r) => setImmediate(r))
    stage.offer(frame(2))
    expect(calls).toBe(2)
    expect(stage.conversionFailures).toBe(1)
  })

  it('drops the waiting frame on close and delivers nothing converted after it', async () => {
    const h = harness()
    h.stage.offer(frame(1))
    h.stage.offer(frame(2))
    h.stage.close()
    await h.finish()
    expect(h.delivered).toEqual([])
    expect(h.running).toHaveLength(0)
    expect(h.stage.offer(frame(3))).toBe(0)
    expect(h.running).toHaveLength(0)
  })
})
