// The fan-out over a real, slower-than-the-stream link: two network namespaces joined by a veth pair shaped with tbf
// (test/support/netns.ts), the broadcaster in one and the viewers in the other as separate processes
// (test/support/lan/*-agent.ts). Limits are generous (a loaded 2-core machine must pass them); the figures
// themselves are measured by `npm run bench:lan`.

import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { readerResult, lanRun, watchResults } from '../../support/lan/run'
import { createLan, type Lan, lanSupport } from '../../support/netns'

const support = lanSupport()
if (!support.ok) console.warn(`LAN tests skipped: ${support.reason}`)

describe.skipIf(!support.ok)('the fan-out over a shaped LAN', () => {
  let lan: Lan | null = null
  afterEach(async () => {
    await lan?.close()
    lan = null
    expect(execFileSync('/usr/sbin/ip', ['netns', 'list'], { encoding: 'utf8' })).not.toContain(`fcl${process.pid}`)
  })

  it('keeps a Framecast viewer recent over 20 Mbit/s while the stream wants more (~100 KB frames at 30 fps)', async () => {
    lan = createLan({ rateMbit: 20 })
    const { sent, results } = await lanRun(lan, { mode: 'native', fps: 30, seconds: 9, frame: { quality: 70 } }, [
      { kind: 'watch', count: 1, seconds: 8, warmupMs: 2_000 }
    ])
    const [w] = watchResults(results[0]!)
    // The stream is more than the link carries (30 × ~100 KB = ~24 Mbit/s): without a window frames would queue.
    expect(sent.meanBytes).toBeGreaterThan(70_000)
    expect(w!.frames).toBeGreaterThan(40)
    expect(w!.latencyP95Ms).not.toBeNull()
    expect(w!.latencyP95Ms!).toBeLessThan(250)
  }, 60_000)

  // The reader's kernel takes megabytes before our send queue shows anything; its advertised window
  // (src/core/pacing/peer-window.ts) shows it behind within its first second, and its rate a second later.
  it('keeps the frames a slow classic reader gets under a second old once it is measured, where the unpaced path lags seconds', async () => {
    lan = createLan({ rateMbit: 100 })
    // A reader that works 250 ms on each frame (4 of 30 a second). Ages count once the backlog its kernel took before
    // the pacing could see it has been read: up to 2 MB, 5 s of its reading, in the runs measured.
    const reader = { kind: 'classic' as const, seconds: 16, warmupMs: 10_000, workMs: 250 }
    const run = async (mode: 'seed' | 'classic-jpeg') =>
      readerResult((await lanRun(lan!, { mode, fps: 30, seconds: 17, frame: { quality: 70 } }, [reader])).results[0]!)
    const unpaced = await run('seed')
    const paced = await run('classic-jpeg')
    console.info(`slow classic reader, frame age p95: paced ${paced.ageP95Ms} ms, unpaced ${unpaced.ageP95Ms} ms`)
    expect(paced.ages.length).toBeGreaterThan(8)
    expect(paced.ages.every(Number.isFinite)).toBe(true)
    // The unpaced path fills every buffer on the way (seconds of frames); paced, the reader's backlog drains.
    expect(unpaced.ageP95Ms!).toBeGreaterThan(2_000)
    expect(paced.ageP95Ms!).toBeLessThan(1_000)
  }, 60_000)

  it('cuts a stalled classic reader after a whole frame: it reads whole frames, then the end', async () => {
    lan = createLan({ rateMbit: 100 })
    // It stops reading for 10 s: once its window shows it behind, it gets a frame every 250 ms until its buffer is
    // full (about 6 s here), and is cut 1 s after that.
    const { results } = await lanRun(lan, { mode: 'classic-jpeg', fps: 30, seconds: 14, frame: { quality: 70 }, stallTimeoutMs: 1_000 }, [
      { kind: 'classic', seconds: 13, warmupMs: 0, workMs: 0, pauseAfter: 10, pauseMs: 10_000 }
    ])
    const r = readerResult(results[0]!)
    // It was cut (it did not read to the end of the run), and never inside a frame.
    expect(r.end).not.toBe('ran')
    expect(r.end).not.toBe('eof inside a frame')
    expect(['eof at a boundary', 'reset']).toContain(r.end)
    // Every frame it did read was whole: its payload carried its capture time.
    expect(r.frames).toBeGreaterThanOrEqual(10)
    expect(r.ages.every(Number.isFinite)).toBe(true)
  }, 60_000)
})
