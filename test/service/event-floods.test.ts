// Floods of events from the network must not become floods of events to a window: a broadcast refusing connection
// after connection, a broadcaster repeating or flipping its INFO. Real loopback sockets throughout.

import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeInfo, encodePreamble } from '../../src/core/codec/codec'
import { Broadcaster } from '../../src/core/fanout/broadcaster'
import { Watcher } from '../../src/core/watch/watcher'
import { type Peer, Sessions } from '../../src/service/sessions'
import { WINDOW_EVENT_BURST, WINDOW_EVENTS_PER_SECOND } from '../../src/service/pacer'
import type { BroadcastStatus, EventChannel, EventMap, NetInterface, Result, WatchStatus, WindowRole } from '../../src/shared/ipc'
import type { StreamInfo } from '../../src/shared/protocol'
import { freePort, rawClient, rawServer, sleep, waitUntil } from '../support/net'

class CountingPeer implements Peer {
  readonly events: Array<{ channel: EventChannel; payload: unknown; at: number }> = []
  constructor(
    readonly id: string,
    readonly role: WindowRole
  ) {}
  send<E extends EventChannel>(channel: E, payload: EventMap[E]): void {
    this.events.push({ channel, payload, at: performance.now() })
  }
  all<E extends EventChannel>(channel: E, since = 0): Array<EventMap[E]> {
    return this.events.filter((e) => e.channel === channel && e.at >= since).map((e) => e.payload as EventMap[E])
  }
}

function ok<T>(r: Result<unknown>): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`)
  return r.value as T
}

/** The most events a paced channel may carry over `ms`: the burst, the sustained rate, and one trailing event. */
function pacedBound(ms: number): number {
  return WINDOW_EVENT_BURST + Math.ceil((ms / 1000) * WINDOW_EVENTS_PER_SECOND) + 1
}

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const info = (name: string): StreamInfo => ({ codec: 'jpeg', width: 320, height: 240, fps: 30, name })

/** A broadcaster that, once the viewer connects, sends its preamble and then the given bytes in one write. */
async function infoFlooder(flood: Buffer): Promise<number> {
  const server = await rawServer((socket) => socket.write(Buffer.concat([encodePreamble('broadcaster'), flood])))
  cleanups.push(server.close)
  return server.port
}

describe('a watch whose broadcaster repeats INFO', () => {
  it('announces an unchanged description once: no info and no state event for the repeats', async () => {
    const same = encodeInfo(info('Desk'))
    const port = await infoFlooder(Buffer.concat(Array.from({ length: 100_000 }, () => same)))
    // Nothing but INFO arrives: no frame (stalled) or silence (lost) may count here, however slow the machine.
    const w = new Watcher({ host: '127.0.0.1', port, stalledAfterMs: 60_000, lostAfterMs: 60_000 })
    cleanups.push(() => w.stop())
    let infos = 0
    let states = 0
    w.on('info', () => infos++)
    w.on('state', () => states++)
    w.start()
    await waitUntil(() => w.status.state === 'live', 5_000, 'live')
    await sleep(300)
    expect(infos).toBe(1)
    // connecting, live
    expect(states).toBe(2)
  })

  it('tells the window a few times a second at most while the description keeps changing, and ends on the newest', async () => {
    const flips = Array.from({ length: 60_000 }, (_, i) => encodeInfo(info(i % 2 === 0 ? 'even' : 'odd')))
    const port = await infoFlooder(Buffer.concat([...flips, encodeInfo(info('last'))]))
    const sessions = new Sessions({ log: () => undefined, listInterfaces: () => [] })
    cleanups.push(() => sessions.closeAll())
    const peer = new CountingPeer('w', 'watch')
    const t0 = performance.now()
    ok(await sessions.handle(peer, 'watch:start', { host: '127.0.0.1', port }))
    await waitUntil(() => peer.all('watch:state').at(-1)?.info?.name === 'last', 8_000, 'the newest description')
    const elapsed = performance.now() - t0
    const states = peer.all('watch:state')
    expect(states.length).toBeLessThanOrEqual(pacedBound(elapsed))
    expect(states.at(-1)!.state).toBe('live')
  })
})

describe('a broadcaster told the same description again', () => {
  it('sends a viewer no INFO for it, and one for a real change', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info: info('Desk') })
    cleanups.push(() => b.close())
    const viewer = await rawClient(b.port)
    cleanups.push(async () => viewer.socket.destroy())
    const infos = (): number => viewer.messages.filter((m) => m.type === 'info').length
    await waitUntil(() => infos() === 1, 5_000, 'the first INFO')
    for (let i = 0; i < 1_000; i++) b.setInfo(info('Desk'))
    b.setInfo(info('Kitchen'))
    await waitUntil(() => infos() === 2, 5_000, 'the changed INFO')
    await sleep(100)
    expect(infos()).toBe(2)
  })
})

describe('a broadcast refusing a flood of connections', () => {
  it('pushes its status a few times a second at most and looks the interfaces up rarely', async () => {
    let lookups = 0
    const interfaces = (): NetInterface[] => {
      lookups++
      return [{ name: 'eth0', address: '192.0.2.10', family: 'IPv4', internal: false }]
    }
    const sessions = new Sessions({ log: () => undefined, listInterfaces: interfaces })
    cleanups.push(() => sessions.closeAll())
    const peer = new CountingPeer('b', 'broadcast')
    const port = await freePort()
    ok<BroadcastStatus>(await sessions.handle(peer, 'broadcast:start', { port, host: '127.0.0.1', name: 'Desk', width: 32, height: 24, fps: 30 }))
    const lookupsAtStart = lookups

    // Each connection speaks HTTP instead of Framecast: refused at its first bytes (BAD_MAGIC), or SERVER_FULL
    // while too many are mid-handshake. Eight at a time, 800 in all.
    const t0 = performance.now()
    let refusedByUs = 0
    const one = (): Promise<void> =>
      new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1', () => s.write('GET / HTTP/1.1\r\n\r\n'))
        s.on('error', () => undefined)
        s.on('close', () => {
          refusedByUs++
          resolve()
        })
        s.resume()
      })
    for (let i = 0; i < 100; i++) await Promise.all(Array.from({ length: 8 }, one))
    expect(refusedByUs).toBe(800)
    await waitUntil(() => (peer.all('broadcast:status').at(-1)?.totals.refused ?? 0) >= 800, 5_000, 'the last refusal in a status')
    const elapsed = performance.now() - t0

    const pushes = peer.all('broadcast:status', t0).length
    expect(pushes).toBeLessThanOrEqual(pacedBound(elapsed))
    expect(pushes).toBeLessThan(100)
    expect(lookups - lookupsAtStart).toBeLessThanOrEqual(1 + Math.ceil(elapsed / 5_000))
  })
})

describe('pacing keeps what a window must hear', () => {
  it('lets a lost stream be seen as lost before the reconnection attempts that follow it', async () => {
    const server = await rawServer((socket) => socket.write(Buffer.concat([encodePreamble('broadcaster'), encodeInfo(info('Desk'))])))
    const sessions = new Sessions({ log: () => undefined, listInterfaces: () => [] })
    cleanups.push(() => sessions.closeAll())
    const peer = new CountingPeer('w', 'watch')
    ok(await sessions.handle(peer, 'watch:start', { host: '127.0.0.1', port: server.port }))
    await waitUntil(() => peer.all('watch:state').at(-1)?.state === 'live', 5_000, 'live')
    await server.close()
    await waitUntil(() => peer.all('watch:state').some((s) => s.state === 'lost'), 5_000, 'lost')
    const states: WatchStatus[] = peer.all('watch:state')
    const lost = states.findIndex((s) => s.state === 'lost')
    expect(states.slice(0, lost).at(-1)!.state).toBe('live')
  })
})
