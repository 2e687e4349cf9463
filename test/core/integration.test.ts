// Broadcaster and watchers together over real loopback sockets.

import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster, type BroadcasterOptions } from '../../src/core/fanout/broadcaster'
import { frameWireBytes } from '../../src/core/fanout/native-framing'
import { Watcher, type WatchedFrame, type WatcherOptions } from '../../src/core/watch/watcher'
import type { WatchStatus } from '../../src/shared/ipc'
import { nowUs, type StreamInfo } from '../../src/shared/protocol'
import { fakeJpeg, rawClient, type RawPeer, sleep, waitFor, waitUntil } from '../support/net'

const info: StreamInfo = { codec: 'jpeg', width: 1280, height: 720, fps: 30, name: 'Studio' }
const cleanups: Array<() => Promise<void>> = []

async function broadcast(options: Partial<BroadcasterOptions> = {}): Promise<Broadcaster> {
  const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, ...options })
  cleanups.push(() => b.close())
  return b
}

interface Watching {
  watcher: Watcher
  frames: Array<WatchedFrame & { at: number }>
}

function watchers(n: number, port: number, options: Partial<WatcherOptions> = {}): Watching[] {
  return Array.from({ length: n }, () => {
    const watcher = new Watcher({ host: '127.0.0.1', port, ...options })
    cleanups.push(() => watcher.stop())
    const frames: Watching['frames'] = []
    watcher.on('frame', (f) => frames.push({ ...f, at: performance.now() }))
    watcher.start()
    return { watcher, frames }
  })
}

function allIn(ws: Watching[], state: WatchStatus['state']): boolean {
  return ws.every((w) => w.watcher.status.state === state)
}

/**
 * Send `count` frames at `fps` like a camera would; returns the send times by seq. After a hiccup of the (shared)
 * machine it catches up at no more than twice the rate, never in a burst within one turn of the event loop — a burst
 * would rightly make newest-frame-wins skip frames at healthy viewers too.
 */
async function stream(b: Broadcaster, count: number, fps: number, size: number): Promise<number[]> {
  const sentAt: number[] = []
  const start = performance.now()
  const interval = 1_000 / fps
  for (let i = 0; i < count; i++) {
    const due = Math.max(start + i * interval, i > 0 ? sentAt[i - 1]! + interval / 2 : 0)
    await sleep(Math.max(0, due - performance.now()))
    sentAt.push(performance.now())
    b.send({ seq: i, capturedAtUs: nowUs(), payload: fakeJpeg(size, i) })
  }
  return sentAt
}

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

describe('broadcaster and watchers on loopback', () => {
  it('delivers every frame in order to 8 watchers at 30 fps', async () => {
    const b = await broadcast()
    const ws = watchers(8, b.port)
    await waitUntil(() => allIn(ws, 'live'), 3_000, 'eight live watchers')
    expect(b.viewers()).toHaveLength(8)
    await stream(b, 60, 30, 60_000)
    await waitUntil(() => ws.every((w) => w.frames.length === 60), 3_000, 'sixty frames everywhere')
    for (const w of ws) {
      expect(w.frames.map((f) => f.seq)).toEqual([...Array(60).keys()])
      expect(w.frames.every((f, i) => f.payload.length === 60_000 && f.payload[3] === (i & 0xff))).toBe(true)
      expect(w.watcher.stats()).toMatchObject({ frames: 60, gaps: 0 })
      expect(w.watcher.stats().fps).toBeGreaterThan(20)
    }
    expect(b.stats()).toMatchObject({ frames: 60, replaced: 0, viewersEver: 8 })
    expect(b.viewers().every((v) => v.frames === 60 && v.replaced === 0)).toBe(true)
  })

  it('keeps 8 watchers at full rate while a viewer that never reads holds no more than one frame plus its socket buffer', async () => {
    // The stalled viewer must still be there to be looked at when the stream ends, however slow a loaded machine is.
    const b = await broadcast({ stallTimeoutMs: 60_000, idleTimeoutMs: 60_000 })
    const ws = watchers(8, b.port)
    const stalled: RawPeer = await rawClient(b.port)
    cleanups.push(async () => void stalled.socket.destroy())
    await waitUntil(() => allIn(ws, 'live') && b.viewers().length === 9, 3_000, 'nine viewers')
    stalled.socket.pause()
    const isStalled = (address: string): boolean => address === `127.0.0.1:${stalled.socket.localPort}`
    const size = 300_000
    const bound = 2 * frameWireBytes(size) + stalled.socket.writableHighWaterMark + 1_024
    let maxPending = 0
    const sampler = setInterval(() => {
      const v = b.viewers().find((x) => isStalled(x.address))
      if (v) maxPending = Math.max(maxPending, v.pendingBytes)
    }, 5)
    const sentAt = await stream(b, 75, 30, size)
    clearInterval(sampler)
    await waitUntil(() => ws.every((w) => w.frames.length === 75), 3_000, 'every frame at every watcher')
    const stuck = b.viewers().find((x) => isStalled(x.address))!
    expect(stuck.replaced).toBeGreaterThan(0)
    expect(stuck.frames + stuck.replaced).toBeLessThanOrEqual(75)
    expect(maxPending).toBeGreaterThan(0)
    expect(maxPending).toBeLessThanOrEqual(bound)
    for (const w of ws) {
      expect(w.frames.map((f) => f.seq)).toEqual([...Array(75).keys()])
      // Full rate: no frame waited behind the stalled viewer.
      const worst = Math.max(...w.frames.map((f) => f.at - sentAt[f.seq]!))
      expect(worst).toBeLessThan(500)
    }
    expect(b.viewers().filter((v) => !isStalled(v.address)).every((v) => v.replaced === 0)).toBe(true)
  })

  it('loses a destroyed broadcaster within 3 s and is live again within 1 s of a restart on the same port', async () => {
    const first = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    const port = first.port
    const ws = watchers(8, port)
    await waitUntil(() => allIn(ws, 'live'), 3_000, 'eight live watchers')
    const feeding = setInterval(() => first.send({ capturedAtUs: nowUs(), payload: fakeJpeg(20_000) }), 33)
    await sleep(300)
    const killedAt = performance.now()
    clearInterval(feeding)
    await first.destroy()
    const lostAt: number[] = []
    await Promise.all(ws.map((w) => waitFor<WatchStatus>(w.watcher, 'state', (s) => s.state === 'lost', 3_000).then(() => lostAt.push(performance.now()))))
    expect(Math.max(...lostAt) - killedAt).toBeLessThan(3_000)
    // Nothing listens for a while: the watchers keep trying and say why.
    await sleep(1_200)
    expect(ws.every((w) => w.watcher.status.state === 'reconnecting' && w.watcher.status.error?.code === 'CONNECTION_REFUSED')).toBe(true)
    const second = await broadcast({ port })
    const listeningAt = performance.now()
    await waitUntil(() => allIn(ws, 'live'), 1_000, 'all eight live again')
    expect(performance.now() - listeningAt).toBeLessThan(1_000)
    expect(second.viewers()).toHaveLength(8)
  })

  it('tells watchers a closed broadcast has ended and picks them up when it starts again', async () => {
    const first = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    const ws = watchers(2, first.port)
    await waitUntil(() => allIn(ws, 'live'), 3_000, 'two live watchers')
    const lost = ws.map((w) => waitFor<WatchStatus>(w.watcher, 'state', (s) => s.state === 'lost'))
    await first.close('shutdown')
    for (const s of await Promise.all(lost)) expect(s.error?.code).toBe('PEER_LOST')
    await broadcast({ port: first.port })
    await waitUntil(() => allIn(ws, 'live'), 2_000, 'live again')
  })

  it('estimates a small clock offset and a non-negative latency on one machine', async () => {
    const b = await broadcast()
    const [w] = watchers(1, b.port, { pingIntervalMs: 50 })
    await waitUntil(() => w!.watcher.status.state === 'live' && w!.watcher.stats().rttMs !== null, 3_000, 'a clock sample')
    await sleep(300)
    const offsetUs = w!.watcher.clockOffsetUs!
    expect(Math.abs(offsetUs)).toBeLessThan(5_000)
    await stream(b, 15, 30, 50_000)
    await waitUntil(() => w!.frames.length === 15, 2_000, 'fifteen frames')
    for (const f of w!.frames) {
      expect(f.latencyMs).not.toBeNull()
      expect(f.latencyMs!).toBeGreaterThanOrEqual(0)
      expect(f.latencyMs!).toBeLessThan(250)
    }
    const stats = w!.watcher.stats()
    expect(stats.rttMs!).toBeGreaterThanOrEqual(0)
    expect(stats.rttMs!).toBeLessThan(50)
    expect(stats.latencyP50Ms!).toBeLessThanOrEqual(stats.latencyP95Ms!)
  })

  it('streams over IPv6 loopback', async () => {
    const b = await broadcast({ host: '::1' })
    const watcher = new Watcher({ host: '::1', port: b.port })
    cleanups.push(() => watcher.stop())
    const frames: WatchedFrame[] = []
    watcher.on('frame', (f) => frames.push(f))
    watcher.start()
    await waitFor<WatchStatus>(watcher, 'state', (s) => s.state === 'live')
    expect(b.viewers()[0]!.address).toMatch(/^\[::1\]:\d+$/)
    await stream(b, 10, 30, 10_000)
    await waitUntil(() => frames.length === 10, 2_000, 'ten frames')
    expect(frames.map((f) => f.seq)).toEqual([...Array(10).keys()])
  })
})
