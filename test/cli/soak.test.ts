// Long runs stay flat: `framecast broadcast` from a file, a folder and standard input (Framecast, classic, MJPEG) and
// `framecast watch` run from source for a few seconds at a high frame rate, with their memory read after full garbage
// collections (test/support/memory-probe.ts). What they hold once warm must not grow with the frames that pass.

import { type ChildProcess, spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { noisyJpegs } from '../support/noisy-jpegs'
import { MJPEG_STREAM_PATH } from '../../src/core/mjpeg/mjpeg-server'

const ROOT = resolve(__dirname, '../..')
const PROBE = resolve(ROOT, 'test/support/memory-probe.ts')
const dir = mkdtempSync(join(tmpdir(), 'framecast-soak-'))
const CLIP = join(dir, 'clip.mjpeg')
const FOLDER = join(dir, 'folder')
/** How long each run is measured after warm-up (ms), and the warm-up. */
const RUN_MS = 4_000
const WARM_MS = 1_500
/**
 * Growth allowed over a run, bytes: generous against the baseline read in the same run (a loaded machine shows swings
 * of ~20 MB in what is in flight), well below what one run moves.
 */
const MAX_GROWTH = 32e6
/** Each run moves at least this many bytes (checked), so keeping every frame would exceed MAX_GROWTH twice over. */
const MIN_MOVED = 2 * MAX_GROWTH

let frames: Buffer[] = []
const running: ChildProcess[] = []

interface Sample {
  atMs: number
  heapUsed: number
  external: number
}

/** Run the command from source under the memory probe; samples arrive on fd 3. */
function probe(args: string[]): { p: ChildProcess; samples: Sample[]; stdout: Readable } {
  const p = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', PROBE, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] })
  running.push(p)
  const samples: Sample[] = []
  createInterface({ input: p.stdio[3] as Readable }).on('line', (l) => samples.push(JSON.parse(l) as Sample))
  p.stderr!.on('data', (c: Buffer) => process.stderr.write(c))
  p.on('exit', (code) => code !== 0 && code !== null && process.stderr.write(`${args[0]} exited with ${code}\n`))
  return { p, samples, stdout: p.stdout! }
}

async function firstLine(stdout: Readable): Promise<string> {
  const lines = createInterface({ input: stdout })[Symbol.asyncIterator]()
  return String((await lines.next()).value)
}

const portIn = (line: string, re: RegExp): number => Number(re.exec(line)?.[1])

/** Growth of heap + external (bytes) from the first second after warm-up to the last second of the run. */
function growth(samples: readonly Sample[]): number {
  const used = (s: Sample): number => s.heapUsed + s.external
  const start = samples.filter((s) => s.atMs >= WARM_MS && s.atMs < WARM_MS + 1_000).map(used)
  const last = samples.at(-1)!.atMs
  const end = samples.filter((s) => s.atMs > last - 1_000).map(used)
  expect(start.length, 'samples after warm-up').toBeGreaterThan(0)
  expect(end.length).toBeGreaterThan(0)
  return Math.min(...end) - Math.min(...start)
}

async function stop(p: ChildProcess): Promise<number | null> {
  if (p.exitCode !== null) return p.exitCode
  const closed = new Promise<number | null>((r) => p.on('close', (code) => r(code)))
  p.kill('SIGTERM')
  return closed
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/**
 * Frames a watch takes before it stops: enough to move MIN_MOVED bytes (a loaded machine just takes longer), and no
 * fewer than `fps` deliver over the warm-up and the run, so it is still measured after warm-up on a fast one.
 */
const framesToMove = (fps: number): number => Math.max(Math.ceil((1.1 * MIN_MOVED) / avgFrame()), Math.ceil((fps * (WARM_MS + RUN_MS + 1_000)) / 1_000))
/** The longest a run may take to move MIN_MOVED bytes, ms. */
const RUN_DEADLINE_MS = 20_000

/** Resolves when `p` exits or `ms` have passed, whichever is first; then at least `minMs` have passed too. */
async function exitOrDeadline(p: ChildProcess, minMs: number, ms: number, enough: () => boolean = () => true): Promise<void> {
  const started = Date.now()
  while (Date.now() - started < ms && !(p.exitCode !== null && enough())) await sleep(100)
  const left = minMs - (Date.now() - started)
  if (left > 0) await sleep(left)
}

beforeAll(async () => {
  // Noisy 1280×720 pictures (several hundred kB as JPEG): big enough that keeping them shows at once.
  frames = await noisyJpegs(1280, 720, 6, 85)
  writeFileSync(CLIP, Buffer.concat(frames))
  mkdirSync(FOLDER)
  frames.forEach((f, i) => writeFileSync(join(FOLDER, `f${i}.jpg`), f))
}, 30_000)
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL')
})
afterAll(() => {
  frames = []
  rmSync(dir, { recursive: true, force: true })
})

const avgFrame = (): number => frames.reduce((n, f) => n + f.length, 0) / frames.length

describe('long runs keep memory flat', () => {
  it('broadcast --source clip --loop with nobody watching', async () => {
    const fps = 120
    const b = probe(['broadcast', '-q', '--port', '0', '--host', '127.0.0.1', '--source', CLIP, '--loop', '--fps', String(fps)])
    expect(portIn(await firstLine(b.stdout), /:(\d+) /)).toBeGreaterThan(0)
    await sleep(WARM_MS + RUN_MS)
    expect(await stop(b.p)).toBe(0)
    // A paced loop on a loaded machine may run slower than asked: count what it could have read, at half the rate.
    expect((fps / 2) * (RUN_MS / 1_000) * avgFrame()).toBeGreaterThan(MIN_MOVED)
    expect(growth(b.samples), 'framecast broadcast').toBeLessThan(MAX_GROWTH)
  }, 30_000)

  it('broadcast --source folder --loop --classic=jpeg, watched by framecast watch --classic', async () => {
    const b = probe(['broadcast', '-q', '--port', '0', '--host', '127.0.0.1', '--source', FOLDER, '--loop', '--fps', '120', '--classic=jpeg'])
    const port = portIn(await firstLine(b.stdout), /:(\d+) /)
    const w = probe(['watch', `127.0.0.1:${port}`, '--classic', '--json', '-q', '--frames', String(framesToMove(120))])
    let summary = ''
    w.stdout.on('data', (c: Buffer) => (summary += c.toString()))
    await exitOrDeadline(w.p, WARM_MS + RUN_MS, RUN_DEADLINE_MS)
    expect(await stop(w.p)).toBe(0)
    expect(await stop(b.p)).toBe(0)
    const { frames: got } = JSON.parse(summary.trim().split('\n').at(-1)!) as { frames: number }
    expect(got * avgFrame()).toBeGreaterThan(MIN_MOVED)
    expect(growth(b.samples), 'framecast broadcast').toBeLessThan(MAX_GROWTH)
    expect(growth(w.samples), 'framecast watch').toBeLessThan(MAX_GROWTH)
  }, 45_000)

  it('broadcast --source - (standard input) to an MJPEG client and framecast watch --native', async () => {
    const b = probe(['broadcast', '-q', '--port', '0', '--host', '127.0.0.1', '--source', '-', '--mjpeg-port', '0', '--open'])
    let written = 0
    let feeding = true
    const stdin = b.p.stdin!
    stdin.on('error', () => (feeding = false))
    const feed = async (): Promise<void> => {
      for (let i = 0; feeding; i++) {
        const f = frames[i % frames.length]
        if (f === undefined) break
        written += f.length
        if (!stdin.write(f)) await new Promise((r) => (stdin.once('drain', r), stdin.once('close', r)))
      }
    }
    // The command reads its first frame before it listens.
    const fed = feed()
    const lines = createInterface({ input: b.stdout })[Symbol.asyncIterator]()
    const port = portIn(String((await lines.next()).value), /:(\d+) /)
    const w = probe(['watch', `127.0.0.1:${port}`, '--native', '--json', '-q', '--frames', String(framesToMove(120))])
    let summary = ''
    w.stdout.on('data', (c: Buffer) => (summary += c.toString()))
    const mjpegLine = String((await lines.next()).value)
    const mjpegPort = portIn(mjpegLine, /:(\d+)\//)
    // The stream's path with the broadcast's token, as printed.
    const path = mjpegLine.slice(mjpegLine.indexOf(MJPEG_STREAM_PATH)).trim()
    let received = 0
    const req = get({ host: '127.0.0.1', port: mjpegPort, path }, (res) => res.on('data', (c: Buffer) => (received += c.length)))
    req.on('error', () => {})
    await exitOrDeadline(w.p, WARM_MS + RUN_MS, RUN_DEADLINE_MS, () => received > MIN_MOVED)
    feeding = false
    req.destroy()
    expect(await stop(w.p)).toBe(0)
    expect(await stop(b.p)).toBe(0)
    await fed
    expect(written).toBeGreaterThan(MIN_MOVED)
    expect(received).toBeGreaterThan(MIN_MOVED)
    const { frames: got } = JSON.parse(summary.trim().split('\n').at(-1)!) as { frames: number }
    expect(got * avgFrame()).toBeGreaterThan(MIN_MOVED)
    expect(growth(b.samples), 'framecast broadcast').toBeLessThan(MAX_GROWTH)
    expect(growth(w.samples), 'framecast watch').toBeLessThan(MAX_GROWTH)
  }, 45_000)
})
