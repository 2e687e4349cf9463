// Networking core benchmark: `npm run bench:core`. Prints one JSON object per line:
//   {"name", "value", "unit", "baseline", "goal"}
// Every figure is measured against a baseline taken in the same run on the same machine (raw Node sockets over
// loopback), so a slow or busy machine moves both. Everything talks to 127.0.0.1 on ports picked by the OS.

import { once } from 'node:events'
import net from 'node:net'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { Worker } from 'node:worker_threads'
import { Broadcaster } from '../src/core/fanout/broadcaster'
import { frameWireBytes } from '../src/core/fanout/native-framing'
import { encodeFrameHead, encodeHello, encodePreamble } from '../src/core/codec/codec'
import { Watcher } from '../src/core/watch/watcher'
import { benchPairing, pairedStores, privateAccess } from './secure'
import type { StreamInfo } from '../src/shared/protocol'
import { percentile } from '../src/shared/stats'
import { monotonicMs, type ReceiverReply, type ReceiverRequest } from './latency-receivers'

const HOST = '127.0.0.1'
const info: StreamInfo = { codec: 'jpeg', width: 1280, height: 720, fps: 30, name: 'bench' }

function print(name: string, value: number, unit: string, baseline: number | null, goal: string): void {
  console.log(JSON.stringify({ name, value: round(value), unit, baseline: baseline === null ? null : round(baseline), goal }))
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000
}

function jpeg(size: number, seed = 0): Buffer {
  const b = Buffer.alloc(size, seed & 0xff)
  b[0] = 0xff
  b[1] = 0xd8
  b[2] = 0xff
  return b
}

// ---------------------------------------------------------------------------------------------------------------
// Raw socket pairs: the baseline for every figure
// ---------------------------------------------------------------------------------------------------------------

interface RawPair {
  writer: net.Socket
  reader: net.Socket
  close(): void
}

/**
 * `n` connected pairs. With `regionReads` the reading side reads the way the watcher does (into consecutive slices of
 * 1 MiB regions, via the socket's `onread` option) instead of Node's default 64 KiB 'data' chunks.
 */
async function rawPairs(n: number, regionReads = false): Promise<RawPair[]> {
  const accepted: net.Socket[] = []
  const server = net.createServer({ noDelay: true }, (s) => accepted.push(s))
  server.listen(0, HOST)
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  const readers: net.Socket[] = []
  for (let i = 0; i < n; i++) {
    const s = regionReads ? regionReader(port) : net.connect({ host: HOST, port, noDelay: true })
    await once(s, 'connect')
    readers.push(s)
  }
  while (accepted.length < n) await sleep(1)
  server.close()
  return readers.map((reader, i) => ({
    reader,
    writer: accepted[i]!,
    close: () => {
      reader.destroy()
      accepted[i]!.destroy()
    }
  }))
}

/** A client socket that reads into 1 MiB regions and re-emits each read as a 'data' event. */
function regionReader(port: number): net.Socket {
  let region = Buffer.alloc(0)
  let filled = 0
  const socket: net.Socket = net.connect({
    host: HOST,
    port,
    noDelay: true,
    onread: {
      buffer: () => {
        if (region.length - filled < 64 * 1024) {
          region = Buffer.allocUnsafe(1024 * 1024)
          filled = 0
        }
        return region.subarray(filled)
      },
      callback: (bytes: number, into: Uint8Array) => {
        filled += bytes
        socket.emit('data', into.subarray(0, bytes))
        return true
      }
    }
  })
  return socket
}

/** Write one frame message the way the broadcaster does: small head + payload, corked into one writev. */
function rawWrite(socket: net.Socket, seq: number, payload: Buffer): boolean {
  socket.cork()
  socket.write(encodeFrameHead(seq, 0, payload.length))
  const ok = socket.write(payload)
  socket.uncork()
  return ok
}

/** Calls `onMessage` each time another `messageBytes` have arrived (the reader only counts). */
function countMessages(socket: net.Socket, messageBytes: number, onMessage: () => void): void {
  let got = 0
  socket.on('data', (chunk: Buffer) => {
    got += chunk.length
    while (got >= messageBytes) {
      got -= messageBytes
      onMessage()
    }
  })
}

// ---------------------------------------------------------------------------------------------------------------
// relay_vs_raw_ratio
// ---------------------------------------------------------------------------------------------------------------

/**
 * Throughput with 150 KB frames, sending as fast as back-pressure allows on both sides:
 * - raw: write head + payload (corked), and when write() returns false wait for 'drain';
 * - relay: Broadcaster.send() while `ready`, otherwise wait for 'ready' (emitted when the viewer's socket drained
 *   and its pending frame, if any, went out). Sending blindly would only measure how fast newest-frame-wins can
 *   discard frames; waiting for the same signal the raw writer waits for measures what reaches the viewer.
 * The clock runs from the first write until the receiver has the last byte (raw) or the last 'frame' event (relay:
 * the watcher also parses every message and hands each frame out as one contiguous buffer). Sender and receiver
 * share this process, as both raw sides do. Four rounds each, interleaved; the best runs are compared.
 * The watcher reads into large regions (fewer, bigger reads, frames handed out as views); the plain raw pair uses
 * Node's default 64 KiB reads, so a second ratio compares against a raw reader that reads the same way.
 */
async function rawThroughput(frames: number, payload: Buffer, regionReads = false): Promise<number> {
  const [pair] = await rawPairs(1, regionReads)
  const { writer, reader } = pair!
  const messageBytes = frameWireBytes(payload.length)
  let received = 0
  const done = new Promise<void>((resolve) => countMessages(reader, messageBytes, () => ++received === frames && resolve()))
  const start = performance.now()
  for (let i = 0; i < frames; i++) {
    if (!rawWrite(writer, i, payload)) await once(writer, 'drain')
  }
  await done
  const ms = performance.now() - start
  pair!.close()
  return (frames * messageBytes) / 1e6 / (ms / 1000)
}

async function relayThroughput(frames: number, payload: Buffer, secure?: Awaited<ReturnType<typeof pairedStores>>): Promise<number> {
  const b = await Broadcaster.listen({ host: HOST, port: 0, info, ...(secure ? { access: privateAccess(secure.broadcaster) } : {}) })
  const w = new Watcher({ host: HOST, port: b.port, ...(secure ? { security: { store: secure.viewer } } : {}) })
  w.start()
  await once(b, 'viewer-joined')
  await new Promise<void>((resolve) => w.on('state', (s) => s.state === 'live' && resolve()))
  let received = 0
  const done = new Promise<void>((resolve) => w.on('frame', () => ++received === frames && resolve()))
  const start = performance.now()
  for (let i = 0; i < frames; i++) {
    if (!b.ready) await once(b, 'ready')
    b.send({ capturedAtUs: 0, payload })
  }
  await done
  const ms = performance.now() - start
  const replaced = b.stats().replaced
  await w.stop()
  await b.close()
  if (replaced !== 0) throw new Error(`relay throughput run replaced ${replaced} frames`)
  return (frames * frameWireBytes(payload.length)) / 1e6 / (ms / 1000)
}

async function benchThroughput(): Promise<void> {
  const payload = jpeg(150 * 1024)
  const frames = 2_000
  await rawThroughput(200, payload)
  await rawThroughput(200, payload, true)
  await relayThroughput(200, payload)
  const raw: number[] = []
  const rawRegion: number[] = []
  const relay: number[] = []
  for (let round = 0; round < 4; round++) {
    raw.push(await rawThroughput(frames, payload))
    rawRegion.push(await rawThroughput(frames, payload, true))
    relay.push(await relayThroughput(frames, payload))
  }
  // Best of four for each: on a shared machine the least disturbed run is the one that shows what the code can do.
  const best = (xs: number[]): number => Math.max(...xs)
  print('relay_vs_raw_ratio', best(relay) / best(raw), 'ratio', 1, '>= 0.90')
  // The same relay against a raw reader that also reads into large regions: what the protocol itself costs.
  print('relay_vs_raw_region_reads_ratio', best(relay) / best(rawRegion), 'ratio', 1, 'info')
  print('relay_throughput_mb_s', best(relay), 'MB/s', best(raw), 'info')
}

// ---------------------------------------------------------------------------------------------------------------
// added_latency_p99_ms
// ---------------------------------------------------------------------------------------------------------------

/** Pace `count` ticks at `fps`, catching up at most at twice the rate after a hiccup, never in one burst. */
async function paced(count: number, fps: number, tick: (i: number) => void): Promise<void> {
  const start = performance.now()
  const interval = 1_000 / fps
  let last = -Infinity
  for (let i = 0; i < count; i++) {
    const due = Math.max(start + i * interval, last + interval / 2)
    await sleep(Math.max(0, due - performance.now()))
    last = performance.now()
    tick(i)
  }
}

/** The receiving side of the latency figure, in a worker thread: see bench/latency-receivers.ts. */
class Receivers {
  private constructor(private readonly worker: Worker) {}

  static spawn(): Receivers {
    // tsx's ESM hooks do not reach worker threads on Node 20; its CommonJS require hook does.
    return new Receivers(new Worker(path.join(__dirname, 'latency-receivers.ts'), { execArgv: ['--require', 'tsx/cjs'] }))
  }

  /** One request, one reply; a failure in the worker rejects through its 'error' event. */
  async ask<T extends ReceiverReply['type']>(request: ReceiverRequest, expect: T): Promise<Extract<ReceiverReply, { type: T }>> {
    this.worker.postMessage(request)
    const [reply] = (await once(this.worker, 'message')) as [ReceiverReply]
    if (reply.type !== expect) throw new Error(`latency receivers answered ${reply.type} to ${request.type}`)
    return reply as Extract<ReceiverReply, { type: T }>
  }

  async close(): Promise<void> {
    await this.ask({ type: 'stop' }, 'stopped')
    await this.worker.terminate()
  }
}

interface LatencyRig {
  /** Send `frames` frames at 30 fps and collect send -> receive latencies (ms) at every viewer. */
  run(frames: number): Promise<number[]>
}

/**
 * `send(i)` writes frame `i` to every viewer from this thread; the worker records each arrival. Both ends read the
 * same monotonic clock, so a latency is the arrival time minus the send time of that frame.
 */
function latencyRig(rig: 'raw' | 'relay' | 'tls', receivers: Receivers, send: (i: number) => void): LatencyRig {
  return {
    async run(frames) {
      const sentAt: number[] = []
      gc()
      await paced(frames, 30, (i) => {
        sentAt.push(monotonicMs())
        send(i)
      })
      await sleep(100)
      const { seqs, at } = await receivers.ask({ type: 'collect', rig }, 'samples')
      return at.map((t, k) => t - sentAt[seqs[k]!]!)
    }
  }
}

/**
 * 8 viewers, 120 KB frames at 30 fps. The sending side runs in this thread: Broadcaster.send() for the relay, and
 * for the baseline the same frames written (head + payload, corked) to 8 raw sockets. The receiving side (8 Watchers
 * and 8 raw readers) runs in a worker thread, so a sample holds the sender's work and the transport, not the other
 * viewers' receive processing queued in the same event loop, as when the viewers are on other machines.
 * The relay's latency ends at the Watcher's 'frame' event, the raw reader's when the frame's last byte is read.
 * Raw and relay run in alternating blocks of 2 s, so a busy moment on the machine lands on both about equally. Both
 * threads collect their heap before each block (for raw and relay alike): otherwise the idle-time full collections
 * V8 starts on its own (8-12 ms each) fall inside a block at random and decide the p99 of whichever rig they hit.
 */
async function benchLatency(): Promise<void> {
  const viewers = 8
  const payload = jpeg(120 * 1024)
  const b = await Broadcaster.listen({ host: HOST, port: 0, info })
  const writers: net.Socket[] = []
  const server = net.createServer({ noDelay: true }, (s) => writers.push(s))
  server.listen(0, HOST)
  await once(server, 'listening')
  const receivers = Receivers.spawn()
  const rawPort = (server.address() as net.AddressInfo).port
  await receivers.ask({ type: 'start', relayPort: b.port, rawPort, viewers, messageBytes: frameWireBytes(payload.length) }, 'ready')
  while (writers.length < viewers || b.viewers().length < viewers) await sleep(5)
  server.close()

  const raw = latencyRig('raw', receivers, (i) => {
    for (const s of writers) rawWrite(s, i, payload)
  })
  const relay = latencyRig('relay', receivers, (i) => b.send({ seq: i, capturedAtUs: 0, payload }))
  await relay.run(15)
  await raw.run(15)
  const rawAll: number[] = []
  const relayAll: number[] = []
  const blocks = 4
  const perBlock = 60
  for (let i = 0; i < blocks; i++) {
    rawAll.push(...(await raw.run(perBlock)))
    relayAll.push(...(await relay.run(perBlock)))
  }
  const replaced = b.stats().replaced
  await receivers.close()
  for (const s of writers) s.destroy()
  await b.close()
  print('added_latency_p99_ms', percentile(relayAll, 99)!, 'ms', percentile(rawAll, 99)!, '< 2')
  print('added_latency_p50_ms', percentile(relayAll, 50)!, 'ms', percentile(rawAll, 50)!, 'info')
  print('added_latency_p99_over_raw_ms', percentile(relayAll, 99)! - percentile(rawAll, 99)!, 'ms', 0, 'info')
  const expected = viewers * blocks * perBlock
  if (relayAll.length !== expected || rawAll.length !== expected || replaced !== 0) {
    print('added_latency_frames_missing', expected - relayAll.length, 'frames', expected - rawAll.length, '0')
  }
}

// ---------------------------------------------------------------------------------------------------------------
// stalled_min_healthy_fps, stalled_pending_bytes
// ---------------------------------------------------------------------------------------------------------------

/**
 * 16 viewers at 30 fps (100 KB frames, 4 s): 15 watchers and one raw viewer that completes the handshake and then
 * never reads. Healthy fps is each watcher's frames over the time between its first and last frame; the baseline is
 * the rate the frames were actually sent at. Pending bytes are sampled every 5 ms for the stalled viewer; the
 * baseline is one frame on the wire, and the goal is one pending frame plus the socket's buffer (which holds at most
 * the frame being written plus its high-water mark).
 */
async function benchStalled(): Promise<void> {
  const size = 100 * 1024
  const frames = 120
  const payload = jpeg(size)
  const b = await Broadcaster.listen({ host: HOST, port: 0, info, stallTimeoutMs: 60_000 })
  const ws = Array.from({ length: 15 }, () => new Watcher({ host: HOST, port: b.port }))
  const arrivals = ws.map(() => [] as number[])
  ws.forEach((w, i) => {
    w.on('frame', () => arrivals[i]!.push(performance.now()))
    w.start()
  })
  const stalled = net.connect({ host: HOST, port: b.port })
  await once(stalled, 'connect')
  stalled.write(encodePreamble('viewer'))
  // HELLO follows the broadcaster's answer (its preamble), as the protocol has it.
  await once(stalled, 'data')
  stalled.write(encodeHello('stalled reader'))
  stalled.pause()
  while (b.viewers().length < 16 || ws.some((w) => w.status.state !== 'live')) await sleep(5)
  const stalledAddress = `${HOST}:${stalled.localPort}`
  let maxPending = 0
  const sampler = setInterval(() => {
    const v = b.viewers().find((x) => x.address === stalledAddress)
    if (v) maxPending = Math.max(maxPending, v.pendingBytes)
  }, 5)
  const sendTimes: number[] = []
  await paced(frames, 30, () => {
    sendTimes.push(performance.now())
    b.send({ capturedAtUs: 0, payload })
  })
  await sleep(300)
  clearInterval(sampler)
  const stuck = b.viewers().find((x) => x.address === stalledAddress)
  const sentFps = ((frames - 1) * 1000) / (sendTimes.at(-1)! - sendTimes[0]!)
  const fps = arrivals.map((a) => (a.length < 2 ? 0 : ((a.length - 1) * 1000) / (a.at(-1)! - a[0]!)))
  const complete = arrivals.every((a) => a.length === frames)
  stalled.destroy()
  await Promise.all(ws.map((w) => w.stop()))
  await b.close()
  print('stalled_min_healthy_fps', Math.min(...fps), 'fps', sentFps, '>= 29')
  const bound = 2 * frameWireBytes(size) + stalled.writableHighWaterMark
  print('stalled_pending_bytes', maxPending, 'bytes', frameWireBytes(size), `<= ${bound}`)
  print('stalled_viewer_replaced', stuck?.replaced ?? -1, 'frames', 0, '> 0 (the stall was reached)')
  if (!complete) print('stalled_healthy_frames_missing', arrivals.reduce((n, a) => n + frames - a.length, 0), 'frames', 0, '0')
}

// ---------------------------------------------------------------------------------------------------------------
// heap_growth_mb
// ---------------------------------------------------------------------------------------------------------------

v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

async function settledHeapMb(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc()
    await sleep(20)
  }
  return process.memoryUsage().heapUsed / 1e6
}

function arrayBuffersMb(): number {
  return process.memoryUsage().arrayBuffers / 1e6
}

/** Relay 100 000 small frames to one watcher (as fast as back-pressure allows); heap after minus heap before. */
async function benchHeap(): Promise<void> {
  const frames = 100_000
  const payload = jpeg(1_024)

  const b = await Broadcaster.listen({ host: HOST, port: 0, info })
  const w = new Watcher({ host: HOST, port: b.port })
  let received = 0
  w.on('frame', () => received++)
  w.start()
  while (w.status.state !== 'live') await sleep(5)
  const relay = async (n: number): Promise<void> => {
    const target = received + n
    for (let i = 0; i < n; i++) {
      if (!b.ready) await once(b, 'ready')
      b.send({ capturedAtUs: 0, payload })
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
    }
    while (received < target - b.stats().replaced) await sleep(5)
  }
  await relay(5_000)
  const before = await settledHeapMb()
  const buffersBefore = arrayBuffersMb()
  await relay(frames)
  const after = await settledHeapMb()
  const buffersAfter = arrayBuffersMb()
  await w.stop()
  await b.close()

  const [pair] = await rawPairs(1)
  let rawReceived = 0
  countMessages(pair!.reader, frameWireBytes(payload.length), () => rawReceived++)
  const rawRelay = async (n: number): Promise<void> => {
    const target = rawReceived + n
    for (let i = 0; i < n; i++) {
      if (!rawWrite(pair!.writer, i, payload)) await once(pair!.writer, 'drain')
      if ((i & 255) === 255) await new Promise((r) => setImmediate(r))
    }
    while (rawReceived < target) await sleep(5)
  }
  await rawRelay(5_000)
  const rawBefore = await settledHeapMb()
  await rawRelay(frames)
  const rawAfter = await settledHeapMb()
  pair!.close()

  print('heap_growth_mb', after - before, 'MB', rawAfter - rawBefore, '< 10')
  // Frame bytes live outside the JS heap (receive regions, payload views); they must not grow either.
  print('array_buffers_growth_mb', buffersAfter - buffersBefore, 'MB', null, 'info')
}

// ---------------------------------------------------------------------------------------------------------------
// tls_relay_vs_plain_ratio, tls_added_latency_p99_ms
// ---------------------------------------------------------------------------------------------------------------

/**
 * The relay over TLS 1.3 (private access, a viewer paired beforehand) against the same relay in the clear, in the
 * same run: throughput as relayThroughput (best of three rounds each, interleaved), and latency with 8 viewers of
 * each at 30 fps in alternating 2 s blocks, as benchLatency (the receivers in a worker thread).
 */
async function benchTls(): Promise<void> {
  const secure = await pairedStores()
  try {
    const payload = jpeg(150 * 1024)
    const frames = 1_500
    await relayThroughput(200, payload)
    await relayThroughput(200, payload, secure)
    const plain: number[] = []
    const tls: number[] = []
    for (let round = 0; round < 3; round++) {
      plain.push(await relayThroughput(frames, payload))
      tls.push(await relayThroughput(frames, payload, secure))
    }
    const best = (xs: number[]): number => Math.max(...xs)
    print('tls_relay_vs_plain_ratio', best(tls) / best(plain), 'ratio', 1, '>= 0.8')
    print('tls_relay_throughput_mb_s', best(tls), 'MB/s', best(plain), 'info')

    const viewers = 8
    const small = jpeg(120 * 1024)
    const open = await Broadcaster.listen({ host: HOST, port: 0, info })
    const closed = await Broadcaster.listen({ host: HOST, port: 0, info, access: privateAccess(secure.broadcaster) })
    const server = net.createServer({ noDelay: true }, (s) => s.destroy())
    server.listen(0, HOST)
    await once(server, 'listening')
    const receivers = Receivers.spawn()
    const rawPort = (server.address() as net.AddressInfo).port
    await receivers.ask(
      { type: 'start', relayPort: open.port, rawPort, viewers, messageBytes: frameWireBytes(small.length), tlsPort: closed.port, configDir: secure.viewer.dir },
      'ready'
    )
    while (open.viewers().length < viewers || closed.viewers().length < viewers) await sleep(5)
    server.close()
    const relay = latencyRig('relay', receivers, (i) => open.send({ seq: i, capturedAtUs: 0, payload: small }))
    const overTls = latencyRig('tls', receivers, (i) => closed.send({ seq: i, capturedAtUs: 0, payload: small }))
    await relay.run(15)
    await overTls.run(15)
    const relayAll: number[] = []
    const tlsAll: number[] = []
    for (let i = 0; i < 4; i++) {
      relayAll.push(...(await relay.run(60)))
      tlsAll.push(...(await overTls.run(60)))
    }
    await receivers.close()
    await Promise.all([open.close(), closed.close()])
    const p99 = (xs: number[]): number => percentile(xs, 99)!
    print('tls_added_latency_p99_ms', p99(tlsAll) - p99(relayAll), 'ms', p99(relayAll), '< 1 (TLS p99 minus plain p99; baseline: plain p99)')
    print('tls_latency_p50_ms', percentile(tlsAll, 50)!, 'ms', percentile(relayAll, 50)!, 'info')
    if (tlsAll.length !== relayAll.length) print('tls_latency_frames_missing', relayAll.length - tlsAll.length, 'frames', 0, '0')
  } finally {
    await secure.remove()
  }
}

/** `npm run bench:core -- latency stalled` runs only the named sections. */
const sections: Record<string, () => Promise<void>> = {
  throughput: benchThroughput,
  latency: benchLatency,
  tls: benchTls,
  pairing: () => benchPairing(print),
  stalled: benchStalled,
  heap: benchHeap
}

async function main(): Promise<void> {
  const started = performance.now()
  const chosen = process.argv.slice(2)
  for (const name of chosen) if (!(name in sections)) throw new Error(`unknown section ${name}; choose from ${Object.keys(sections).join(', ')}`)
  for (const [name, run] of Object.entries(sections)) if (chosen.length === 0 || chosen.includes(name)) await run()
  print('bench_wall_s', (performance.now() - started) / 1000, 's', null, '< 60')
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
