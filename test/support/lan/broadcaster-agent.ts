// The sending side of a LAN run (test/support/netns.ts), as a program: `tsx broadcaster-agent.ts '<options JSON>'`
// inside side A's namespace. It serves frames at a steady rate for a while and reports on standard output, one JSON
// object per line:
//   {"ready": {"port", "mjpegPort"}}     once listening
//   {"done": {"sent", "qualities", "scales", "viewers"}}   at the end, after which it exits
//
// Modes: 'native' and 'classic-jpeg' are Framecast's Broadcaster (with adaptive quality when asked); 'seed' is the
// classic format sent the way the original tutorial-style sender and Framecast's first version did it — newest frame
// wins above the socket, written whenever Node's buffer does not need to drain — the baseline the benchmarks compare
// against. `mjpeg` adds Framecast's MJPEG endpoint fed with the same frames.

import net from 'node:net'
import { Broadcaster, type BroadcastViewer } from '../../../src/core/fanout/broadcaster'
import { MjpegServer } from '../../../src/core/mjpeg/mjpeg-server'
import { NewestSlot } from '../../../src/shared/newest'
import { nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { sizedJpeg, stamped, TestEncoder } from './frames'

export interface BroadcasterAgentOptions {
  /** Address to listen on (side A's). */
  host: string
  mode: 'native' | 'classic-jpeg' | 'seed'
  /** Also serve MJPEG over HTTP. */
  mjpeg?: boolean
  fps: number
  /** How long to send, s. */
  seconds: number
  /** Each frame: a fixed-size JPEG-looking payload, or the test picture at a JPEG quality (the ceiling when adaptive). */
  frame: { bytes: number } | { quality: number }
  /** Native only: adaptive quality on (default off: fixed quality). */
  adaptive?: boolean
  /** Framecast modes: cut a viewer that takes nothing for this long while a frame waits (ms; default: the framing's). */
  stallTimeoutMs?: number
}

export type BroadcasterAgentLine =
  | { ready: { port: number; mjpegPort: number | null } }
  | { done: { sent: number; qualities: number[]; scales: number[]; meanBytes: number; viewers: BroadcastViewer[] } }

const say = (line: BroadcasterAgentLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`)

interface Sender {
  readonly port: number
  send(payload: Buffer, quality: number): void
  quality(): { quality: number; scale: number } | null
  viewers(): BroadcastViewer[]
  close(): Promise<void>
}

async function framecast(o: BroadcasterAgentOptions, info: StreamInfo, ceiling: number): Promise<Sender> {
  const b = await Broadcaster.listen({
    host: o.host,
    port: 0,
    info,
    framing: o.mode === 'native' ? 'native' : 'classic-jpeg',
    quality: { ceiling, enabled: o.adaptive ?? false },
    ...(o.stallTimeoutMs === undefined ? {} : { stallTimeoutMs: o.stallTimeoutMs })
  })
  return {
    port: b.port,
    send: (payload, quality) => void b.send({ capturedAtUs: nowUs(), payload, quality }),
    quality: () => (o.adaptive ? b.adaptation.target : null),
    viewers: () => b.viewers(),
    close: () => b.close()
  }
}

/** The baseline: classic framing, newest frame wins above the socket only (the kernel buffers whatever it takes). */
async function seed(o: BroadcasterAgentOptions): Promise<Sender> {
  const sockets = new Map<net.Socket, NewestSlot<Buffer>>()
  const server = net.createServer({ noDelay: true }, (s) => {
    const slot = new NewestSlot<Buffer>()
    sockets.set(s, slot)
    s.on('drain', () => {
      const next = slot.take()
      if (next) write(s, next)
    })
    s.on('error', () => undefined)
    s.on('close', () => sockets.delete(s))
  })
  const write = (s: net.Socket, payload: Buffer): void => {
    // The tutorial's struct.pack("Q", len(a)) + a.
    const length = Buffer.alloc(8)
    length.writeBigUInt64LE(BigInt(payload.length))
    s.cork()
    s.write(length)
    s.write(payload)
    s.uncork()
  }
  await new Promise<void>((resolve) => server.listen(0, o.host, resolve))
  return {
    port: (server.address() as net.AddressInfo).port,
    send: (payload) => {
      for (const [s, slot] of sockets) {
        if (s.writableNeedDrain) slot.offer(payload)
        else write(s, payload)
      }
    },
    quality: () => null,
    viewers: () => [],
    close: async () => {
      for (const s of sockets.keys()) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as BroadcasterAgentOptions
  const encoder = 'quality' in o.frame ? new TestEncoder() : null
  const ceiling = 'quality' in o.frame ? o.frame.quality : 100
  if (encoder) await encoder.prepare(ceiling, 1)
  const fixed = 'bytes' in o.frame ? sizedJpeg(o.frame.bytes) : null
  const info: StreamInfo = { codec: 'jpeg', width: 1280, height: 720, fps: o.fps, name: 'lan' }
  const sender = o.mode === 'seed' ? await seed(o) : await framecast(o, info, ceiling)
  const mjpeg = o.mjpeg ? await MjpegServer.listen({ host: o.host, port: 0 }) : null
  say({ ready: { port: sender.port, mjpegPort: mjpeg?.port ?? null } })

  const qualities: number[] = []
  const scales: number[] = []
  let sent = 0
  let bytes = 0
  const start = performance.now()
  const interval = 1_000 / o.fps
  while (performance.now() - start < o.seconds * 1_000) {
    let jpeg: Buffer
    let quality = 0
    if (encoder) {
      const want = sender.quality() ?? { quality: ceiling, scale: 1 }
      const made = encoder.frame(want.quality, want.scale)
      jpeg = made.jpeg
      quality = made.quality
      qualities.push(made.quality)
      scales.push(made.scale)
    } else {
      jpeg = fixed!
    }
    const payload = stamped(jpeg)
    sender.send(payload, quality)
    mjpeg?.send(payload)
    sent++
    bytes += payload.length
    const due = start + sent * interval
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())))
  }
  say({ done: { sent, qualities, scales, meanBytes: Math.round(bytes / Math.max(1, sent)), viewers: sender.viewers() } })
  await Promise.all([sender.close(), mjpeg?.close()])
  process.exit(0)
}

void main()
