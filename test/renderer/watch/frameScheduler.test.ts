import { describe, expect, it } from 'vitest'
import { FrameScheduler } from '../../../src/renderer/src/features/watch/frameScheduler'

interface Deferred {
  frame: number
  resolve: (picture: string) => void
  reject: (e: unknown) => void
}

function harness() {
  const decodes: Deferred[] = []
  const painted: { picture: string; frame: number }[] = []
  const discarded: string[] = []
  const errors: number[] = []
  const scheduler = new FrameScheduler<number, string>({
    decode: (frame) => new Promise<string>((resolve, reject) => decodes.push({ frame, resolve, reject })),
    paint: (picture, frame) => painted.push({ picture, frame }),
    discard: (picture) => discarded.push(picture),
    onError: (_e, frame) => errors.push(frame)
  })
  const settle = () => new Promise((r) => setTimeout(r, 0))
  const finishDecode = async (index: number) => {
    const d = decodes[index]!
    d.resolve(`pic${d.frame}`)
    await settle()
  }
  return { scheduler, decodes, painted, discarded, errors, finishDecode, settle }
}

describe('newest-frame scheduler', () => {
  it('decodes a frame at once when the decoder is free and paints it as soon as it is decoded', async () => {
    const h = harness()
    h.scheduler.push(1)
    expect(h.decodes.map((d) => d.frame)).toEqual([1])
    expect(h.painted).toEqual([])
    await h.finishDecode(0)
    expect(h.painted).toEqual([{ picture: 'pic1', frame: 1 }])
    expect(h.scheduler.stats).toMatchObject({ received: 1, painted: 1, replacedBeforeDecode: 0 })
  })

  it('keeps only the newest frame while one is decoding and counts the replaced ones', async () => {
    const h = harness()
    h.scheduler.push(1)
    h.scheduler.push(2)
    h.scheduler.push(3)
    h.scheduler.push(4)
    expect(h.decodes.map((d) => d.frame)).toEqual([1])
    expect(h.scheduler.pendingFrame).toBe(4)
    expect(h.scheduler.stats.replacedBeforeDecode).toBe(2)
    await h.finishDecode(0)
    expect(h.decodes.map((d) => d.frame)).toEqual([1, 4])
    expect(h.scheduler.pendingFrame).toBeUndefined()
    await h.finishDecode(1)
    expect(h.painted.map((p) => p.frame)).toEqual([1, 4])
    expect(h.scheduler.stats).toMatchObject({ received: 4, painted: 2, replacedBeforeDecode: 2 })
  })

  it('never runs two decodes at once', () => {
    const h = harness()
    for (let i = 0; i < 50; i++) h.scheduler.push(i)
    expect(h.decodes).toHaveLength(1)
    expect(h.scheduler.isDecoding).toBe(true)
  })

  it('paints the first picture before it starts decoding the frame that came meanwhile', async () => {
    const h = harness()
    const order: string[] = []
    const scheduler = new FrameScheduler<number, string>({
      decode: (frame) => {
        order.push(`decode ${frame}`)
        return Promise.resolve(`pic${frame}`)
      },
      paint: (picture) => order.push(`paint ${picture}`),
      discard: () => undefined
    })
    scheduler.push(1)
    scheduler.push(2)
    await h.settle()
    expect(order).toEqual(['decode 1', 'paint pic1', 'decode 2', 'paint pic2'])
  })

  it('goes on with the next frame after a decode fails', async () => {
    const h = harness()
    h.scheduler.push(1)
    h.scheduler.push(2)
    h.decodes[0]!.reject(new Error('corrupt JPEG'))
    await h.settle()
    expect(h.errors).toEqual([1])
    expect(h.decodes.map((d) => d.frame)).toEqual([1, 2])
    await h.finishDecode(1)
    expect(h.painted.map((p) => p.frame)).toEqual([2])
    expect(h.scheduler.stats.failed).toBe(1)
  })

  it('counts a picture that fails to paint, reports it, and goes on with the next frame', async () => {
    const h = harness()
    const failures: number[] = []
    const scheduler = new FrameScheduler<number, string>({
      decode: (frame) => Promise.resolve(`pic${frame}`),
      paint: (picture) => {
        if (picture === 'pic1') throw new Error('canvas lost')
        h.painted.push({ picture, frame: 0 })
      },
      discard: () => undefined,
      onError: (_e, frame) => failures.push(frame)
    })
    scheduler.push(1)
    scheduler.push(2)
    await h.settle()
    expect(failures).toEqual([1])
    expect(h.painted.map((p) => p.picture)).toEqual(['pic2'])
    expect(scheduler.stats).toMatchObject({ received: 2, painted: 1, failed: 1 })
  })

  it('drops the waiting frame when disposed', async () => {
    const h = harness()
    h.scheduler.push(1)
    h.scheduler.push(2)
    h.scheduler.dispose()
    expect(h.scheduler.pendingFrame).toBeUndefined()
    await h.finishDecode(0)
    expect(h.decodes.map((d) => d.frame)).toEqual([1])
  })

  it('frees pictures that finish decoding after it was disposed', async () => {
    const h = harness()
    h.scheduler.push(1)
    h.scheduler.dispose()
    await h.finishDecode(0)
    expect(h.painted).toEqual([])
    expect(h.discarded).toEqual(['pic1'])
    h.scheduler.push(2)
    expect(h.decodes).toHaveLength(1)
  })
})
