// LAN benchmark: `npm run bench:lan` (needs root for network namespaces: CI runs as root). Prints one JSON object per
// line: {"name", "value", "unit", "baseline", "goal"}.
//
// Every figure runs over two network namespaces joined by a veth pair shaped with `tc qdisc tbf`
// (test/support/netns.ts), the broadcaster in one and the viewers in the other, as separate processes
// (test/support/lan/*-agent.ts). Each has a baseline measured in the same run over the same link: the classic
// (seed-format) path — the tutorial's length-prefixed frames, newest frame wins above the socket only, so the kernel
// buffers whatever it accepts — read by a reader that reads as fast as it can (or as slowly as the figure's reader).
// Latency and age are exact: both sides read this machine's clock.
//
//   lan20_latency_p95_ms, lan20_fps                 20 Mbit/s, 1280×720 JPEG ~100 KB at 30 fps, fixed quality
//   lan20_adaptive_latency_p95_ms, lan20_adaptive_fps   the same with adaptive quality
//   lan100_4viewers_latency_p95_ms_max              100 Mbit/s shared by 4 viewers, ~150 KB frames (adaptive)
//   slow_reader_age_p95_ms_classic, _mjpeg          a reader that takes 4 of 30 frames a second (250 ms per frame)
//   soak_rss_growth_mb                              `framecast broadcast --source clip --loop`, 2 minutes
//
// `npm run bench:lan -- lan20 slow` runs only the named sections.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { BroadcasterAgentOptions } from '../test/support/lan/broadcaster-agent'
import { TestEncoder } from '../test/support/lan/frames'
import { lanRun as run, readerResult, VIEWER_AGENT as VIEWER, watchResults } from '../test/support/lan/run'
import type { ReaderResult, ViewerAgentLine } from '../test/support/lan/viewer-agent'
import { createLan, type Lan, lanSupport } from '../test/support/netns'

const SECONDS = 20
const WARMUP_MS = 3_000
const READER_WARMUP_MS = 5_000

function print(name: string, value: number | null, unit: string, baseline: number | null, goal: string): void {
  const round = (n: number | null): number | null => (n === null ? null : Math.round(n * 10) / 10)
  console.log(JSON.stringify({ name, value: round(value), unit, baseline: round(baseline), goal }))
}

/** The seed-format baseline: classic frames, newest-frame-wins above the socket; `workMs` per frame at the reader. */
async function seedBaseline(
  lan: Lan,
  frame: BroadcasterAgentOptions['frame'],
  readers: number,
  workMs: number,
  warmupMs = WARMUP_MS
): Promise<ReaderResult[]> {
  const { results } = await run(
    lan,
    { mode: 'seed', fps: 30, seconds: SECONDS + 2, frame },
    Array.from({ length: readers }, () => ({ kind: 'classic' as const, seconds: SECONDS, warmupMs, workMs }))
  )
  return results.map(readerResult)
}

/** A reader's frame rate from its frame count over the measured part of the run. */
function readerFps(r: ReaderResult): number {
  return r.ages.length / ((SECONDS * 1_000 - WARMUP_MS) / 1_000)
}

async function lan20(): Promise<void> {
  const lan = createLan({ rateMbit: 20 })
  try {
    const frame = { quality: 70 }
    const [seed] = await seedBaseline(lan, frame, 1, 0)
    const fixed = await run(lan, { mode: 'native', fps: 30, seconds: SECONDS + 2, frame }, [{ kind: 'watch', count: 1, seconds: SECONDS, warmupMs: WARMUP_MS }])
    const [w] = watchResults(fixed.results[0]!)
    print('lan20_frame_kb', fixed.sent.meanBytes / 1_000, 'KB', null, 'info: 1280x720 JPEG at quality 70')
    print('lan20_latency_p95_ms', w!.latencyP95Ms, 'ms', seed!.ageP95Ms, '< 100')
    print('lan20_fps', w!.fps, 'fps', readerFps(seed!), '>= 24')
    const adaptive = await run(lan, { mode: 'native', fps: 30, seconds: SECONDS + 2, frame, adaptive: true }, [
      { kind: 'watch', count: 1, seconds: SECONDS, warmupMs: WARMUP_MS }
    ])
    const [a] = watchResults(adaptive.results[0]!)
    print('lan20_adaptive_latency_p95_ms', a!.latencyP95Ms, 'ms', seed!.ageP95Ms, '< 100')
    print('lan20_adaptive_fps', a!.fps, 'fps', readerFps(seed!), '>= 28')
    print('lan20_adaptive_quality_median', median(adaptive.sent.qualities), 'quality', 70, 'info: JPEG quality chosen (70 set)')
    print('lan20_adaptive_scale_median', median(adaptive.sent.scales), 'x', 1, 'info: picture size step chosen')
    print('lan20_adaptive_frame_kb', adaptive.sent.meanBytes / 1_000, 'KB', fixed.sent.meanBytes / 1_000, 'info: mean frame size')
  } finally {
    await lan.close()
  }
}

async function lan100(): Promise<void> {
  const lan = createLan({ rateMbit: 100 })
  try {
    const frame = { quality: 80 }
    const seed = await seedBaseline(lan, frame, 4, 0)
    const r = await run(lan, { mode: 'native', fps: 30, seconds: SECONDS + 2, frame, adaptive: true }, [
      { kind: 'watch', count: 4, seconds: SECONDS, warmupMs: WARMUP_MS }
    ])
    const ws = watchResults(r.results[0]!)
    print('lan100_frame_kb', r.sent.meanBytes / 1_000, 'KB', null, 'info: 1280x720 JPEG at quality 80, adapted')
    print('lan100_4viewers_latency_p95_ms_max', Math.max(...ws.map((w) => w.latencyP95Ms ?? Infinity)), 'ms', Math.max(...seed.map((s) => s.ageP95Ms ?? Infinity)), '< 100')
    print('lan100_4viewers_fps_min', Math.min(...ws.map((w) => w.fps)), 'fps', Math.min(...seed.map(readerFps)), 'info')
  } finally {
    await lan.close()
  }
}

async function slow(): Promise<void> {
  const lan = createLan({ rateMbit: 100 })
  try {
    const frame = { quality: 70 }
    const [seed] = await seedBaseline(lan, frame, 1, 250, READER_WARMUP_MS)
    // The pacing measures a reader within its first few seconds (docs/protocol.md): ages count after READER_WARMUP_MS.
    const reader = { seconds: SECONDS, warmupMs: READER_WARMUP_MS, workMs: 250 }
    const classic = await run(lan, { mode: 'classic-jpeg', fps: 30, seconds: SECONDS + 2, frame }, [{ kind: 'classic', ...reader }])
    const mjpeg = await run(lan, { mode: 'native', mjpeg: true, fps: 30, seconds: SECONDS + 2, frame }, [{ kind: 'mjpeg', ...reader }])
    print('slow_reader_age_p95_ms_classic', readerResult(classic.results[0]!).ageP95Ms, 'ms', seed!.ageP95Ms, '< 1000')
    print('slow_reader_age_p95_ms_mjpeg', readerResult(mjpeg.results[0]!).ageP95Ms, 'ms', seed!.ageP95Ms, '< 1000')
  } finally {
    await lan.close()
  }
}

/** RSS of a process (MB) from /proc. */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : NaN
}

/**
 * `framecast broadcast --source clip.mjpeg --loop` for 2 minutes with a Framecast viewer (native) next to the same
 * with `--classic=jpeg` and a classic reader (the seed-format path, the baseline): RSS after warm-up vs at the end.
 */
async function soak(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'framecast-soak-'))
  const encoder = new TestEncoder()
  const frames = await Promise.all([60, 65, 70, 75].map((q) => encoder.prepare(q, 1)))
  const clip = join(dir, 'clip.mjpeg')
  writeFileSync(clip, Buffer.concat(frames))
  const cli = resolve(__dirname, '../bin/framecast.mjs')
  const lan = createLan({ rateMbit: 100 })
  try {
    const start = (classic: boolean): ReturnType<typeof lan.spawn> =>
      lan.spawn(lan.a, process.execPath, [cli, 'broadcast', '--quiet', '--host', lan.a.address, '--port', classic ? '9998' : '9999', '--source', clip, '--loop', '--fps', '30', ...(classic ? ['--classic=jpeg'] : [])])
    const native = start(false)
    const classic = start(true)
    await sleep(1_500)
    const viewers = [
      lan.agent<ViewerAgentLine>(lan.b, VIEWER, { kind: 'watch', count: 1, host: lan.a.address, port: 9999, seconds: 130, warmupMs: 0 }),
      lan.agent<ViewerAgentLine>(lan.b, VIEWER, { kind: 'classic', host: lan.a.address, port: 9998, seconds: 130, warmupMs: 0, workMs: 0 })
    ]
    await sleep(10_000)
    const before = [rssMb(native.pid!), rssMb(classic.pid!)]
    await sleep(120_000)
    const after = [rssMb(native.pid!), rssMb(classic.pid!)]
    await Promise.all(viewers.map((v) => v.next((l) => l.result, 60_000)))
    print('soak_rss_growth_mb', after[0]! - before[0]!, 'MB', after[1]! - before[1]!, '< 20')
    print('soak_rss_mb', after[0]!, 'MB', after[1]!, 'info')
    native.kill('SIGTERM')
    classic.kill('SIGTERM')
  } finally {
    await lan.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const sections: Record<string, () => Promise<void>> = { lan20, lan100, slow, soak }

async function main(): Promise<void> {
  const support = lanSupport()
  if (!support.ok) {
    console.error(`bench:lan needs network namespaces: ${support.reason}`)
    process.exit(2)
  }
  const started = performance.now()
  const chosen = process.argv.slice(2)
  for (const name of chosen) if (!(name in sections)) throw new Error(`unknown section ${name}; choose from ${Object.keys(sections).join(', ')}`)
  for (const [name, section] of Object.entries(sections)) if (chosen.length === 0 || chosen.includes(name)) await section()
  print('bench_wall_s', (performance.now() - started) / 1_000, 's', null, 'info')
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
