// A slow reader that cannot acknowledge, over loopback: the unmodified tutorial receiver (pickle.loads, then 250 ms of
// "detection" per frame) against our classic pickle broadcast of a live 30 fps stream. Each frame's colour carries its
// number, so the reader's report gives every frame's age. Over loopback the reader's window grows to megabytes and one
// 900 KB pickle it has not read yet is the normal state of a reader at work — which the pacing must not take for a
// reader falling behind (pacing/reader-pacer.ts). The same reader over a real link is in lan.test.ts.

import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster } from '../../../src/core/fanout/broadcaster'
import { nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { percentile } from '../../../src/shared/stats'
import { hasNumpy, PYTHON } from '../../support/python'

const W = 640
const H = 480
const info: StreamInfo = { name: 'slow reader', width: W, height: H, fps: 30, codec: 'jpeg' }
const STEP = 16

/** The tutorial receiver; prints `<epoch ms> <frame number>` per frame, the number read back from its colour. */
const READER = String.raw`
import pickle, socket, struct, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
data, size, end = b"", struct.calcsize("Q"), time.time() + float(sys.argv[2])
while time.time() < end:
    while len(data) < size:
        data += s.recv(4096)
    n = struct.unpack("Q", data[:size])[0]
    data = data[size:]
    while len(data) < n:
        data += s.recv(4096)
    frame, data = pickle.loads(data[:n]), data[n:]
    b, g, r = frame.reshape(-1, 3).mean(axis=0)
    print(int(time.time() * 1000), round(r / ${STEP}) + 16 * round(g / ${STEP}), flush=True)
    time.sleep(0.25)
`

describe.skipIf(!hasNumpy)('a slow classic reader over loopback', () => {
  const cleanups: Array<() => unknown> = []
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c()
  })

  it('reads recent frames steadily: more than one a second, none held back for long', async () => {
    // 256 frames whose colour is their number: red in 16 steps, green in 16.
    const jpegs = await Promise.all(
      Array.from({ length: 256 }, (_, i) =>
        sharp({ create: { width: W, height: H, channels: 3, background: { r: (i % 16) * STEP, g: Math.floor(i / 16) * STEP, b: 128 } } }).jpeg({ quality: 90 }).toBuffer()
      )
    )
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, framing: 'classic-pickle' })
    cleanups.push(() => b.close())
    const sentAt: number[] = []
    let n = 0
    const feed = setInterval(() => {
      sentAt[n] = Date.now()
      b.send({ capturedAtUs: nowUs(), payload: jpegs[n % 256]! })
      n++
    }, 1000 / 30)
    cleanups.push(() => clearInterval(feed))
    const seconds = 14
    const reader = spawn(PYTHON, ['-c', READER, String(b.port), String(seconds)], { stdio: ['ignore', 'pipe', 'pipe'] })
    cleanups.push(() => reader.kill())
    // What the viewer list says it takes, once it has been measured.
    let reportedKbps: number | null = null
    const look = setTimeout(() => (reportedKbps = b.viewers()[0]?.deliveryKbps ?? null), 10_000)
    cleanups.push(() => clearTimeout(look))
    const reads: Array<{ at: number; age: number }> = []
    let start: number | null = null
    for await (const line of createInterface({ input: reader.stdout })) {
      const [at, id] = line.split(' ').map(Number) as [number, number]
      start ??= at
      // The latest frame sent before it was read that bears this number.
      let i = n - 1
      while (i >= 0 && (i % 256 !== id || sentAt[i]! > at)) i--
      expect(i, `frame number ${id} was never sent`).toBeGreaterThanOrEqual(0)
      reads.push({ at: at - start, age: at - sentAt[i]! })
    }
    const settled = reads.filter((r) => r.at >= 4_000)
    const span = (settled.at(-1)!.at - settled[0]!.at) / 1_000
    const gaps = settled.slice(1).map((r, k) => r.at - settled[k]!.at)
    const ages = settled.map((r) => r.age).sort((x, y) => x - y)
    const ageP95 = percentile(ages, 95)!
    console.info(
      `slow pickle reader over loopback: ${settled.length} frames in ${span.toFixed(1)} s, age p95 ${ageP95} ms, max ${ages.at(-1)} ms, longest gap ${Math.max(...gaps)} ms, drain rate ${reportedKbps} kbit/s`
    )
    // It could take 2–3 a second (250 ms of work plus reading 900 KB; fewer on a loaded machine). Paced at 0.6 of its
    // measured rate, and not slowed further by mistaking the frame it is reading for a backlog (which left it waiting
    // 3–9 s for frames), it gets frames steadily…
    expect(settled.length / span).toBeGreaterThan(0.7)
    expect(Math.max(...gaps)).toBeLessThan(2_500)
    // …and recent ones.
    expect(ageP95).toBeLessThan(1_000)
    // The viewer list shows its measured drain rate: what it took, or more (it is paced below it).
    const takenKbps = ((settled.length / span) * W * H * 3 * 8) / 1_000
    expect(reportedKbps).not.toBeNull()
    expect(reportedKbps!).toBeGreaterThan(0.8 * takenKbps)
    expect(reportedKbps!).toBeLessThan(5 * takenKbps)
  }, 40_000)
})
