// Hostile-input benchmark: `npm run bench:floods`. Prints one JSON object per line:
//   {"name", "value", "unit", "baseline", "goal"}
// What a flood from the network costs the app, against a baseline taken in the same run:
//   - a broadcast refusing connection after connection: status pushes to the window per second, against the refusals
//     per second that caused them (before pacing, one push and one interface lookup per refusal);
//   - a broadcaster flipping its INFO as fast as it can: state events to the window per second against the INFOs
//     per second, and the event loop's worst delay against the same loop idle;
//   - 200 clients asking /snapshot.jpg of 6 MB frames and never reading: the memory held, against the same frames
//     sent with no client, and how long until the last of them is cut off.
// Everything talks to 127.0.0.1 on ports picked by the OS.

import net from 'node:net'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { encodeInfo, encodePreamble } from '../src/core/codec/codec'
import { MjpegServer } from '../src/core/mjpeg/mjpeg-server'
import { WINDOW_EVENT_BURST, WINDOW_EVENTS_PER_SECOND } from '../src/service/pacer'
import { type Peer, Sessions } from '../src/service/sessions'
import type { BroadcastStatus, EventChannel, EventMap, NetInterface } from '../src/shared/ipc'
import type { StreamInfo } from '../src/shared/protocol'

const HOST = '127.0.0.1'
const FLOOD_MS = 5_000

function print(name: string, value: number, unit: string, baseline: number | null, goal: string): void {
  const round = (n: number): number => (Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100)
  console.log(JSON.stringify({ name, value: round(value), unit, baseline: baseline === null ? null : round(baseline), goal }))
}

class CountingPeer implements Peer {
  readonly counts = new Map<EventChannel, number>()
  last: unknown = null
  constructor(
    readonly id: string,
    readonly role: 'broadcast' | 'watch'
  ) {}
  send<E extends EventChannel>(channel: E, payload: EventMap[E]): void {
    this.counts.set(channel, (this.counts.get(channel) ?? 0) + 1)
    this.last = payload
  }
  count(channel: EventChannel): number {
    return this.counts.get(channel) ?? 0
  }
}

/** A port that was free a moment ago. */
async function freePort(): Promise<number> {
  const probe = net.createServer().listen(0, HOST)
  await new Promise((r) => probe.once('listening', r))
  const port = (probe.address() as net.AddressInfo).port
  await new Promise((r) => probe.close(r))
  return port
}

const paced = `≤ ${WINDOW_EVENTS_PER_SECOND}/s sustained (plus a burst of ${WINDOW_EVENT_BURST})`

async function refusedFlood(): Promise<void> {
  let lookups = 0
  const interfaces = (): NetInterface[] => {
    lookups++
    return [{ name: 'eth0', address: '192.0.2.10', family: 'IPv4', internal: false }]
  }
  const sessions = new Sessions({ log: () => undefined, listInterfaces: interfaces })
  const peer = new CountingPeer('b', 'broadcast')
  const port = await freePort()
  const started = await sessions.handle(peer, 'broadcast:start', { port, host: HOST, name: 'bench', width: 32, height: 24, fps: 30 })
  if (!started.ok) throw new Error(started.error.message)
  const before = { pushes: peer.count('broadcast:status'), lookups }

  const t0 = performance.now()
  const loop = async (): Promise<void> => {
    while (performance.now() - t0 < FLOOD_MS) {
      await new Promise<void>((resolve) => {
        const s = net.connect(port, HOST, () => s.write('GET / HTTP/1.1\r\n\r\n'))
        s.on('error', () => undefined)
        s.on('close', () => resolve())
        s.resume()
      })
    }
  }
  await Promise.all(Array.from({ length: 16 }, loop))
  await sleep(600)
  const seconds = (performance.now() - t0) / 1000
  const refused = (peer.last as BroadcastStatus).totals.refused
  const pushes = peer.count('broadcast:status') - before.pushes
  print('broadcast:status pushes under a refused-connection flood', pushes / seconds, 'events/s', refused / seconds, `${paced}; baseline: refusals/s`)
  print('interface lookups under a refused-connection flood', (lookups - before.lookups) / seconds, 'lookups/s', refused / seconds, '≤ 0.2/s (5 s cache); baseline: refusals/s')
  await sessions.closeAll()
}

async function infoFlood(): Promise<void> {
  const describe = (name: string): StreamInfo => ({ codec: 'jpeg', width: 640, height: 480, fps: 30, name })
  // 1 MiB of INFOs whose names flip, written again and again while the flood lasts (TCP pushes back).
  const one = Buffer.concat([encodeInfo(describe('even')), encodeInfo(describe('odd'))])
  const chunk = Buffer.concat(Array.from({ length: Math.floor((1024 * 1024) / one.length) }, () => one))
  const infosPerChunk = (chunk.length / one.length) * 2
  let written = 0
  let flooding = true
  const sockets: net.Socket[] = []
  const server = net.createServer((socket) => {
    sockets.push(socket)
    socket.on('error', () => undefined)
    socket.write(encodePreamble('broadcaster'))
    const more = (): void => {
      while (flooding && socket.writable) {
        written++
        if (!socket.write(chunk)) return void socket.once('drain', more)
      }
      if (socket.writable) socket.end(encodeInfo(describe('last')))
    }
    more()
  })
  server.listen(0, HOST)
  await new Promise((r) => server.once('listening', r))
  const port = (server.address() as net.AddressInfo).port

  const delay = monitorEventLoopDelay({ resolution: 5 })
  delay.enable()
  await sleep(1_000)
  const idleMax = delay.max / 1e6
  delay.reset()

  const sessions = new Sessions({ log: () => undefined, listInterfaces: () => [] })
  const peer = new CountingPeer('w', 'watch')
  const t0 = performance.now()
  await sessions.handle(peer, 'watch:start', { host: HOST, port })
  await sleep(FLOOD_MS)
  flooding = false
  const seconds = (performance.now() - t0) / 1000
  const floodMax = delay.max / 1e6
  delay.disable()
  const states = peer.count('watch:state')
  print('watch:state events under an INFO flood', states / seconds, 'events/s', (written * infosPerChunk) / seconds, `${paced}; baseline: INFOs sent/s`)
  print('event loop delay, worst, under an INFO flood', floodMax, 'ms', idleMax, 'within a few frame times (≤ 50 ms); baseline: the same loop idle')
  await sessions.closeAll()
  for (const socket of sockets) socket.destroy()
  await new Promise((r) => server.close(r))
}

/** Peak growth of resident memory and of Buffer memory while 6 MB frames go out at 30 fps for `seconds`, with `clients` idle /snapshot.jpg clients arriving over the first half. */
async function snapshotRun(clients: number, seconds: number): Promise<{ rssMb: number; buffersMb: number; lastCutS: number | null }> {
  const server = await MjpegServer.listen({ host: HOST, port: 0 })
  const sockets: net.Socket[] = []
  const frameBytes = 6 * 1024 * 1024
  globalThis.gc?.()
  await sleep(200)
  const start = process.memoryUsage()
  let peakRss = start.rss
  let peakBuffers = start.arrayBuffers
  let lastCut: number | null = null
  const t0 = performance.now()
  let i = 0
  while (performance.now() - t0 < seconds * 1000) {
    // A new frame each time, as a camera makes them.
    const frame = Buffer.alloc(frameBytes, i++ & 0xff)
    frame[0] = 0xff
    frame[1] = 0xd8
    server.send(frame)
    const due = Math.floor(((performance.now() - t0) / (seconds * 500)) * clients)
    while (sockets.length < Math.min(clients, due)) {
      const s = net.connect(server.port, HOST, () => s.write('GET /snapshot.jpg HTTP/1.1\r\nHost: cam\r\n\r\n'))
      s.on('error', () => undefined)
      s.pause()
      sockets.push(s)
    }
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakBuffers = Math.max(peakBuffers, m.arrayBuffers)
    if (sockets.length === clients && lastCut === null && server.stats().snapshots === 0) lastCut = (performance.now() - t0) / 1000
    await sleep(33)
  }
  for (const s of sockets) s.destroy()
  await server.close()
  return { rssMb: (peakRss - start.rss) / 2 ** 20, buffersMb: (peakBuffers - start.arrayBuffers) / 2 ** 20, lastCutS: lastCut }
}

async function idleSnapshots(): Promise<void> {
  const baseline = await snapshotRun(0, 12)
  const hostile = await snapshotRun(200, 12)
  const limit = `≤ 16 clients × 6 MB = 96 MB more than the baseline`
  print('memory held with 200 idle /snapshot.jpg clients, 6 MB frames (RSS growth, peak)', hostile.rssMb, 'MB', baseline.rssMb, `${limit}; baseline: same frames, no client`)
  print('Buffer memory held with 200 idle /snapshot.jpg clients, 6 MB frames (peak growth)', hostile.buffersMb, 'MB', baseline.buffersMb, `${limit}; baseline: same frames, no client`)
  print('seconds until every idle /snapshot.jpg client is cut off (last arrives at 6 s)', hostile.lastCutS ?? Number.NaN, 's', null, '≤ 6 s + the 5 s stall timeout + 1.25 s between sweeps')
}

/** `npx tsx bench/floods.ts [refused|info|snapshots]…` runs the named parts; none named runs all three. */
async function main(): Promise<void> {
  const parts = { refused: refusedFlood, info: infoFlood, snapshots: idleSnapshots }
  const chosen = process.argv.slice(2)
  for (const [name, run] of Object.entries(parts)) if (chosen.length === 0 || chosen.includes(name)) await run()
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
