// `framecast broadcast` and adaptive quality, in this process over loopback: what it does with ready-made frames
// (--quality, --fixed-quality) and what its status line says about adaptation and each viewer's delivery.

import { PassThrough } from 'node:stream'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { main } from '../../src/cli/framecast'
import { Watcher } from '../../src/core/watch/watcher'
import { jpegSize } from '../../src/core/jpeg/jpeg'
import { noisyJpegs } from '../support/noisy-jpegs'

const dir = mkdtempSync(join(tmpdir(), 'framecast-quality-'))
const CLIP = join(dir, 'clip.mjpeg')
/** Pictures of two sizes in turn. */
const MIXED = join(dir, 'mixed.mjpeg')
let frames: Buffer[] = []

beforeAll(async () => {
  frames = await noisyJpegs(320, 240, 3, 92)
  writeFileSync(CLIP, Buffer.concat(frames))
  const small = await noisyJpegs(160, 120, 1, 92)
  writeFileSync(MIXED, Buffer.concat([frames[0]!, small[0]!]))
})
afterAll(() => {
  frames = []
  rmSync(dir, { recursive: true, force: true })
})

interface Run {
  /** the newest status line */
  line: () => string
  received: Buffer[]
  /** the picture width of every stream description (INFO) the viewer heard */
  widths: number[]
  stop: () => Promise<number>
}

/** Broadcast CLIP with `args`, watched by one Framecast viewer, until `until` holds. */
async function broadcastWatched(args: string[], until: (r: Run) => boolean): Promise<Run> {
  const stdout = new PassThrough()
  // A terminal: the status line is rewritten on every frame instead of every few seconds.
  const stderr = Object.assign(new PassThrough(), { isTTY: true })
  let interrupt = (): void => {}
  const interrupted = new Promise<void>((r) => (interrupt = r))
  let err = ''
  stderr.on('data', (c: Buffer) => (err += c.toString()))
  const portLine = new Promise<string>((r) => stdout.once('data', (c: Buffer) => r(c.toString())))
  // Open: the viewer here watches without pairing (the access is not what is under test).
  const code = main(['broadcast', '--port', '0', '--host', '127.0.0.1', '--source', CLIP, '--loop', '--fps', '30', '--open', ...args], {
    stdin: new PassThrough(),
    stdout,
    stderr,
    interrupted
  })
  const port = Number(/:(\d+) /.exec(await portLine)?.[1])
  const watcher = new Watcher({ host: '127.0.0.1', port })
  const run: Run = {
    line: () => err.split('\r\x1b[2K').at(-1) ?? '',
    received: [],
    widths: [],
    stop: async () => {
      await watcher.stop()
      interrupt()
      return code
    }
  }
  watcher.on('frame', (f) => run.received.push(Buffer.from(f.payload)))
  watcher.on('info', (i) => run.widths.push(i.width))
  watcher.start()
  const deadline = Date.now() + 15_000
  while (!until(run) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return run
}

describe('framecast broadcast and adaptive quality', () => {
  it('re-encodes at --quality, and says so and what each viewer gets on its status line', async () => {
    const run = await broadcastWatched(['--quality', '40'], (r) => r.received.length >= 10 && /RTT/.test(r.line()))
    const line = run.line()
    expect(await run.stop()).toBe(0)
    expect(line).toContain('viewers 1')
    // Loopback keeps up with everything: the setting goes through, and the viewer's delivery is measured.
    expect(line).toContain('Full quality (40 %): the network keeps up')
    expect(line).toMatch(/ (\d+(\.\d)? [kM]bit\/s) · RTT \d+(\.\d)? ms/)
    const got = run.received.at(-1)!
    expect(jpegSize(got)).toEqual({ width: 320, height: 240 })
    expect(got.length).toBeLessThan(Math.min(...frames.map((f) => f.length)) / 2)
  })

  it('tells the viewers each new picture size as frames of another size come', async () => {
    // The later --source wins: pictures of 320×240 and 160×120 in turn.
    const run = await broadcastWatched(['--fixed-quality', '--source', MIXED], (r) => r.widths.filter((w) => w === 160).length >= 2)
    expect(await run.stop()).toBe(0)
    expect(run.widths.slice(0, 4)).toEqual([320, 160, 320, 160])
  })

  it('sends the frames as read with --fixed-quality', async () => {
    const run = await broadcastWatched(['--fixed-quality'], (r) => r.received.length >= 5)
    const line = run.line()
    expect(await run.stop()).toBe(0)
    expect(line).toContain('Frames as read (adaptation off)')
    for (const f of run.received) expect(frames.some((g) => g.equals(f))).toBe(true)
  })
})
