// The `framecast` command, run as a real process through its bin launcher and the built command (built here from
// the current source, as `npm run build:cli` builds it), over loopback.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { get } from 'node:http'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import sharp from 'sharp'
import { build } from 'vite'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { PassThrough } from 'node:stream'
import { main } from '../../src/cli/framecast'
import { Broadcaster } from '../../src/core/fanout/broadcaster'
import { jpegSize } from '../../src/core/jpeg/jpeg'
import { nowUs } from '../../src/shared/protocol'

const ROOT = resolve(__dirname, '../..')
const BIN = resolve(ROOT, 'bin/framecast.mjs')
const dir = mkdtempSync(join(tmpdir(), 'framecast-cli-'))
const MJPEG = join(dir, 'clip.mjpeg')
/** Where the watching command keeps its key and paired broadcasters (FRAMECAST_CONFIG_DIR); the broadcaster its own. */
const VIEWER_CONFIG = join(dir, 'viewer-config')
const BROADCASTER_CONFIG = join(dir, 'broadcaster-config')
const FRAMES = 12

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

const running: ChildProcessWithoutNullStreams[] = []

function start(args: string[], input?: Buffer): ChildProcessWithoutNullStreams {
  const p = spawn(process.execPath, [BIN, ...args], { cwd: dir, env: { ...process.env, FRAMECAST_CONFIG_DIR: VIEWER_CONFIG } })
  running.push(p)
  const kill = setTimeout(() => p.kill('SIGKILL'), 25_000)
  p.on('exit', () => clearTimeout(kill))
  if (input) p.stdin.end(input)
  return p
}

function finish(p: ChildProcessWithoutNullStreams): Promise<Run> {
  let stdout = ''
  let stderr = ''
  p.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
  p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((r) => p.on('close', (code) => r({ code, stdout, stderr })))
}

const run = (args: string[], input?: Buffer): Promise<Run> => finish(start(args, input))

/** The same command in this process (no launcher start-up), for checks that need no network. */
async function runHere(args: string[]): Promise<Run> {
  const stdout = new PassThrough()
  const stderr = new PassThrough()
  let out = ''
  let err = ''
  stdout.on('data', (c: Buffer) => (out += c.toString()))
  stderr.on('data', (c: Buffer) => (err += c.toString()))
  const code = await main(args, { stdin: new PassThrough(), stdout, stderr, interrupted: new Promise(() => {}) })
  return { code, stdout: out, stderr: err }
}

interface Broadcast {
  p: ChildProcessWithoutNullStreams
  port: number
  mjpegPort?: number
  /** The MJPEG stream's path with its token, as printed. */
  mjpegPath?: string
  /** The pairing code printed by a private broadcast. */
  code?: string
  done: Promise<Run>
}

/** Start `framecast broadcast` (with its own config folder) and read the ports and the pairing code it prints. */
async function broadcast(args: string[], input?: Buffer): Promise<Broadcast> {
  const p = start(['broadcast', '--quiet', '--port', '0', '--host', '127.0.0.1', '--config-dir', BROADCASTER_CONFIG, ...args], input)
  const lines = createInterface({ input: p.stdout })[Symbol.asyncIterator]()
  let stderr = ''
  p.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const first = await lines.next()
  const port = Number(/listening on .*:(\d+) /.exec(String(first.value))?.[1])
  expect(port, `${String(first.value)} ${stderr}`).toBeGreaterThan(0)
  const out: Broadcast = { p, port, done: new Promise<Run>((r) => p.on('close', (code) => r({ code, stdout: '', stderr }))) }
  if (args.includes('--mjpeg-port')) {
    const m = /mjpeg on http:\/\/.*:(\d+)(\/\S*)/.exec(String((await lines.next()).value))
    out.mjpegPort = Number(m?.[1])
    out.mjpegPath = m?.[2]
  }
  if (!args.includes('--open') && !args.some((a) => a.startsWith('--classic'))) {
    const line = String((await lines.next()).value)
    out.code = /^pairing code: (\d{6}) /.exec(line)?.[1]
    expect(out.code, line).toBeDefined()
  }
  return out
}

beforeAll(async () => {
  await build({ configFile: resolve(ROOT, 'vite.cli.config.mts'), logLevel: 'silent' })
  // An MJPEG byte stream of FRAMES distinct 160x120 pictures, as `ffmpeg -f mjpeg` would write one.
  const images: Buffer[] = []
  for (let i = 0; i < FRAMES; i++) {
    images.push(await sharp({ create: { width: 160, height: 120, channels: 3, background: { r: i * 20, g: 100, b: 50 } } }).jpeg().toBuffer())
  }
  writeFileSync(MJPEG, Buffer.concat(images))
  const folder = join(dir, 'folder')
  rmSync(folder, { recursive: true, force: true })
  mkdirSync(folder)
  images.slice(0, 3).forEach((img, i) => writeFileSync(join(folder, `shot-${i}.jpg`), img))
})
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null) p.kill('SIGKILL')
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('framecast --help', () => {
  it('runs through its launcher and prints usage', async () => {
    const r = await run(['--help'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: framecast <command>/)
    const bad = await run(['watch'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain('framecast watch: Give exactly one HOST:PORT')
  })

  it('says how to build the command when the launcher finds no build', async () => {
    const bare = join(dir, 'unbuilt')
    mkdirSync(join(bare, 'bin'), { recursive: true })
    copyFileSync(BIN, join(bare, 'bin', 'framecast.mjs'))
    const r = await finish(spawn(process.execPath, [join(bare, 'bin', 'framecast.mjs'), '--help']))
    expect(r.code).toBe(3)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain('npm run build:cli')
  })

  it.each([[['--help']], [['broadcast', '--help']], [['watch', '--help']], [['list', '--help']]])('prints usage and the exit codes for %j', async (args) => {
    const r = await runHere(args)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^Usage: framecast/)
    expect(r.stdout).toContain('Exit codes:')
  })
})

describe('framecast command-line errors', () => {
  it.each([
    [['fly'], /Unknown command "fly"/],
    [['broadcast'], /--source is required/],
    [['broadcast', '--source', 'x', '--fps', 'fast'], /--fps must be a number/],
    [['broadcast', '--source', 'x', '--classic=xml'], /--classic takes pickle or jpeg/],
    [['watch'], /exactly one HOST:PORT/],
    [['watch', 'example.com'], /is not HOST:PORT/],
    [['watch', '127.0.0.1:70000'], /70000: The port must be between 1 and 65535/],
    [['watch', 'fe80::1:9999'], /is not HOST:PORT \(an IPv6 address goes in brackets/],
    [['broadcast', '--source', 'x', '--port', '70000'], /--port "70000": The port must be between 0 and 65535/],
    [['broadcast', '--source', 'x', '--mjpeg-port', ''], /--mjpeg-port "": Enter a port between 0 and 65535/],
    [['watch', '127.0.0.1:9', '--classic', '--native'], /exclude each other/],
    [['watch', '127.0.0.1:9', '--out', '-', '--json'], /standard output/],
    [['watch', '127.0.0.1:9', '--bogus'], /Unknown option '--bogus'/],
    [['list', '--wait', 'soon'], /--wait must be a number from 0.1 to 3600/],
    [['list', '--wait', '1', '--follow'], /exclude each other/],
    [['list', 'everything'], /Unexpected argument 'everything'/],
    [['watch', '127.0.0.1:9', '--prefix', 'L'], /--prefix "L" is 8 bytes on Linux and macOS but 4 on Windows: write <Q \(or Q\) for the first, <L for the second/],
    [['watch', '127.0.0.1:9', '--prefix', 'Qx'], /--prefix "Qx" is not a length prefix/],
    [['watch', '127.0.0.1:9', '--native', '--prefix', 'Q'], /--prefix is for classic senders/],
    [['watch', '127.0.0.1:9', '--max-frame-mib', '0'], /--max-frame-mib must be a whole number from 1 to 1024, not "0"/],
    [['broadcast', '--source', 'x', '--prefix', '<L'], /--prefix and --max-frame-mib go with --classic/],
    [['broadcast', '--source', 'x', '--classic', '--prefix', 'auto'], /--prefix auto is for watching/]
  ])('%j exits 2 with a clear message', async (args, message) => {
    const r = await runHere(args)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(message)
  })

  it('exits 3 when the source cannot be read', async () => {
    const r = await runHere(['broadcast', '--source', join(dir, 'missing.mjpeg'), '--port', '0'])
    expect(r.code).toBe(3)
    expect(r.stderr).toMatch(/Cannot read the source/)
  })

  it('exits 3 naming the port when it is already in use', async () => {
    const taken = createServer()
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r))
    const port = (taken.address() as { port: number }).port
    const r = await run(['broadcast', '--source', MJPEG, '--host', '127.0.0.1', '--port', String(port)])
    taken.close()
    expect(r.code).toBe(3)
    expect(r.stderr).toContain(`Port ${port}`)
    expect(r.stderr).toContain('ADDRESS_IN_USE')
  })

  it('exits 1 when nothing listens and the timeout passes', async () => {
    const free = createServer()
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', r))
    const port = (free.address() as { port: number }).port
    await new Promise((r) => free.close(r))
    const r = await run(['watch', `127.0.0.1:${port}`, '--timeout', '1', '--json'])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/not done after 1 s/)
    expect(JSON.parse(r.stdout.trim())).toMatchObject({ frames: 0 })
  })
})

describe('framecast broadcast and watch over loopback', () => {
  it('watches a looping MJPEG file and ends with one JSON line of stats', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--fps', '30'])
    const r = await run(['watch', `127.0.0.1:${b.port}`, '--frames', '30', '--json', '--quiet', '--code', b.code!])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    const stats = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(Object.keys(stats)).toEqual(['frames', 'fps', 'kbps', 'latencyP50Ms', 'latencyP95Ms', 'gaps', 'skippedWhileEncoding', 'format', 'width', 'height'])
    expect(stats).toMatchObject({ frames: 30, format: 'native', width: 160, height: 120, gaps: 0, skippedWhileEncoding: 0 })
    expect(stats.fps).toBeGreaterThan(20)
    expect(stats.fps).toBeLessThan(40)
    expect(stats.kbps).toBeGreaterThan(0)
    expect(stats.latencyP50Ms).toBeTypeOf('number')
    b.p.kill('SIGTERM')
    expect((await b.done).code).toBe(0)
  })

  it('writes each frame to a folder as a JPEG', async () => {
    const b = await broadcast(['--source', join(dir, 'folder'), '--loop', '--fps', '20'])
    const out = join(dir, 'out')
    const r = await run(['watch', `127.0.0.1:${b.port}`, '--frames', '5', '--out', out, '--quiet', '--code', b.code!])
    expect(r.code, r.stderr).toBe(0)
    const files = readdirSync(out).sort()
    expect(files).toEqual(['frame-000001.jpg', 'frame-000002.jpg', 'frame-000003.jpg', 'frame-000004.jpg', 'frame-000005.jpg'])
    for (const f of files) expect(jpegSize(readFileSync(join(out, f)))).toEqual({ width: 160, height: 120 })
  })

  it('broadcasts an MJPEG stream from standard input and stops when it ends', async () => {
    const b = await broadcast(['--source', '-'], readFileSync(MJPEG))
    expect((await b.done).code).toBe(0)
  })

  it('serves the classic pickle format, which the watcher recognises by itself', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--classic'])
    const r = await run(['watch', `127.0.0.1:${b.port}`, '--frames', '5', '--json', '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 5, format: 'classic', width: 160, height: 120, latencyP50Ms: null })
  })

  it('serves the classic format with the length prefix asked for, which the watcher finds by itself', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--classic=jpeg', '--prefix', '<L'])
    const [r, told] = await Promise.all([
      run(['watch', `127.0.0.1:${b.port}`, '--frames', '5', '--json', '--quiet']),
      run(['watch', `127.0.0.1:${b.port}`, '--classic', '--prefix', 'Q', '--timeout', '5', '--quiet'])
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 5, format: 'classic', width: 160, height: 120 })
    expect(told.code).toBe(1)
    expect(told.stderr).toMatch(/they fit a 4-byte little-endian length prefix .*\(BAD_LENGTH_PREFIX\) — give the sender's prefix with --prefix, or --prefix auto/)
  })

  it('stops at once when a classic frame is larger than --max-frame-mib, and says how to raise it', async () => {
    const folder = join(dir, 'large')
    mkdirSync(folder, { recursive: true })
    // 1024×768 BGR pixels pickle to 2.25 MiB.
    writeFileSync(join(folder, 'a.jpg'), await sharp({ create: { width: 1024, height: 768, channels: 3, background: '#468' } }).jpeg().toBuffer())
    const b = await broadcast(['--source', folder, '--loop', '--fps', '10', '--classic'])
    const [r, raised] = await Promise.all([
      run(['watch', `127.0.0.1:${b.port}`, '--max-frame-mib', '2', '--timeout', '8', '--quiet']),
      run(['watch', `127.0.0.1:${b.port}`, '--max-frame-mib', '3', '--frames', '2', '--json', '--quiet'])
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/declares 2359\d\d\d bytes \(2\.3 MiB\) .* the limit is 2 MiB \(MESSAGE_TOO_LARGE\) — raise the limit with --max-frame-mib/)
    expect(raised.code, raised.stderr).toBe(0)
    expect(JSON.parse(raised.stdout)).toMatchObject({ frames: 2, width: 1024, height: 768 })
  })

  it('serves MJPEG over HTTP next to the native port', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--mjpeg-port', '0'])
    const body = await new Promise<Buffer>((resolveBody, reject) => {
      const poll = (): void => {
        get({ host: '127.0.0.1', port: b.mjpegPort, path: b.mjpegPath!.replace('/stream.mjpg', '/snapshot.jpg') }, (res) => {
          const parts: Buffer[] = []
          res.on('data', (c: Buffer) => parts.push(c))
          res.on('end', () => (res.statusCode === 200 ? resolveBody(Buffer.concat(parts)) : setTimeout(poll, 50)))
        }).on('error', reject)
      }
      poll()
    })
    expect(jpegSize(body)).toEqual({ width: 160, height: 120 })
    expect(b.mjpegPath).toMatch(/^\/stream\.mjpg\?token=[\w-]{20,}$/)
    const bare = await new Promise<number>((r, reject) => get({ host: '127.0.0.1', port: b.mjpegPort, path: '/snapshot.jpg' }, (res) => r(res.statusCode ?? 0)).on('error', reject))
    expect(bare, 'no token, no picture').toBe(404)
  })

  it('is private by default: a new device needs the printed code once, a wrong one is refused, and it is remembered', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--fps', '30'])
    const fresh = join(dir, `fresh-${Date.now()}`)
    const watch = (...extra: string[]): Promise<Run> => run(['watch', `127.0.0.1:${b.port}`, '--frames', '3', '--quiet', '--timeout', '10', '--config-dir', fresh, ...extra])
    const none = await watch()
    expect(none.code).toBe(1)
    expect(none.stderr).toMatch(/CODE_REQUIRED.*--code/)
    const wrong = await watch('--code', b.code === '000000' ? '000001' : '000000')
    expect(wrong.code).toBe(1)
    expect(wrong.stderr).toContain('PAIRING_FAILED')
    // The broadcaster prints a fresh code only once this one is used or worn out; the shown one still works.
    expect((await watch('--code', b.code!)).code).toBe(0)
    const again = await watch()
    expect(again.code, again.stderr).toBe(0)
    const listed = await run(['devices', '--config-dir', fresh])
    expect(listed.code).toBe(0)
    expect(listed.stdout).toMatch(new RegExp(`^broadcaster .*framecast .*at 127\\.0\\.0\\.1:${b.port}`, 'm'))
    const plain = await run(['watch', `127.0.0.1:${b.port}`, '--native', '--frames', '1', '--quiet', '--timeout', '5', '--config-dir', fresh, '--code', '12'])
    expect(plain.code).toBe(2)
  }, 90_000)

  it('watches an open broadcast (--open) without any code', async () => {
    const b = await broadcast(['--source', MJPEG, '--loop', '--open'])
    const r = await run(['watch', `127.0.0.1:${b.port}`, '--frames', '3', '--json', '--quiet'])
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ frames: 3, format: 'native' })
  })

  it('writes the access units of an H.264 stream as .h264 files, and to standard output as an Annex B stream from a keyframe', async () => {
    const b = await Broadcaster.listen({
      host: '127.0.0.1',
      port: 0,
      info: { codec: 'h264', params: 'avc1.42E01E', width: 640, height: 480, fps: 30, name: 'cli test' }
    })
    let n = 0
    // Bytes below 0x80 only: runHere reads standard output as text.
    const unit = (i: number): Uint8Array => Uint8Array.from([0, 0, 0, 1, i % 4 === 0 ? 0x65 : 0x41, i & 0x3f, 7, 7])
    const feed = setInterval(() => {
      b.send({ capturedAtUs: nowUs(), payload: unit(n), keyframe: n % 4 === 0 })
      n++
    }, 10)
    try {
      const out = join(dir, 'h264-out')
      const r = await runHere(['watch', `127.0.0.1:${b.port}`, '--frames', '5', '--out', out, '--quiet'])
      expect(r.code, r.stderr).toBe(0)
      const files = readdirSync(out).sort()
      expect(files).toEqual(['frame-000001.h264', 'frame-000002.h264', 'frame-000003.h264', 'frame-000004.h264', 'frame-000005.h264'])
      // A viewer starts at a keyframe, and the deltas after it follow in order.
      const units = files.map((f) => readFileSync(join(out, f)))
      expect(units[0]![4]).toBe(0x65)
      units.forEach((u, i) => i > 0 && expect(u[5]).toBe((units[0]![5]! + i) & 0x3f))
      const piped = await runHere(['watch', `127.0.0.1:${b.port}`, '--frames', '8', '--out', '-', '--quiet'])
      expect(piped.code, piped.stderr).toBe(0)
      expect(piped.stdout.length).toBe(8 * 8)
      expect(piped.stdout.charCodeAt(4)).toBe(0x65)
    } finally {
      clearInterval(feed)
      await b.close()
    }
  })
})
