// A small LAN for tests and benchmarks: two network namespaces joined by a veth pair, each side's egress shaped by a
// token bucket (`tc qdisc tbf`) so the link behaves like a real network of a given rate instead of loopback. Programs
// run inside a namespace as child processes (`ip netns exec`); multicast (mDNS) is routed over the link, as a LAN's
// default route would carry it. Addresses come from the benchmarking range
// 198.18.0.0/15 (RFC 2544) and exist only inside the namespaces; everything is removed by `close()`, by a process
// exit hook if a test forgets, and stale namespaces of dead test processes are swept before a new LAN is made.
//
// Needs root (CAP_NET_ADMIN) and iproute2; `lanSupport()` says why not where they are missing, so tests can skip with
// that reason. `netem` is not assumed (not every kernel has it): delay and loss belong in a user-space proxy.

import { type ChildProcess, execFileSync, spawn, type SpawnOptions } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'

/** Prefix of every namespace and interface this helper makes; the pid of the creating process follows it. */
const PREFIX = 'fcl'
const IP = '/usr/sbin/ip'
const TC = '/usr/sbin/tc'

export interface LanOptions {
  /** Link rate in Mbit/s applied to both directions (tbf); omit for an unshaped veth (~ tens of Gbit/s). */
  rateMbit?: number
  /** Rate of the direction from B to A, Mbit/s, when it differs from `rateMbit` (an asymmetric link). */
  reverseRateMbit?: number
  /** Token-bucket burst, bytes. Default 32 KiB (a few packets: a link, not a burst absorber). */
  burstBytes?: number
  /** Longest a packet may wait in the tbf queue, ms (the link's own buffer). Default 100 ms. */
  queueMs?: number
}

export interface LanSide {
  /** Namespace name, for `ip netns exec`. */
  readonly ns: string
  /** This side's IPv4 address on the link. */
  readonly address: string
  /** The veth interface inside this namespace. */
  readonly dev: string
}

export interface Lan {
  /** The side that usually runs the broadcaster. */
  readonly a: LanSide
  /** The side that usually runs the viewers. */
  readonly b: LanSide
  /** Spawn `command args` inside a side's namespace. The child is killed by close() if still running. */
  spawn(side: LanSide, command: string, args: readonly string[], options?: SpawnOptions): ChildProcess
  /** Spawn a TypeScript file with this Node (through tsx) inside a side's namespace. */
  spawnTs(side: LanSide, file: string, args: readonly string[], options?: SpawnOptions): ChildProcess
  /**
   * Run a TypeScript program that takes its options as one JSON argument and reports JSON lines on standard output
   * (test/support/lan/*-agent.ts), inside a side's namespace.
   */
  agent<Line>(side: LanSide, file: string, options: unknown): Agent<Line>
  /** Change the shaped rate of both directions (Mbit/s), e.g. to simulate a link that gets busier. */
  setRate(rateMbit: number): void
  /** Kill remaining children and delete both namespaces (the veth pair goes with them). Idempotent. */
  close(): Promise<void>
}

/** A program running inside a namespace that reports JSON lines. */
export interface Agent<Line> {
  readonly child: ChildProcess
  /**
   * The first line (not yet taken) for which `pick` returns something, as `pick` returned it. Rejects after
   * `timeoutMs`, or when the program exits first, with the end of its standard error.
   */
  next<T>(pick: (line: Line) => T | undefined, timeoutMs?: number): Promise<T>
}

/** Whether this process can make namespaces: `{ ok: true }`, or the reason it cannot (to skip tests with). */
export function lanSupport(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces exist only on Linux' }
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return { ok: false, reason: 'making network namespaces needs root (CAP_NET_ADMIN); CI runs as root' }
  }
  try {
    execFileSync(IP, ['netns', 'list'], { stdio: 'ignore' })
    execFileSync(TC, ['-V'], { stdio: 'ignore' })
  } catch {
    return { ok: false, reason: `iproute2 (${IP}, ${TC}) is not installed` }
  }
  return { ok: true }
}

let counter = 0
const open = new Set<LanImpl>()

/**
 * Make a two-namespace LAN. Throws when namespaces cannot be made (see lanSupport()); on a failure half-way, whatever
 * was made is removed before the error is thrown.
 */
export function createLan(options: LanOptions = {}): Lan {
  sweepStale()
  const n = counter++
  // Interface names are limited to 15 bytes: fcl<pid><n>a fits for any pid below 10^9 and n below 100.
  const id = `${process.pid}${n}`
  const a: LanSide = { ns: `${PREFIX}-${process.pid}-${n}-a`, dev: `${PREFIX}${id}a`, address: subnetAddress(n, 1) }
  const b: LanSide = { ns: `${PREFIX}-${process.pid}-${n}-b`, dev: `${PREFIX}${id}b`, address: subnetAddress(n, 2) }
  const lan = new LanImpl(a, b)
  open.add(lan)
  try {
    ip('netns', 'add', a.ns)
    ip('netns', 'add', b.ns)
    ip('link', 'add', a.dev, 'netns', a.ns, 'type', 'veth', 'peer', 'name', b.dev, 'netns', b.ns)
    for (const side of [a, b]) {
      ip('-n', side.ns, 'addr', 'add', `${side.address}/30`, 'dev', side.dev)
      ip('-n', side.ns, 'link', 'set', 'lo', 'up')
      ip('-n', side.ns, 'link', 'set', side.dev, 'up')
      // Multicast (mDNS's 224.0.0.251) goes out the link, as a LAN's default route would send it.
      ip('-n', side.ns, 'route', 'add', '224.0.0.0/4', 'dev', side.dev)
    }
    if (options.rateMbit !== undefined) {
      lan.shape(options.rateMbit, options.burstBytes ?? 32 * 1024, options.queueMs ?? 100, 'add', options.reverseRateMbit)
    }
  } catch (e) {
    lan.closeSync()
    throw e
  }
  return lan
}

class LanImpl implements Lan {
  private readonly children = new Set<ChildProcess>()
  private closed = false
  private shaping = { burstBytes: 32 * 1024, queueMs: 100 }

  constructor(
    readonly a: LanSide,
    readonly b: LanSide
  ) {}

  spawn(side: LanSide, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    if (this.closed) throw new Error('this LAN is closed')
    const child = spawn(IP, ['netns', 'exec', side.ns, command, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...options })
    this.children.add(child)
    child.once('exit', () => this.children.delete(child))
    return child
  }

  spawnTs(side: LanSide, file: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    return this.spawn(side, process.execPath, ['--import', 'tsx', file, ...args], options)
  }

  agent<Line>(side: LanSide, file: string, options: unknown): Agent<Line> {
    return jsonAgent<Line>(this.spawnTs(side, file, [JSON.stringify(options)]))
  }

  setRate(rateMbit: number): void {
    this.shape(rateMbit, this.shaping.burstBytes, this.shaping.queueMs, 'replace')
  }

  shape(rateMbit: number, burstBytes: number, queueMs: number, verb: 'add' | 'replace', reverseRateMbit = rateMbit): void {
    for (const r of [rateMbit, reverseRateMbit]) if (!(r > 0)) throw new Error(`a link rate must be positive, not ${r}`)
    this.shaping = { burstBytes, queueMs }
    // Each side's egress is shaped: A's is the A→B direction, B's the B→A one.
    for (const [side, rate] of [[this.a, rateMbit], [this.b, reverseRateMbit]] as const) {
      tc(side.ns, 'qdisc', verb, 'dev', side.dev, 'root', 'tbf', 'rate', `${rate}mbit`, 'burst', String(burstBytes), 'latency', `${queueMs}ms`)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    const exits = [...this.children].map((c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : once(c, 'exit').then(() => undefined)))
    for (const c of this.children) c.kill('SIGKILL')
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2_000))])
    this.closeSync()
  }

  closeSync(): void {
    this.closed = true
    for (const c of this.children) c.kill('SIGKILL')
    for (const side of [this.a, this.b]) {
      try {
        execFileSync(IP, ['netns', 'del', side.ns], { stdio: 'ignore' })
      } catch {
        // not made, or already gone
      }
    }
    open.delete(this)
  }
}

function jsonAgent<Line>(child: ChildProcess): Agent<Line> {
  const lines: Line[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  let exited: string | null = null
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000)
  })
  createInterface({ input: child.stdout! }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Line)
    } catch {
      stderr = (stderr + `\n(stdout) ${text}`).slice(-4_000)
      return
    }
    for (const w of [...waiters]) w()
  })
  child.once('exit', (code, signal) => {
    exited = `exited with ${signal ?? code}`
    for (const w of [...waiters]) w()
  })
  return {
    child,
    next<T>(pick: (line: Line) => T | undefined, timeoutMs = 30_000): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const check = (): void => {
          for (let i = 0; i < lines.length; i++) {
            const picked = pick(lines[i]!)
            if (picked !== undefined) {
              lines.splice(i, 1)
              finish()
              resolve(picked)
              return
            }
          }
          if (exited !== null) {
            finish()
            reject(new Error(`the agent ${exited} before the line wanted: ${stderr.trim().slice(-1_500)}`))
          }
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`no line wanted from the agent within ${timeoutMs} ms: ${stderr.trim().slice(-1_500)}`))
        }, timeoutMs)
        const finish = (): void => {
          clearTimeout(timer)
          waiters.delete(check)
        }
        waiters.add(check)
        check()
      })
    }
  }
}

/** 198.18.(n / 64).(4 · (n mod 64) + host): a /30 per LAN, so LANs of one process never share addresses. */
function subnetAddress(n: number, host: 1 | 2): string {
  const block = n % 16_384
  return `198.18.${Math.floor(block / 64)}.${(block % 64) * 4 + host}`
}

function ip(...args: string[]): void {
  execFileSync(IP, args, { stdio: ['ignore', 'ignore', 'pipe'] })
}

function tc(ns: string, ...args: string[]): void {
  execFileSync(IP, ['netns', 'exec', ns, TC, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
}

/** Remove namespaces left by test processes that died without closing their LAN. */
function sweepStale(): void {
  let list = ''
  try {
    list = execFileSync(IP, ['netns', 'list'], { encoding: 'utf8' })
  } catch {
    return
  }
  for (const line of list.split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-\\d+-[ab])\\b`).exec(line.trim())
    if (!m || alive(Number(m[2]))) continue
    try {
      execFileSync(IP, ['netns', 'del', m[1]!], { stdio: 'ignore' })
    } catch {
      // raced with another sweeper
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

process.once('exit', () => {
  for (const lan of [...open]) lan.closeSync()
})
