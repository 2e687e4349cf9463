import { describe, expect, it } from 'vitest'
import { CaptureLoop, type FrameMeta } from '../../../src/renderer/src/features/broadcast/captureLoop'

/** A camera frame: its number and the camera's timestamp (µs). */
interface Frame {
  n: number
  ts: number
}

function harness(fps = 0, mayReplace?: (encoded: string) => boolean) {
  let clock = 1_000_000
  const released: number[] = []
  const discarded: string[] = []
  const encodes: { n: number; done: (ok?: boolean | 'dropped') => Promise<void> }[] = []
  const sends: { jpeg: string; meta: FrameMeta; done: (ok?: boolean) => Promise<void> }[] = []
  const errors: unknown[] = []
  const settle = () => new Promise((r) => setTimeout(r, 0))
  const loop = new CaptureLoop<Frame, string>({
    fps,
    now: () => clock,
    timestampUs: (f) => f.ts,
    release: (f) => released.push(f.n),
    discard: (jpeg) => discarded.push(jpeg),
    onError: (e) => errors.push(e),
    ...(mayReplace ? { mayReplace } : {}),
    encode: (f) =>
      new Promise<string | null>((resolve, reject) => {
        encodes.push({
          n: f.n,
          done: async (ok = true) => {
            if (ok === 'dropped') resolve(null)
            else if (ok) resolve(`jpeg${f.n}`)
            else reject(new Error('encode failed'))
            await settle()
          }
        })
      }),
    send: (jpeg, meta) =>
      new Promise<void>((resolve, reject) => {
        sends.push({
          jpeg,
          meta,
          done: async (ok = true) => {
            if (ok) resolve()
            else reject(new Error('main is gone'))
            await settle()
          }
        })
      })
  })
  const frame = (n: number, ts = n * 33_333): Frame => ({ n, ts })
  /** Offer frames `ns` one after another, each encoded as soon as it is taken. */
  const encodeEach = async (...ns: number[]): Promise<void> => {
    for (const n of ns) {
      loop.offer(frame(n))
      await encodes.find((e) => e.n === n)!.done()
    }
  }
  return { loop, released, discarded, encodes, sends, errors, frame, settle, encodeEach, advance: (us: number) => (clock += us) }
}

describe('capture pipeline', () => {
  it('never replaces an encoded picture that later ones refer to: the encoder waits for the sender instead', async () => {
    // Pictures 1 and 4 are keyframes; the others refer to the picture before them.
    const h = harness(0, (p) => p === 'jpeg1' || p === 'jpeg4')
    await h.encodeEach(1, 2, 3)
    // 1 is in flight and 2 waits: 3 may not replace it, so it is held and the encoder takes nothing new.
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg1'])
    h.loop.offer(h.frame(4))
    expect(h.encodes).toHaveLength(3)
    await h.sends[0]!.done()
    await h.encodes[3]!.done()
    // 2 went out, 3 waits; the keyframe 4 may replace it.
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg1', 'jpeg2'])
    await h.sends[1]!.done()
    expect(h.sends.map((s) => [s.jpeg, s.meta.seq])).toEqual([
      ['jpeg1', 0],
      ['jpeg2', 1],
      ['jpeg4', 2]
    ])
    expect(h.discarded).toEqual(['jpeg3'])
  })

  it('lets nothing wait for the sender after stop', async () => {
    const h = harness(0, () => false)
    await h.encodeEach(1, 2, 3)
    h.loop.stop()
    await h.settle()
    expect(h.discarded.sort()).toEqual(['jpeg2', 'jpeg3'])
    await h.sends[0]!.done()
    expect(h.loop.inFlight).toBe(false)
    expect(h.sends).toHaveLength(1)
  })

  it('sends nothing for a frame the encoder dropped, and numbers the next frame sent without a gap', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    await h.encodes[0]!.done()
    h.loop.offer(h.frame(2))
    await h.encodes[1]!.done('dropped')
    await h.sends[0]!.done()
    h.loop.offer(h.frame(3))
    await h.encodes[2]!.done()
    expect(h.sends.map((s) => [s.jpeg, s.meta.seq])).toEqual([
      ['jpeg1', 0],
      ['jpeg3', 1]
    ])
    expect(h.loop.stats).toMatchObject({ taken: 3, dropped: 1, errors: 0 })
  })

  it('keeps only the newest camera frame waiting while the encoder is busy, and encodes it next', async () => {
    const h = harness()
    expect(h.loop.offer(h.frame(1))).toBe(true)
    expect(h.loop.offer(h.frame(2))).toBe(true)
    expect(h.loop.offer(h.frame(3))).toBe(true)
    expect(h.released).toEqual([2])
    expect(h.encodes.map((e) => e.n)).toEqual([1])
    expect(h.loop.stats).toMatchObject({ taken: 1, skippedWhileEncoding: 1, skippedBusy: 1 })
    await h.encodes[0]!.done()
    expect(h.encodes.map((e) => e.n)).toEqual([1, 3])
    expect(h.loop.stats).toMatchObject({ taken: 2, skippedWhileEncoding: 1 })
  })

  it('encodes the next camera frame while the previous JPEG is still on its way to main', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    await h.encodes[0]!.done()
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg1'])
    expect(h.loop.offer(h.frame(2))).toBe(true)
    expect(h.encodes.map((e) => e.n)).toEqual([1, 2])
    await h.sends[0]!.done()
    await h.encodes[1]!.done()
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg1', 'jpeg2'])
    expect(h.loop.stats).toMatchObject({ taken: 2, sent: 1, skippedBusy: 0 })
  })

  it('keeps only the newest JPEG waiting while the previous one is in flight, and numbers sent frames without gaps', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    await h.encodes[0]!.done()
    h.loop.offer(h.frame(2))
    await h.encodes[1]!.done()
    h.loop.offer(h.frame(3))
    await h.encodes[2]!.done()
    expect(h.discarded).toEqual(['jpeg2'])
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg1'])
    await h.sends[0]!.done()
    expect(h.sends.map((s) => [s.jpeg, s.meta.seq])).toEqual([
      ['jpeg1', 0],
      ['jpeg3', 1]
    ])
    expect(h.loop.stats).toMatchObject({ taken: 3, sent: 1, skippedWhileSending: 1, skippedBusy: 1 })
  })

  it('stamps the capture time when the frame is offered, not when it is sent', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    h.advance(15_000)
    await h.encodes[0]!.done()
    expect(h.sends[0]!.meta).toEqual({ seq: 0, capturedAtUs: 1_000_000 })
  })

  it('goes on after an encode or a hand-over fails', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    await h.encodes[0]!.done(false)
    expect(h.loop.inFlight).toBe(false)
    expect(h.loop.offer(h.frame(2))).toBe(true)
    await h.encodes[1]!.done()
    await h.sends[0]!.done(false)
    expect(h.loop.inFlight).toBe(false)
    expect(h.loop.offer(h.frame(3))).toBe(true)
    await h.encodes[2]!.done()
    expect(h.sends.map((s) => s.jpeg)).toEqual(['jpeg2', 'jpeg3'])
    expect(h.errors).toHaveLength(2)
    expect(h.loop.stats.errors).toBe(2)
  })

  it('keeps to the chosen frame rate by the camera timestamps when the camera is faster', async () => {
    const h = harness(15)
    let taken = 0
    for (let i = 0; i < 30; i++) {
      if (h.loop.offer(h.frame(i))) {
        taken++
        await h.encodes[h.encodes.length - 1]!.done()
        await h.sends[h.sends.length - 1]!.done()
      }
    }
    expect(taken).toBe(15)
    expect(h.loop.stats).toMatchObject({ skippedPace: 15, skippedBusy: 0 })
  })

  it('takes every frame of a 30 fps camera even when the frames arrive unevenly', async () => {
    const h = harness(30)
    const arrivalGaps = [5_000, 60_000, 2_000, 45_000, 10_000, 58_000, 1_000, 40_000]
    let taken = 0
    for (const [i, gap] of arrivalGaps.entries()) {
      h.advance(gap)
      if (h.loop.offer(h.frame(i))) {
        taken++
        await h.encodes[h.encodes.length - 1]!.done()
        await h.sends[h.sends.length - 1]!.done()
      }
    }
    expect(taken).toBe(arrivalGaps.length)
    expect(h.loop.stats.skippedPace).toBe(0)
  })

  it('starts pacing afresh when the camera clock jumps back', async () => {
    const h = harness(30)
    h.loop.offer(h.frame(0, 5_000_000))
    await h.encodes[0]!.done()
    await h.sends[0]!.done()
    expect(h.loop.offer(h.frame(1, 0))).toBe(true)
  })

  it('releases what waits and everything offered after it was stopped, and drops a JPEG that finishes afterwards', async () => {
    const h = harness()
    h.loop.offer(h.frame(1))
    h.loop.offer(h.frame(2))
    h.loop.stop()
    expect(h.released).toEqual([2])
    expect(h.loop.offer(h.frame(3))).toBe(false)
    await h.encodes[0]!.done()
    expect(h.released).toEqual([2, 3])
    expect(h.discarded).toEqual(['jpeg1'])
    expect(h.sends).toEqual([])
    expect(h.encodes).toHaveLength(1)
    expect(h.loop.stats).toMatchObject({ skippedBusy: 0 })
  })
})
