// The reader pacing (pacing/reader-pacer.ts) against a model of the kernel: a send queue that drains into the
// reader's receive buffer of fixed size as fast as it has room (a loopback link), and a reader that takes one whole
// frame, then works on it for a while before reading again (the classic tutorial receiver). Time is simulated in 1 ms
// steps, so the figures are exact; the same readers over real sockets are in test/core/fanout/lan.test.ts and
// `npm run bench:lan -- slow`.

import { describe, expect, it } from 'vitest'
import type { PeerWindowSample } from '../../../src/core/pacing/peer-window'
import { ReaderPacer } from '../../../src/core/pacing/reader-pacer'

interface Run {
  /** capture-to-read age (ms) of every frame the reader read, with when it read it */
  reads: Array<{ at: number; age: number }>
}

/**
 * `seconds` of 30 fps frames of `frameBytes` offered newest-frame-wins to a reader with a `bufferBytes` receive buffer
 * that works `workMs` on each frame; `paced` false writes every frame at once (the unpaced classic path).
 */
function simulate(o: {
  frameBytes: number
  bufferBytes: number
  /** the reader's kernel grows its buffer by this many bytes a second, up to `maxBufferBytes` (receive autotuning) */
  growth?: { bytesPerSecond: number; maxBufferBytes: number }
  /**
   * The reader's kernel advertises its window (readable as with `ss`): the free space in its buffer, but at most
   * `thresholdBytes` (Linux's rcv_ssthresh), so the first `bufferBytes − thresholdBytes` it holds do not show.
   */
  window?: { thresholdBytes: number }
  /** The reader reads nothing from `atMs` for `ms` (a model loading, a breakpoint). */
  pause?: { atMs: number; ms: number }
  workMs: number
  seconds: number
  paced: boolean
}): Run {
  let written = 0
  let delivered = 0
  let consumed = 0
  const socket = { writableLength: 0, get bytesWritten() { return written } }
  let lastAck: PeerWindowSample | null = null
  const windowOf = (buffer: number): number => Math.max(0, Math.min(o.window?.thresholdBytes ?? Infinity, buffer - (delivered - consumed)))
  const pacer = new ReaderPacer(socket, { queued: () => written - delivered }, { latest: () => (o.window ? lastAck : null) })
  /** Frames written, in order: where each ends in the byte stream and when it was captured. */
  const frames: Array<{ end: number; capturedAt: number }> = []
  let waiting: number | null = null
  let checkAt = 0
  let busyUntil = 0
  const reads: Run['reads'] = []
  const write = (capturedAt: number, now: number): void => {
    written += o.frameBytes
    frames.push({ end: written, capturedAt })
    pacer.wrote(o.frameBytes, now)
  }
  for (let now = 0; now < o.seconds * 1_000; now++) {
    // The link: what the reader's buffer has room for arrives at once.
    const buffer = o.growth ? Math.min(o.growth.maxBufferBytes, o.bufferBytes + (o.growth.bytesPerSecond * now) / 1_000) : o.bufferBytes
    const arriving = Math.max(0, Math.min(written - delivered, Math.floor(windowOf(buffer))))
    delivered += arriving
    // Every arrival is acknowledged with the window as it then is; a read alone re-announces it once it has doubled.
    const window = windowOf(buffer)
    if (arriving > 0 || (lastAck !== null && window >= 2 * Math.max(lastAck.window, 1_448))) lastAck = { ackAt: now, acked: delivered, window }
    // The reader: between frames it reads what has arrived; with a whole frame read, it works on it.
    const pausedNow = o.pause !== undefined && now >= o.pause.atMs && now < o.pause.atMs + o.pause.ms
    if (!pausedNow && now >= busyUntil && frames.length > 0) {
      consumed = Math.min(delivered, frames[0]!.end)
      if (consumed === frames[0]!.end) {
        reads.push({ at: now, age: now - frames.shift()!.capturedAt })
        busyUntil = now + o.workMs
      }
    }
    // The source: a frame every 33 ms replaces the one waiting.
    if (now % 33 === 0) {
      waiting = now
      checkAt = now
    }
    if (waiting === null || now < checkAt) continue
    if (!o.paced || pacer.ready(now)) {
      write(waiting, now)
      waiting = null
    } else checkAt = now + pacer.retryMs(now)
  }
  return { reads }
}

const maxAge = (r: Run, from: number): number => Math.max(...r.reads.filter((x) => x.at >= from).map((x) => x.age))
const readsPerSecond = (r: Run, from: number, to: number): number => (r.reads.filter((x) => x.at >= from && x.at < to).length * 1_000) / (to - from)

describe('ReaderPacer', () => {
  it('keeps what a reader taking 4 of 30 frames a second reads recent, where unpaced frames wait in its buffer', () => {
    const slow = { frameBytes: 40_000, bufferBytes: 256 * 1024, workMs: 250, seconds: 20 }
    const unpaced = simulate({ ...slow, paced: false })
    const paced = simulate({ ...slow, paced: true })
    // Unpaced, its buffer stays full: each frame waits behind five others.
    expect(maxAge(unpaced, 5_000)).toBeGreaterThan(1_200)
    // Paced, once measured (within a few seconds), a frame waits at most about one of its reads.
    expect(maxAge(paced, 5_000)).toBeLessThan(600)
    // It is not starved: it still reads at least half the frames it could.
    expect(readsPerSecond(paced, 5_000, 20_000)).toBeGreaterThan(2)
    // Every frame it reads is newer than the one before (newest-frame-wins, in order).
    const captured = paced.reads.map((x) => x.at - x.age)
    for (let i = 1; i < captured.length; i++) expect(captured[i]!).toBeGreaterThan(captured[i - 1]!)
  })

  it('drains what a reader whose buffer grows holds, though its buffer growing makes it look faster at first', () => {
    const growing = { frameBytes: 100_000, bufferBytes: 128 * 1024, growth: { bytesPerSecond: 1_000_000, maxBufferBytes: 2_500_000 }, workMs: 250, seconds: 30 }
    const unpaced = simulate({ ...growing, paced: false })
    const paced = simulate({ ...growing, paced: true })
    expect(maxAge(unpaced, 10_000)).toBeGreaterThan(4_000)
    expect(maxAge(paced, 10_000)).toBeLessThan(600)
    expect(readsPerSecond(paced, 10_000, 30_000)).toBeGreaterThan(2)
  })

  it('bounds what a slow reader reads from its first seconds where its advertised window can be read', () => {
    // As measured over a 100 Mbit/s namespace link: a 2.5 MB buffer of which 1.7 MB is the most ever advertised.
    const linux = { frameBytes: 100_000, bufferBytes: 1_720_000, window: { thresholdBytes: 1_160_000 }, workMs: 250, seconds: 20 }
    const unpaced = simulate({ ...linux, paced: false })
    const paced = simulate({ ...linux, paced: true })
    expect(maxAge(unpaced, 5_000)).toBeGreaterThan(4_000)
    expect(maxAge(paced, 4_000)).toBeLessThan(700)
    expect(readsPerSecond(paced, 4_000, 20_000)).toBeGreaterThan(2)
    // Without the window, the same reader is bounded only once its whole buffer has filled and drained.
    const blind = simulate({ ...linux, window: undefined, paced: true })
    expect(maxAge(blind, 4_000)).toBeGreaterThan(maxAge(paced, 4_000) * 2)
  })

  it('measures a reader that paused by what it takes after the pause, not over it', () => {
    const linux = { frameBytes: 100_000, bufferBytes: 1_720_000, window: { thresholdBytes: 1_160_000 }, workMs: 100, seconds: 30 }
    const paused = simulate({ ...linux, pause: { atMs: 8_000, ms: 8_000 }, paced: true })
    // Once what piled up in its buffer during the pause is read, it gets frames about as often as before it paused
    // (a rate measured over the pause would all but stop them).
    expect(readsPerSecond(paused, 22_000, 30_000)).toBeGreaterThan(Math.max(3, 0.5 * readsPerSecond(paused, 3_000, 8_000)))
    expect(maxAge(paused, 22_000)).toBeLessThan(700)
  })

  it('does not lock a fast reader at a crawl after a pause of a second or two', () => {
    // A reader that keeps up, but stops for 2 s early on (its first frame opened a window, a model loaded).
    const fast = { frameBytes: 100_000, bufferBytes: 1_720_000, window: { thresholdBytes: 1_160_000 }, workMs: 5, seconds: 25 }
    const paused = simulate({ ...fast, pause: { atMs: 1_000, ms: 2_000 }, paced: true })
    const steady = simulate({ ...fast, paced: true })
    expect(readsPerSecond(paused, 15_000, 25_000)).toBeGreaterThan(0.5 * readsPerSecond(steady, 15_000, 25_000))
  })

  it('never slows a reader that keeps up', () => {
    const fast = { frameBytes: 40_000, bufferBytes: 256 * 1024, workMs: 5, seconds: 10 }
    const paced = simulate({ ...fast, paced: true })
    const unpaced = simulate({ ...fast, paced: false })
    expect(paced.reads.length).toBe(unpaced.reads.length)
    expect(maxAge(paced, 0)).toBeLessThanOrEqual(maxAge(unpaced, 0))
  })

  it('paces a reader whose frames are larger than its buffer by the reader itself', () => {
    // A 900 KB frame never fits a 256 KB buffer: the reader holds the gate up during every frame.
    const big = { frameBytes: 900_000, bufferBytes: 256 * 1024, workMs: 250, seconds: 20 }
    const paced = simulate({ ...big, paced: true })
    expect(maxAge(paced, 5_000)).toBeLessThan(600)
    expect(readsPerSecond(paced, 5_000, 20_000)).toBeGreaterThan(2)
  })
})
