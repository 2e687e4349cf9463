// Reading a peer's advertised window (pacing/peer-window.ts): the `ss` text parser against generated and corrupted
// output, and the real thing against a loopback connection whose reader stops reading.

import fc from 'fast-check'
import { once } from 'node:events'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { parseSsTcpInfo, SsMissing, SsPeerWindow } from '../../../src/core/pacing/peer-window'
import { ipBytes } from '../../../src/core/pacing/send-queue'
import { sleep } from '../../support/net'

const key = (la: string, lp: number, ra: string, rp: number): string =>
  `${Buffer.from(ipBytes(la)!).toString('hex')}:${lp}>${Buffer.from(ipBytes(ra)!).toString('hex')}:${rp}`

// What `ss -tinH state established` printed for one connection (iproute2 6.1, Linux 6.x).
const SAMPLE = [
  '0      0      198.18.0.1:40537 198.18.0.2:51712',
  '\t cubic wscale:7,7 rto:204 rtt:1.2/0.4 mss:1448 cwnd:10 bytes_sent:2371216 bytes_acked:2371216 segs_out:1700 lastsnd:20 lastrcv:3000 lastack:12 delivery_rate 99897632bps busy:1200ms rwnd_limited:800ms(66.7%) rcv_space:14480 rcv_ssthresh:64088 minrtt:0.05 snd_wnd:181248',
  '0      101120 [::ffff:198.18.0.1]:40537 [::ffff:198.18.0.2]:51713',
  '\t cubic wscale:7,7 rto:204 bytes_acked:5526712 lastsnd:4 lastack:300 busy:9000ms rwnd_limited:8000ms(88.9%) notsent:101120',
  '0      0      127.0.0.1:40537 127.0.0.1:51714',
  '\t cubic wscale:7,7 rto:204 rcv_space:14480'
].join('\n')

describe('parseSsTcpInfo', () => {
  it('reads the window, what was acknowledged and when the last ACK came, per connection', () => {
    const m = parseSsTcpInfo(SAMPLE, 10_000)
    expect(m.get(key('198.18.0.1', 40537, '198.18.0.2', 51712))).toEqual({ ackAt: 9_988, acked: 2_371_216, window: 181_248 })
    // No snd_wnd printed: closed, or a kernel without it — the caller tells which.
    expect(m.get(key('198.18.0.1', 40537, '198.18.0.2', 51713))).toEqual({ ackAt: 9_700, acked: 5_526_712, window: null })
    expect(m.get(key('127.0.0.1', 40537, '127.0.0.1', 51714))).toEqual({ ackAt: 10_000, acked: 0, window: null })
    expect(m.size).toBe(3)
  })

  const endpointArb = fc.record({
    a: fc.tuple(fc.integer({ min: 1, max: 254 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.integer({ min: 1, max: 254 })).map((t) => t.join('.')),
    p: fc.integer({ min: 1, max: 65_535 })
  })
  type Conn = typeof connArb extends fc.Arbitrary<infer T> ? T : never
  const connArb = fc.record({
    local: endpointArb,
    remote: endpointArb,
    acked: fc.integer({ min: 0, max: 2 ** 40 }),
    window: fc.integer({ min: 1, max: 2 ** 31 }),
    lastAck: fc.integer({ min: 0, max: 100_000 }),
    mapped: fc.boolean()
  })
  const print = (c: Conn): string => {
    const end = (e: { a: string; p: number }): string => (c.mapped ? `[::ffff:${e.a}]:${e.p}` : `${e.a}:${e.p}`)
    return `0 0 ${end(c.local)} ${end(c.remote)}\n\t cubic bytes_acked:${c.acked} lastack:${c.lastAck} snd_wnd:${c.window}`
  }

  it('gives back what was printed, among lines that are not connections', () => {
    fc.assert(
      fc.property(fc.array(connArb, { maxLength: 8 }), fc.array(fc.string({ maxLength: 60 }), { maxLength: 8 }), (conns, junk) => {
        // Junk goes first, as unindented lines (a title, a warning), which end any connection before them.
        const text = [...junk.map((j) => j.replace(/^\s+/, '').replace(/\n/g, ' ')), ...conns.map(print)].join('\n')
        const m = parseSsTcpInfo(text, 1_000_000)
        for (const c of conns) {
          const last = [...conns].reverse().find((d) => d.local.a === c.local.a && d.local.p === c.local.p && d.remote.a === c.remote.a && d.remote.p === c.remote.p)!
          expect(m.get(key(c.local.a, c.local.p, c.remote.a, c.remote.p))).toEqual({ ackAt: 1_000_000 - last.lastAck, acked: last.acked, window: last.window })
        }
      })
    )
  })

  it('never throws, and takes nothing from a connection line it cannot read', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), (text) => {
        const m = parseSsTcpInfo(text, 0)
        for (const v of m.values()) {
          expect(Number.isSafeInteger(v.acked)).toBe(true)
          expect(v.window === null || Number.isSafeInteger(v.window)).toBe(true)
        }
      })
    )
    // A corrupted address or field never becomes a reading of another connection.
    const corrupted = SAMPLE.replace('198.18.0.2:51712', '198.18.0.999:51712').replace('bytes_acked:5526712', 'bytes_acked:55x6712')
    const m = parseSsTcpInfo(corrupted, 10_000)
    expect(m.has(key('198.18.0.1', 40537, '198.18.0.2', 51712))).toBe(false)
    expect(m.get(key('198.18.0.1', 40537, '198.18.0.2', 51713))!.acked).toBe(0)
  })
})

describe.skipIf(process.platform !== 'linux')('SsPeerWindow over loopback', () => {
  const sockets: net.Socket[] = []
  let server: net.Server | null = null
  afterEach(() => {
    for (const s of sockets) s.destroy()
    sockets.length = 0
    server?.close()
    server = null
  })

  it('sees the window of a reader that stops reading close, and open again when it reads', async () => {
    server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as net.AddressInfo
    const accepted = once(server, 'connection') as Promise<[net.Socket]>
    const reader = net.connect(port, '127.0.0.1')
    sockets.push(reader)
    await once(reader, 'connect')
    const [sender] = await accepted
    sockets.push(sender)
    reader.pause()
    const windows = new SsPeerWindow()
    const look = async (): Promise<number> => {
      // Ask until a reading newer than the last write's ACK has come back.
      for (let i = 0; i < 100; i++) {
        const r = windows.latest(sender, 0)
        if (r !== null && r.acked > 0) return r.window
        await sleep(20)
      }
      throw new Error('no reading of the window')
    }
    sender.write(Buffer.alloc(16 * 1024))
    const open = await look()
    expect(open).toBeGreaterThan(16 * 1024)
    // Write until the reader's buffer is full: its window closes.
    const chunk = Buffer.alloc(256 * 1024)
    while (sender.write(chunk));
    let closed = open
    for (let i = 0; i < 100 && closed > 0; i++) {
      await sleep(20)
      closed = windows.latest(sender, 0)!.window
    }
    expect(closed).toBe(0)
    // The reader takes everything: the window opens again.
    reader.resume()
    let reopened = 0
    for (let i = 0; i < 100 && reopened < 16 * 1024; i++) {
      await sleep(20)
      reopened = windows.latest(sender, 0)?.window ?? 0
    }
    expect(reopened).toBeGreaterThanOrEqual(16 * 1024)
  }, 20_000)

  it('takes a missing window as closed only once it has seen one, and rides out a run that fails', async () => {
    const socket = { localAddress: '198.18.0.1', localPort: 40537, remoteAddress: '198.18.0.2', remotePort: 51712 }
    const line = '0 0 198.18.0.1:40537 198.18.0.2:51712\n\t cubic bytes_acked:1000 lastack:0'
    const texts: Array<string | Error> = [line, `${line} snd_wnd:5000`, new Error('timed out'), line]
    let now = 0
    let runs = 0
    const asked: unknown[] = []
    const w = new SsPeerWindow(async (connections) => {
      asked.push(connections)
      const t = texts[runs++]!
      if (t instanceof Error) throw t
      return t
    }, () => now)
    const ask = async (): Promise<ReturnType<SsPeerWindow['latest']>> => {
      w.latest(socket, 0)
      await sleep(1)
      now += 100
      return w.latest(socket, Infinity)
    }
    // A kernel that prints no window at all looks like this: no reading.
    expect(await ask()).toBeNull()
    expect(await ask()).toEqual({ ackAt: 100, acked: 1_000, window: 5_000 })
    // A failed run changes nothing; then, once a window was printed, its absence is a closed window.
    expect((await ask())!.window).toBe(5_000)
    expect((await ask())!.window).toBe(0)
    // Only the connection asked about is listed, by both ports.
    expect(asked[0]).toEqual([expect.objectContaining({ localPort: 40537, remotePort: 51712 })])
  })

  it('stops asking where ss is missing, or where the kernel never reports a window', async () => {
    const socket = { localAddress: '198.18.0.1', localPort: 40537, remoteAddress: '198.18.0.2', remotePort: 51712 }
    let now = 0
    let runs = 0
    const missing = new SsPeerWindow(async () => (runs++, Promise.reject(new SsMissing('no ss'))), () => (now += 100))
    for (let i = 0; i < 5; i++) {
      missing.latest(socket, 0)
      await sleep(1)
    }
    expect(runs).toBe(1)
    runs = 0
    const noWindow = new SsPeerWindow(async () => (runs++, '0 0 198.18.0.1:40537 198.18.0.2:51712\n\t cubic bytes_acked:1000 lastack:3'), () => (now += 100))
    for (let i = 0; i < 20; i++) {
      expect(noWindow.latest(socket, 0)).toBeNull()
      await sleep(1)
    }
    expect(runs).toBe(5)
  })

  it('answers null for a socket it cannot name', () => {
    const w = new SsPeerWindow(() => Promise.reject(new Error('never run')))
    expect(w.latest({}, 0)).toBeNull()
    expect(w.latest({ localAddress: 'nonsense', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2 }, 0)).toBeNull()
  })
})
