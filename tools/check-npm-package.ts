// Checks the npm package the way a user meets it: `npm pack` (which builds the command through `prepack`), then in an
// empty folder outside this checkout `npm install <tarball> --omit=dev` (from npm's cache where it can), and the
// installed command run through npx: `framecast --help`, and a folder of JPEGs broadcast on loopback and watched for
// a few frames. It fails when the tarball misses what the command needs, carries what it should not (sources, the
// Electron app), or when the command needs a development dependency such as tsx to run.
// Usage: tsx tools/check-npm-package.ts    (exit 0 = the packed command installs and works; about 15 s)

import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import sharp from 'sharp'

const ROOT = resolve(__dirname, '..')
const FRAMES = 5
const WIDTH = 160
const HEIGHT = 120
/** What the tarball may hold: the launcher, the built command, and what npm always adds. */
const ALLOWED = /^(?:package\.json|README\.md|LICENSE|bin\/[^/]+\.mjs|out\/cli\/[^/]+\.mjs)$/
const REQUIRED = ['package.json', 'README.md', 'LICENSE', 'bin/framecast.mjs', 'out/cli/framecast.mjs']
/** Development dependencies that must not be installed next to the command. */
const DEV_ONLY = ['tsx', 'typescript', 'vite', 'electron', 'electron-vite', 'esbuild']

interface PackResult {
  filename: string
  size: number
  files: { path: string }[]
}

/** Run a command to completion; throws with its output when it exits non-zero. */
function runOrThrow(command: string, args: string[], cwd: string): string {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 120_000 })
  if (r.status !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited with ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}${r.error ?? ''}`)
  }
  return r.stdout
}

/** For each of `patterns`, the first line of `child`'s standard output that matches it, or an error after `ms`. */
function linesMatching(child: ChildProcess, patterns: RegExp[], ms: number, stderr: () => string): Promise<RegExpExecArray[]> {
  return new Promise((resolveLines, reject) => {
    const found: Array<RegExpExecArray | undefined> = patterns.map(() => undefined)
    const missing = (): string => patterns.filter((_, i) => found[i] === undefined).join(', ')
    const timer = setTimeout(() => reject(new Error(`no line matching ${missing()} after ${ms} ms; stderr:\n${stderr()}`)), ms)
    const lines = createInterface({ input: child.stdout! })
    lines.on('line', (line) => {
      patterns.forEach((p, i) => (found[i] ??= p.exec(line) ?? undefined))
      if (found.some((m) => m === undefined)) return
      clearTimeout(timer)
      lines.close()
      resolveLines(found as RegExpExecArray[])
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`exited with ${code} before printing ${missing()}; stderr:\n${stderr()}`))
    })
  })
}

/** Resolves true when something accepts a TCP connection on 127.0.0.1:port. */
function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy()
      r(true)
    })
    s.once('error', () => r(false))
  })
}

async function main(): Promise<string> {
  const work = mkdtempSync(join(tmpdir(), 'framecast-npm-'))
  let broadcaster: ChildProcess | undefined
  try {
    console.log('== npm pack')
    const [pack] = JSON.parse(runOrThrow('npm', ['pack', '--json', '--pack-destination', work], ROOT)) as PackResult[]
    if (!pack) throw new Error('npm pack reported no tarball')
    const paths = pack.files.map((f) => f.path)
    const problems = [
      ...REQUIRED.filter((p) => !paths.includes(p)).map((p) => `the tarball lacks ${p}`),
      ...paths.filter((p) => !ALLOWED.test(p)).map((p) => `the tarball should not hold ${p}`)
    ]
    if (problems.length) throw new Error(problems.join('\n'))

    console.log(`== npm install ${pack.filename} --omit=dev (into an empty folder)`)
    const app = join(work, 'app')
    mkdirSync(app)
    runOrThrow('npm', ['install', join(work, pack.filename), '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], app)
    const strays = DEV_ONLY.filter((name) => existsSync(join(app, 'node_modules', name)))
    if (strays.length) throw new Error(`development dependencies were installed: ${strays.join(', ')}`)
    if (existsSync(join(app, 'node_modules', 'framecast', 'src'))) throw new Error('the installed package holds src/')

    // `--no`: never fetch a package called framecast from the registry; the installed one must answer.
    const npx = (...args: string[]): string[] => ['--no', '--', 'framecast', ...args]
    console.log('== npx framecast --help')
    const help = runOrThrow('npx', npx('--help'), app)
    if (!help.startsWith('Usage: framecast <command>')) throw new Error(`unexpected --help output:\n${help}`)

    console.log(`== npx framecast broadcast a folder of JPEGs, npx framecast watch ${FRAMES} frames (loopback)`)
    const frames = join(work, 'frames')
    mkdirSync(frames)
    for (let i = 0; i < 3; i++) {
      const background = { r: 60 * i, g: 120, b: 200 - 60 * i }
      await sharp({ create: { width: WIDTH, height: HEIGHT, channels: 3, background } }).jpeg().toFile(join(frames, `f${i}.jpg`))
    }
    // Its own process group, so the stop below reaches npx and the command it runs alike, as Ctrl+C in a terminal does.
    // Private, as by default: the watch pairs with the code the broadcast prints (TLS and CPace from the installed package).
    const configDir = (who: string): string => join(work, `${who}-config`)
    broadcaster = spawn('npx', npx('broadcast', '--source', frames, '--loop', '--fps', '30', '--port', '0', '--host', '127.0.0.1', '--quiet', '--no-advertise', '--config-dir', configDir('broadcaster')), {
      cwd: app,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let broadcastErr = ''
    broadcaster.stderr!.on('data', (c: Buffer) => (broadcastErr += c.toString()))
    const closed = new Promise<void>((r) => broadcaster!.once('close', () => r()))
    const [listening, pairing] = await linesMatching(broadcaster, [/^listening on 127\.0\.0\.1:(\d+) \(framecast, private\)$/, /^pairing code: (\d{6}) /], 30_000, () => broadcastErr)
    const port = Number(listening![1])

    const watchArgs = ['--frames', String(FRAMES), '--json', '--quiet', '--timeout', '30', '--code', pairing![1]!, '--config-dir', configDir('viewer')]
    const watched = runOrThrow('npx', npx('watch', `127.0.0.1:${port}`, ...watchArgs), app)
    const stats = JSON.parse(watched.trim()) as { frames?: number; format?: string; width?: number; height?: number }
    if (stats.frames !== FRAMES || stats.format !== 'native' || stats.width !== WIDTH || stats.height !== HEIGHT) {
      throw new Error(`watch reported ${watched.trim()}, expected ${FRAMES} native frames of ${WIDTH}x${HEIGHT}`)
    }

    // 'close' comes once every process holding the broadcaster's output has exited, the command included.
    process.kill(-broadcaster.pid!, 'SIGTERM')
    await closed
    if (await accepts(port)) throw new Error(`port ${port} still accepts connections after SIGTERM`)
    broadcaster = undefined
    return `npm package check passed: ${paths.length} files in ${pack.filename} (${(pack.size / 1024).toFixed(0)} kB), installed with --omit=dev, ${FRAMES} frames of ${WIDTH}x${HEIGHT} watched over loopback after pairing`
  } finally {
    if (broadcaster?.pid !== undefined && broadcaster.exitCode === null) {
      try {
        process.kill(-broadcaster.pid, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(work, { recursive: true, force: true })
  }
}

main().then(
  (summary) => console.log(summary),
  (e: unknown) => {
    console.error(`npm package check FAILED:\n  ${e instanceof Error ? e.message : String(e)}`)
    process.exit(1)
  }
)
