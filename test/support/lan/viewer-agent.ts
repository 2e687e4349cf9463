// The receiving side of a LAN run (test/support/netns.ts), as a program: `tsx viewer-agent.ts '<options JSON>'` inside
// side B's namespace. It reads for a while and prints one JSON line, {"result": ...}, then exits.
//
// Kinds:
// - 'watch': `count` Framecast Watchers (the app's own viewer); per viewer, frames, frame rate, latency from capture
//   to a whole frame read, sequence gaps and the qualities seen;
// - 'classic': one reader that does what the classic tutorial receiver does — read an 8-byte length, then that many
//   bytes, then work on the frame for `workMs` (it reads nothing meanwhile), optionally pausing once — reporting each
//   frame's age when it was read whole and how the stream ended (at a frame boundary, inside a frame, reset);
// - 'mjpeg': the same slow reader on /stream.mjpg, parts parsed by their Content-Length.
// Sender and reader share this machine's clock, so latency and age are exact: now minus the frame's capture time.

import net from 'node:net'
import { Watcher } from '../../../src/core/watch/watcher'
import { nowUs } from '../../../src/shared/protocol'
import { percentile } from '../../../src/shared/stats'
import { stampOf } from './frames'

export type ViewerAgentOptions = {
  host: string
  port: number
  /** How long to read, s. */
  seconds: number
  /** Frames in the first `warmupMs` are not measured (connection set-up, the first window). */
  warmupMs: number
} & (
  | { kind: 'watch'; count: number }
  | { kind: 'classic' | 'mjpeg'; workMs: number; pauseAfter?: number; pauseMs?: number }
)

/** A viewer agent's options without where to connect (the LAN run fills those in). */
export type ViewerSpec = ViewerAgentOptions extends infer O ? (O extends unknown ? Omit<O, 'host' | 'port'> : never) : never

export interface WatchResult {
  frames: number
  fps: number
  latencyP50Ms: number | null
  latencyP95Ms: number | null
  latencyMaxMs: number | null
  gaps: number
  qualities: number[]
}

export interface ReaderResult {
  frames: number
  ages: number[]
  ageP95Ms: number | null
  ageMaxMs: number | null
  /** 'ran' (still reading at the end), 'eof at a boundary', 'eof inside a frame', 'reset' */
  end: string
  /** Ages of the frames read after the pause, if any. */
  agesAfterPause: number[]
}

export type ViewerAgentLine = { result: WatchResult[] } | { result: ReaderResult }

const say = (line: ViewerAgentLine): void => void process.stdout.write(`${JSON.stringify(line)}\n`)
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

async function watch(o: ViewerAgentOptions & { kind: 'watch' }): Promise<WatchResult[]> {
  const start = performance.now()
  const results = Array.from({ length: o.count }, () => ({ latencies: [] as number[], times: [] as number[], qualities: new Set<number>(), gaps: 0 }))
  const watchers = results.map((r) => {
    const w = new Watcher({ host: o.host, port: o.port, deviceName: 'lan viewer' })
    let lastSeq: number | null = null
    w.on('frame', (f) => {
      const now = performance.now()
      if (now - start < o.warmupMs) return
      r.latencies.push((nowUs() - f.capturedAtUs) / 1_000)
      r.times.push(now)
      r.qualities.add(f.quality)
      if (lastSeq !== null) r.gaps += Math.max(0, f.seq - lastSeq - 1)
      lastSeq = f.seq
    })
    w.start()
    return w
  })
  await sleep(o.seconds * 1_000)
  await Promise.all(watchers.map((w) => w.stop()))
  return results.map((r) => ({
    frames: r.times.length,
    fps: r.times.length < 2 ? 0 : round(((r.times.length - 1) * 1_000) / (r.times.at(-1)! - r.times[0]!)),
    latencyP50Ms: roundOrNull(percentile(r.latencies, 50)),
    latencyP95Ms: roundOrNull(percentile(r.latencies, 95)),
    latencyMaxMs: roundOrNull(r.latencies.length ? Math.max(...r.latencies) : null),
    gaps: r.gaps,
    qualities: [...r.qualities].sort((a, b) => a - b)
  }))
}

/** Incremental parser of what a classic or MJPEG reader gets: returns whole frames, keeps the rest. */
interface FrameParser {
  push(chunk: Buffer): void
  /** The next whole frame's payload, if one is buffered. */
  next(): Buffer | null
  /** Bytes of a frame begun but not complete. */
  partial(): number
}

function classicParser(): FrameParser {
  let buf: Buffer = Buffer.alloc(0)
  return {
    push: (chunk) => void (buf = buf.length ? Buffer.concat([buf, chunk]) : chunk),
    next: () => {
      if (buf.length < 8) return null
      const n = Number(buf.readBigUInt64LE(0))
      if (buf.length < 8 + n) return null
      const payload = buf.subarray(8, 8 + n)
      buf = buf.subarray(8 + n)
      return payload
    },
    partial: () => buf.length
  }
}

function mjpegParser(): FrameParser {
  let buf: Buffer = Buffer.alloc(0)
  let headersDone = false
  return {
    push: (chunk) => void (buf = buf.length ? Buffer.concat([buf, chunk]) : chunk),
    next: () => {
      if (!headersDone) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return null
        buf = buf.subarray(end + 4)
        headersDone = true
      }
      // --boundary\r\nContent-Type: image/jpeg\r\nContent-Length: N\r\n\r\n<N bytes>\r\n
      const head = buf.indexOf('\r\n\r\n')
      if (head < 0) return null
      const m = /content-length:\s*(\d+)/i.exec(buf.subarray(0, head).toString('latin1'))
      if (!m) throw new Error('an MJPEG part without Content-Length')
      const n = Number(m[1])
      if (buf.length < head + 4 + n + 2) return null
      const payload = buf.subarray(head + 4, head + 4 + n)
      buf = buf.subarray(head + 4 + n + 2)
      return payload
    },
    partial: () => buf.length
  }
}

async function read(o: ViewerAgentOptions & { kind: 'classic' | 'mjpeg' }): Promise<ReaderResult> {
  const parser = o.kind === 'classic' ? classicParser() : mjpegParser()
  const socket = net.connect({ host: o.host, port: o.port })
  if (o.kind === 'mjpeg') socket.write('GET /stream.mjpg HTTP/1.1\r\nHost: camera\r\n\r\n')
  const start = performance.now()
  const ages: number[] = []
  const agesAfterPause: number[] = []
  let frames = 0
  let paused = false
  let end = 'ran'
  /** How the connection ended, once it has: its whole frames are still read first, as recv() would return them. */
  let ended: string | null = null
  let more: (() => void) | null = null
  socket.on('data', (chunk: Buffer) => {
    parser.push(chunk)
    socket.pause()
    more?.()
  })
  socket.on('end', () => {
    ended ??= 'eof'
    more?.()
  })
  socket.on('error', (e: NodeJS.ErrnoException) => {
    ended ??= e.code === 'ECONNRESET' ? 'reset' : `error ${e.code ?? e.message}`
    more?.()
  })
  const deadline = start + o.seconds * 1_000
  while (performance.now() < deadline) {
    const payload = parser.next()
    if (payload === null) {
      if (ended !== null) {
        end = ended === 'eof' ? (parser.partial() > 0 ? 'eof inside a frame' : 'eof at a boundary') : ended
        break
      }
      // Read more, as recv() would: resume until the next chunk, or the deadline.
      socket.resume()
      await new Promise<void>((resolve) => {
        more = resolve
        setTimeout(resolve, Math.max(0, deadline - performance.now())).unref()
      })
      more = null
      continue
    }
    frames++
    const stamp = stampOf(payload)
    const age = stamp === null ? NaN : (nowUs() - stamp) / 1_000
    if (performance.now() - start >= o.warmupMs) ages.push(round(age))
    if (paused) agesAfterPause.push(round(age))
    if (o.pauseAfter !== undefined && frames === o.pauseAfter && !paused) {
      paused = true
      await sleep(o.pauseMs ?? 0)
    }
    await sleep(o.workMs)
  }
  socket.destroy()
  return {
    frames,
    ages,
    ageP95Ms: roundOrNull(percentile(ages, 95)),
    ageMaxMs: roundOrNull(ages.length ? Math.max(...ages) : null),
    end,
    agesAfterPause
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10
}

function roundOrNull(n: number | null): number | null {
  return n === null ? null : round(n)
}

async function main(): Promise<void> {
  const o = JSON.parse(process.argv[2] ?? '{}') as ViewerAgentOptions
  say({ result: o.kind === 'watch' ? await watch(o) : await read(o) } as ViewerAgentLine)
  process.exit(0)
}

void main()
