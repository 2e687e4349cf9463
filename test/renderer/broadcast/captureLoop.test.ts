import { describe, expect, it } from 'vitest'
import { CaptureLoop } from '../../../src/renderer/src/features/broadcast/captureLoop'

function harness(fps = 0) {
  let clock = 1_000_000
  const released: number[] = []
  const processed: { frame: number; capturedAtUs: number; seq: number }[] = []
  const inFlight: (() => void)[] = []
  const loop = new CaptureLoop<number>({
    fps,
    now: () => clock,
    release: (f) => released.push(f),
    process: (frame, capturedAtUs, seq) => {
      processed.push({ frame, capturedAtUs, seq })
      return new Promise<void>((resolve) => inFlight.push(resolve))
    }
  })
  const ack = async () => {
    inFlight.shift()!()
    await new Promise((r) => setTimeout(r, 0))
  }
  return { loop, released, processed, ack, advance: (us: number) => (clock += us), now: () => clock }
}

describe('capture loop', () => {
  it('skips and releases frames while the previous one is in flight, without queueing them', async () => {
    const h = harness()
    expect(h.loop.offer(1)).toBe(true)
    expect(h.loop.offer(2)).toBe(false)
    expect(h.loop.offer(3)).toBe(false)
    expect(h.released).toEqual([2, 3])
    expect(h.loop.stats.skippedBusy).toBe(2)
    await h.ack()
    expect(h.processed.map((p) => p.frame)).toEqual([1])
    expect(h.loop.offer(4)).toBe(true)
    expect(h.processed.map((p) => p.frame)).toEqual([1, 4])
  })

  it('stamps the capture time when the frame is offered and numbers frames in order', async () => {
    const h = harness()
    h.loop.offer(1)
    await h.ack()
    h.advance(33_000)
    h.loop.offer(2)
    expect(h.processed).toEqual([
      { frame: 1, capturedAtUs: 1_000_000, seq: 0 },
      { frame: 2, capturedAtUs: 1_033_000, seq: 1 }
    ])
  })

  it('is free again after processing fails', async () => {
    let fail = true
    const errors: unknown[] = []
    const loop = new CaptureLoop<number>({
      release: () => undefined,
      process: () => (fail ? Promise.reject(new Error('encode failed')) : Promise.resolve()),
      onError: (e) => errors.push(e)
    })
    loop.offer(1)
    await new Promise((r) => setTimeout(r, 0))
    expect(loop.inFlight).toBe(false)
    expect(errors).toHaveLength(1)
    fail = false
    expect(loop.offer(2)).toBe(true)
    expect(loop.stats).toMatchObject({ taken: 2, errors: 1 })
  })

  it('keeps to the chosen frame rate when the camera is faster', async () => {
    const h = harness(15)
    let taken = 0
    for (let i = 0; i < 30; i++) {
      if (h.loop.offer(i)) {
        taken++
        await h.ack()
      }
      h.advance(33_333)
    }
    expect(taken).toBe(15)
    expect(h.loop.stats.skippedPace).toBe(15)
    expect(h.loop.stats.skippedBusy).toBe(0)
  })

  it('takes every frame of a camera with a little jitter at the same rate', async () => {
    const h = harness(30)
    const gaps = [33_000, 30_000, 36_000, 31_000, 35_000, 33_333, 29_000, 37_000]
    let taken = 0
    for (const gap of gaps) {
      if (h.loop.offer(0)) {
        taken++
        await h.ack()
      }
      h.advance(gap)
    }
    expect(taken).toBe(gaps.length)
  })

  it('releases everything offered after it was stopped', () => {
    const h = harness()
    h.loop.stop()
    expect(h.loop.offer(9)).toBe(false)
    expect(h.released).toEqual([9])
    expect(h.processed).toEqual([])
  })
})
