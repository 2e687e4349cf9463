// The receive window a reader's machine last advertised to one of our TCP connections, with the bytes it has
// acknowledged: what the reader's kernel still has room for. Its right edge (acknowledged + window) moves with what
// the reader's program has read once the reader's buffer, not the window's own growth, bounds the window — which is
// exactly when a reader has fallen behind (reader-pacer.ts). Node exposes no TCP_INFO, so on Linux the
// socket-statistics tool `ss` (iproute2) reads it through sock_diag: `snd_wnd` (tcpi_snd_wnd, Linux 6.2+),
// `bytes_acked` (tcpi_bytes_acked, RFC 4898 tcpEStatsAppHCThruOctetsAcked) and `lastack` (ms since the last ACK
// arrived, so a window is dated by the ACK that carried it, not by when we asked).
//
// Running `ss` costs a process (~15 ms of CPU), so one run serves every watched connection of the process, runs are
// at least MIN_INTERVAL_MS apart, and only the connections asked about (both ports) are listed. Where `ss` is missing, or the
// kernel does not report `snd_wnd`, every answer is null and the pacer does without (docs/protocol.md, "Readers that
// do not acknowledge").

import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { monoMs } from '../../shared/stats'
import { connectionKey, endsKey, ipBytes, type SocketEnds } from './send-queue'

/** One reading of a connection's peer window. */
export interface PeerWindowSample {
  /** When the ACK that carried `window` arrived, ms on the monotonic clock (monoMs). */
  ackAt: number
  /** Bytes of ours the peer has acknowledged (tcpi_bytes_acked). */
  acked: number
  /** The peer's advertised receive window, bytes (tcpi_snd_wnd); 0 when it is closed. */
  window: number
}

/** Where connections' peer windows can be read. */
export interface PeerWindowSource {
  /**
   * The latest reading for `socket` (null if none yet, or if this system cannot say). Asks for a new one, in the
   * background, when the latest was taken more than `maxAgeMs` ago.
   */
  latest(socket: SocketEnds, maxAgeMs: number): PeerWindowSample | null
}

/** Runs of `ss` are at least this far apart (ms), whatever is asked. */
export const MIN_INTERVAL_MS = 50
/** A connection not asked about for this long (ms) is no longer listed. */
const FORGET_MS = 5_000
/** After this many runs in a row that listed connections with data but no window, `ss` is not run again. */
const NO_WINDOW_RUNS = 5
/** At most this many connections are listed in one run (the most recently asked about). */
const MAX_LISTED = 64
/** `ss` output beyond this many bytes is not read (a few hundred connections fit). */
const MAX_OUTPUT_BYTES = 1 << 20
/** Where iproute2 installs `ss`; the first that exists is used (a desktop app's PATH is not to be trusted). */
const SS_PATHS = ['/usr/bin/ss', '/usr/sbin/ss', '/bin/ss', '/sbin/ss']

interface Entry {
  sample: PeerWindowSample | null
  /** `ss` has printed a window for this connection: its absence since means a closed window. */
  windowSeen: boolean
  /** ms: when `ss` last reported on this connection */
  takenAt: number
  /** ms: when this connection was last asked about */
  askedAt: number
  localPort: number
  remotePort: number
}

/** "198.18.0.1:5000", "[::ffff:198.18.0.1]:5000", "[fe80::1%eth0]:5000" → address bytes and port; null otherwise. */
function endpoint(text: string): { bytes: Uint8Array; port: number } | null {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text)
  if (!m) return null
  const bytes = ipBytes(m[1]!)
  const port = Number(m[2])
  return bytes === null || port > 0xffff ? null : { bytes, port }
}

/** One connection's fields as `ss` printed them: `window` null where no `snd_wnd` was printed. */
export interface SsReading {
  ackAt: number
  acked: number
  window: number | null
}

/**
 * The readings in the text `ss -tinH state established` printed at `takenAt` (ms), keyed by both ends. A connection's
 * first line holds Recv-Q, Send-Q and both ends; its second, indented, the TCP_INFO fields. `ss` leaves out fields
 * that are 0, so a closed window and a kernel without tcpi_snd_wnd look alike (`window: null`); the caller tells them
 * apart. Anything that does not parse is skipped; the work is linear in the text's length.
 */
export function parseSsTcpInfo(text: string, takenAt: number, into = new Map<string, SsReading>()): Map<string, SsReading> {
  let ends: string | null = null
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    if (!/^\s/.test(line)) {
      const f = line.trim().split(/\s+/)
      const local = f.length >= 4 ? endpoint(f[f.length - 2]!) : null
      const remote = f.length >= 4 ? endpoint(f[f.length - 1]!) : null
      ends = local && remote ? endsKey(local.bytes, local.port, remote.bytes, remote.port) : null
      continue
    }
    if (ends === null) continue
    const field = (name: string): number | null => {
      const m = new RegExp(`(?:^|\\s)${name}:(\\d{1,15})(?:\\s|$)`).exec(line)
      return m ? Number(m[1]) : null
    }
    const lastAck = field('lastack')
    into.set(ends, { ackAt: takenAt - (lastAck ?? 0), acked: field('bytes_acked') ?? 0, window: field('snd_wnd') })
    ends = null
  }
  return into
}

/**
 * Peer windows read with `ss` (Linux). `run(connections)` returns the tool's text for the listed connections (local
 * and remote port); injectable for tests. A connection has readings once `ss` has printed its window. Asking stops
 * for good where the tool is not installed, or where NO_WINDOW_RUNS runs in a row listed connections that had taken
 * data but none with a window (a kernel without tcpi_snd_wnd); a run that fails otherwise is just skipped.
 */
export class SsPeerWindow implements PeerWindowSource {
  private readonly entries = new Map<string, Entry>()
  private running = false
  private lastRunAt = -Infinity
  private usable = true
  private runsWithoutWindow = 0

  constructor(
    private readonly run: (connections: ReadonlyArray<{ localPort: number; remotePort: number }>) => Promise<string> = runSs,
    private readonly now: () => number = monoMs
  ) {}

  latest(socket: SocketEnds, maxAgeMs: number): PeerWindowSample | null {
    if (!this.usable) return null
    const key = connectionKey(socket)
    if (key === null || socket.localPort === undefined || socket.remotePort === undefined) return null
    const now = this.now()
    let entry = this.entries.get(key)
    if (entry === undefined) {
      entry = { sample: null, windowSeen: false, takenAt: -Infinity, askedAt: now, localPort: socket.localPort, remotePort: socket.remotePort }
      this.entries.set(key, entry)
    }
    entry.askedAt = now
    if (now - entry.takenAt > maxAgeMs && !this.running && now - this.lastRunAt >= MIN_INTERVAL_MS) void this.refresh(now)
    return entry.sample
  }

  private async refresh(now: number): Promise<void> {
    this.running = true
    this.lastRunAt = now
    for (const [key, entry] of this.entries) if (now - entry.askedAt > FORGET_MS) this.entries.delete(key)
    // The connections asked about most recently, each by both ports: what `ss` prints stays small however many
    // sockets the machine has.
    const wanted = [...this.entries.values()].sort((a, b) => b.askedAt - a.askedAt).slice(0, MAX_LISTED)
    try {
      const text = await this.run(wanted)
      // `ss` reads the kernel just before it exits: its `lastack` counts back from about now.
      const takenAt = this.now()
      const samples = parseSsTcpInfo(text, takenAt)
      let withData = 0
      let withWindow = 0
      for (const [key, entry] of this.entries) {
        const r = samples.get(key)
        if (r === undefined) continue
        entry.takenAt = takenAt
        entry.windowSeen ||= r.window !== null
        if (r.acked > 0) withData++
        if (entry.windowSeen) withWindow++
        if (entry.windowSeen) entry.sample = { ackAt: r.ackAt, acked: r.acked, window: r.window ?? 0 }
      }
      if (withWindow > 0) this.runsWithoutWindow = 0
      else if (withData > 0 && ++this.runsWithoutWindow >= NO_WINDOW_RUNS) this.usable = false
    } catch (e) {
      // Not installed: this system cannot say. Anything else (a timeout under load, too much output) may pass.
      if (e instanceof SsMissing) this.usable = false
    } finally {
      this.running = false
    }
  }
}

/** `ss` is not installed where it is looked for. */
export class SsMissing extends Error {}

/** `ss -tinH state established '( ( sport = :L and dport = :R ) or ... )'`: TCP_INFO of those connections. */
function runSs(connections: ReadonlyArray<{ localPort: number; remotePort: number }>): Promise<string> {
  const ss = SS_PATHS.find((p) => existsSync(p))
  if (ss === undefined) return Promise.reject(new SsMissing('ss (iproute2) is not installed'))
  const filter = connections.map((c) => `( sport = :${c.localPort} and dport = :${c.remotePort} )`).join(' or ')
  return new Promise((resolve, reject) => {
    execFile(ss, ['-tinH', 'state', 'established', `( ${filter} )`], { maxBuffer: MAX_OUTPUT_BYTES, timeout: 2_000 }, (error, stdout) => {
      if (error) reject(error)
      else resolve(stdout)
    })
  })
}

/** This process's view of its peers' windows: `ss` on Linux, "unknown" elsewhere. */
export const peerWindows: PeerWindowSource = process.platform === 'linux' ? new SsPeerWindow() : { latest: () => null }
