// `framecast list` across a real link: a broadcaster in one network namespace, the list in the other, joined by a
// veth pair — real multicast DNS, never onto any other network (each namespace holds only its end of the link). Also
// the command's own rules and output, without a network.

import { type ChildProcess, execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import sharp from 'sharp'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listEntry } from '../../src/cli/list'
import type { DiscoveredBroadcaster } from '../../src/shared/discovery'
import { discoveredBroadcaster } from '../support/discovered'
import { FRAMECAST_CLI } from '../support/framecast-cli'
import { createLan, type Lan, type LanSide, lanSupport } from '../support/netns'

const support = lanSupport()
const IP = '/usr/sbin/ip'
const dir = mkdtempSync(join(tmpdir(), 'framecast-list-'))
type Entry = ReturnType<typeof listEntry>

/** The environment of the commands in the namespaces: no loopback-only override, the namespace is the network. */
function namespaceEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, FORCE_COLOR: '0' }
  delete env.FRAMECAST_MDNS_INTERFACE
  return env
}

/** Lines of a child's standard output, as they come. */
function lines(child: ChildProcess): { next(match: (line: string) => boolean, timeoutMs: number): Promise<string>; stderr(): string } {
  const seen: string[] = []
  const waiters = new Set<() => void>()
  let err = ''
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()))
  createInterface({ input: child.stdout! }).on('line', (line) => {
    seen.push(line)
    for (const w of [...waiters]) w()
  })
  let from = 0
  return {
    stderr: () => err,
    next: (match, timeoutMs) =>
      new Promise((resolve, reject) => {
        const look = (): void => {
          const i = seen.findIndex((l, k) => k >= from && match(l))
          if (i < 0) return
          from = i + 1
          waiters.delete(look)
          clearTimeout(timer)
          resolve(seen[i]!)
        }
        const timer = setTimeout(() => {
          waiters.delete(look)
          reject(new Error(`no such line within ${timeoutMs} ms; stdout: ${seen.join('\n')}\nstderr: ${err}`))
        }, timeoutMs)
        waiters.add(look)
        look()
      })
  }
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)))
}

/** `framecast list --wait S --json` in `side`: the broadcasters it printed. */
async function listOnce(lan: Lan, side: LanSide, waitS: number): Promise<Entry[]> {
  const child = lan.spawnTs(side, FRAMECAST_CLI, ['list', '--wait', String(waitS), '--json'], { env: namespaceEnv() })
  const out = lines(child)
  const line = await out.next(() => true, 30_000)
  expect(await exited(child), out.stderr()).toBe(0)
  return JSON.parse(line) as Entry[]
}

describe.skipIf(!support.ok)('framecast list across two network namespaces', () => {
  let lan: Lan
  const frames = join(dir, 'frames')

  beforeAll(async () => {
    mkdirSync(frames, { recursive: true })
    for (let i = 0; i < 3; i++) {
      const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 80 * i, g: 40, b: 40 } } }).jpeg().toBuffer()
      writeFileSync(join(frames, `f${i}.jpg`), jpeg)
    }
    lan = createLan()
  })
  afterAll(async () => {
    await lan?.close()
  })

  /** Start `framecast broadcast` in side A; resolves once it listens and, unless told not to, once it is advertised. */
  async function broadcast(args: string[], advertised = true): Promise<{ child: ChildProcess; port: number; mjpegPort: number | null; mjpegToken: string | null }> {
    const child = lan.spawnTs(lan.a, FRAMECAST_CLI, ['broadcast', '--source', frames, '--loop', '--fps', '5', '--port', '0', '-q', ...args], { env: namespaceEnv() })
    const out = lines(child)
    const port = Number(/^listening on \[::\]:(\d+) /.exec(await out.next((l) => l.startsWith('listening on'), 30_000))![1])
    const mjpeg = args.includes('--mjpeg-port') ? /:(\d+)\/stream\.mjpg\?token=(\S+)$/.exec(await out.next((l) => l.startsWith('mjpeg on'), 10_000))! : null
    if (advertised) await out.next((l) => l.startsWith('advertised as'), 10_000)
    return { child, port, mjpegPort: mjpeg === null ? null : Number(mjpeg[1]), mjpegToken: mjpeg?.[2] ?? null }
  }

  it('hears a broadcaster in the other namespace within 3 s with its port and name, and drops it within seconds of its goodbye', async () => {
    const listed = await broadcast(['--name', 'Studio cam'])
    const hidden = await broadcast(['--name', 'Private cam', '--no-advertise'], false)

    const heard = await listOnce(lan, lan.b, 3)
    expect(heard.filter((b) => b.name === 'Private cam')).toEqual([])
    const studio = heard.find((b) => b.name === 'Studio cam')
    expect(studio).toMatchObject({ kind: 'framecast', host: lan.a.address, port: listed.port, address: `${lan.a.address}:${listed.port}`, protocolVersion: 2, codec: 'jpeg', supported: true })
    expect(hidden.port).not.toBe(listed.port)

    const follow = lan.spawnTs(lan.b, FRAMECAST_CLI, ['list', '--follow', '--json'], { env: namespaceEnv() })
    const events = lines(follow)
    const isEvent = (event: string, name: string) => (l: string) => {
      const e = JSON.parse(l) as { event: string; broadcaster: DiscoveredBroadcaster }
      return e.event === event && e.broadcaster.name === name
    }
    // The follower's own start (tsx compiling it on a busy machine) takes time: only the goodbye below is timed.
    await events.next(isEvent('up', 'Studio cam'), 30_000)
    const t0 = performance.now()
    listed.child.kill('SIGINT')
    await events.next(isEvent('down', 'Studio cam'), 5_000)
    const goneMs = performance.now() - t0
    expect(await exited(listed.child)).toBe(0)
    // The goodbye is one datagram over the link: far sooner than the 10 s after which silence counts as gone.
    expect(goneMs).toBeLessThan(5_000)
    follow.kill('SIGINT')
    expect(await exited(follow)).toBe(0)
    hidden.child.kill('SIGINT')
    await exited(hidden.child)
  }, 60_000)

  it('lists classic mode as what it is, never the MJPEG endpoint (its URL carries a token), and drops a broadcaster that dies without a goodbye', async () => {
    const cast = await broadcast(['--name', 'Old script', '--classic=jpeg', '--mjpeg-port', '0'])
    const follow = lan.spawnTs(lan.b, FRAMECAST_CLI, ['list', '--follow', '--json'], { env: namespaceEnv() })
    const events = lines(follow)
    const heard: Array<{ event: string; broadcaster: Entry }> = []
    const next = async (timeoutMs: number): Promise<{ event: string; broadcaster: Entry }> => {
      const e = JSON.parse(await events.next(() => true, timeoutMs)) as { event: string; broadcaster: Entry }
      heard.push(e)
      return e
    }
    let classic: Entry | undefined
    while (classic === undefined) {
      const e = await next(30_000)
      if (e.event === 'up' && e.broadcaster.name === 'Old script' && e.broadcaster.kind === 'classic-jpeg') classic = e.broadcaster
    }
    expect(classic).toMatchObject({ port: cast.port, protocolVersion: null, codec: null, url: null })
    // The MJPEG URL with its token serves the other namespace.
    const url = `http://${lan.a.address}:${cast.mjpegPort}/stream.mjpg?token=${cast.mjpegToken}`
    const GET = `require('node:http').get(process.argv[1], (r) => { console.log(r.headers['content-type']); r.destroy(); process.exit(0) })`
    const fetcher = lan.spawn(lan.b, process.execPath, ['-e', GET, url])
    expect(await lines(fetcher).next(() => true, 10_000)).toMatch(/^multipart\/x-mixed-replace/)

    const t0 = performance.now()
    cast.child.kill('SIGKILL')
    for (let gone = false; !gone; ) {
      const e = await next(20_000)
      gone = e.event === 'down' && e.broadcaster.name === 'Old script'
    }
    // No goodbye: it goes once it has been silent for 10 s (last heard at most one 4 s query before the kill), not before.
    expect(performance.now() - t0).toBeGreaterThan(5_000)
    // In all that time, nothing named the MJPEG endpoint.
    expect(heard.filter((e) => e.broadcaster.kind === 'mjpeg')).toEqual([])
    follow.kill('SIGINT')
    await exited(follow)
  }, 60_000)

  it('keeps everything inside the two namespaces: each holds only loopback and its end of the link, and routes only there', () => {
    for (const side of [lan.a, lan.b]) {
      const links = JSON.parse(execFileSync(IP, ['-n', side.ns, '-j', 'link', 'show'], { encoding: 'utf8' })) as { ifname: string }[]
      expect(links.map((l) => l.ifname).sort()).toEqual([side.dev, 'lo'].sort())
      const routes = JSON.parse(execFileSync(IP, ['-n', side.ns, '-j', 'route', 'show', 'table', 'all'], { encoding: 'utf8' })) as { dev?: string }[]
      expect(routes.length).toBeGreaterThan(0)
      for (const r of routes) expect([side.dev, 'lo']).toContain(r.dev)
      // mDNS did cross the link.
      const stats = JSON.parse(execFileSync(IP, ['-n', side.ns, '-j', '-s', 'link', 'show', 'dev', side.dev], { encoding: 'utf8' })) as { stats64: { tx: { packets: number } } }[]
      expect(stats[0]!.stats64.tx.packets).toBeGreaterThan(0)
    }
  })
})

describe('framecast list --json entries', () => {
  it('give the address to watch and, for MJPEG, the URL', () => {
    const b = discoveredBroadcaster({ kind: 'mjpeg', host: 'fe80::1', port: 8080, protocolVersion: null, codec: null, path: '/stream.mjpg' })
    expect(listEntry(b)).toMatchObject({ address: '[fe80::1]:8080', url: 'http://[fe80::1]:8080/stream.mjpg' })
    expect(listEntry({ ...b, kind: 'framecast', path: null })).toMatchObject({ address: '[fe80::1]:8080', url: null })
  })
})

afterAll(() => rmSync(dir, { recursive: true, force: true }))
