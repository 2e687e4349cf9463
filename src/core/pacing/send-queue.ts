// How many bytes the kernel still holds for one of our TCP connections: written by us, not yet acknowledged by the
// peer. Node has no SO_SNDBUF, TCP_NOTSENT_LOWAT or TIOCOUTQ, but on Linux the kernel publishes every socket's send
// queue in /proc/net/tcp and /proc/net/tcp6 (the `tx_queue` column: write_seq − snd_una, see proc_net_tcp(5) and
// get_tcp4_sock() in net/ipv4/tcp_ipv4.c), for the network namespace the process runs in. Readers that cannot
// acknowledge frames (classic scripts, MJPEG clients) are paced by it (reader-pacer.ts). Elsewhere the answer is
// "unknown" and the pacer falls back to the drain rate it measures.
//
// Reading those files costs a little (the kernel prints every socket of the namespace), so one snapshot serves every
// connection of the process for a few milliseconds.

import { readFileSync } from 'node:fs'
import { endianness } from 'node:os'
import { monoMs } from '../../shared/stats'

/** The addressing of a connected socket, as net.Socket (and tls.TLSSocket) expose it. */
export interface SocketEnds {
  readonly localAddress?: string | undefined
  readonly localPort?: number | undefined
  readonly remoteAddress?: string | undefined
  readonly remotePort?: number | undefined
}

/** Where a connection's kernel send queue can be read. */
export interface SendQueueSource {
  /** Bytes written to `socket` and not yet acknowledged by its peer; null when this system cannot say. */
  queued(socket: SocketEnds): number | null
}

/** One snapshot of /proc/net/tcp* is reused for this long (ms). */
const SNAPSHOT_MS = 4
const FILES = ['/proc/net/tcp', '/proc/net/tcp6']

/**
 * The 16 bytes of an IP address (IPv4 as IPv4-mapped IPv6), from its text: "10.0.0.2", "::ffff:10.0.0.2",
 * "fe80::1%eth0", "2001:db8::1". Returns null for anything else.
 */
export function ipBytes(text: string): Uint8Array | null {
  const address = text.split('%')[0]!
  const out = new Uint8Array(16)
  const v4 = parseIpv4(address)
  if (v4 !== null) {
    out[10] = 0xff
    out[11] = 0xff
    out.set(v4, 12)
    return out
  }
  const halves = address.split('::')
  if (halves.length > 2 || address === '') return null
  const groups = (part: string): string[] => (part === '' ? [] : part.split(':'))
  const head = groups(halves[0]!)
  const tail = halves.length === 2 ? groups(halves[1]!) : []
  // An embedded IPv4 address takes the last two groups.
  const last = (halves.length === 2 ? tail : head).at(-1)
  let v4tail: Uint8Array | null = null
  if (last !== undefined && last.includes('.')) {
    v4tail = parseIpv4(last)
    if (v4tail === null) return null
    ;(halves.length === 2 ? tail : head).pop()
  }
  const words = head.length + tail.length + (v4tail ? 2 : 0)
  if (halves.length === 1 ? words !== 8 : words > 7) return null
  const all = [...head, ...Array<string>(8 - words).fill('0'), ...tail]
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null
    const n = parseInt(g, 16)
    out[2 * i] = n >> 8
    out[2 * i + 1] = n & 0xff
  }
  if (v4tail) out.set(v4tail, 12)
  return out
}

function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.')
  if (parts.length !== 4) return null
  const out = new Uint8Array(4)
  for (let i = 0; i < 4; i++) {
    if (!/^\d{1,3}$/.test(parts[i]!)) return null
    const n = Number(parts[i])
    if (n > 255) return null
    out[i] = n
  }
  return out
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex')
}

/** The key of a connected socket as endsKey makes it, from its ends; null when they are unknown or not IP addresses. */
export function connectionKey(socket: SocketEnds): string | null {
  const { localAddress, localPort, remoteAddress, remotePort } = socket
  if (localAddress === undefined || remoteAddress === undefined || localPort === undefined || remotePort === undefined) return null
  const lb = ipBytes(localAddress)
  const rb = ipBytes(remoteAddress)
  if (lb === null || rb === null) return null
  return endsKey(lb, localPort, rb, remotePort)
}

/** The key a connection is looked up by: both ends as address bytes (hex) and port, "<local>:<port>><remote>:<port>". */
export function endsKey(localBytes: Uint8Array, localPort: number, remoteBytes: Uint8Array, remotePort: number): string {
  return `${hex(localBytes)}:${localPort}>${hex(remoteBytes)}:${remotePort}`
}

/**
 * An address as /proc/net/tcp* prints it ("0100007F" for 127.0.0.1 on a little-endian machine): the address's 32-bit
 * words, each printed as a hexadecimal number in the machine's byte order. Returns the address bytes (IPv4 mapped into
 * IPv6), or null when malformed.
 */
export function procAddressBytes(field: string, littleEndian: boolean): Uint8Array | null {
  if ((field.length !== 8 && field.length !== 32) || !/^[0-9A-Fa-f]+$/.test(field)) return null
  const raw = Buffer.from(field, 'hex')
  if (littleEndian) for (let i = 0; i < raw.length; i += 4) raw.subarray(i, i + 4).reverse()
  if (raw.length === 16) return new Uint8Array(raw)
  const out = new Uint8Array(16)
  out[10] = 0xff
  out[11] = 0xff
  out.set(raw, 12)
  return out
}

/**
 * The send queues listed in the text of /proc/net/tcp or /proc/net/tcp6, keyed by both ends. Lines that do not parse
 * (the title line, anything malformed) are skipped; the text's size bounds the work.
 */
export function parseProcNetTcp(text: string, littleEndian: boolean, into = new Map<string, number>()): Map<string, number> {
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/)
    if (f.length < 5 || !f[0]!.endsWith(':')) continue
    const local = f[1]!.split(':')
    const remote = f[2]!.split(':')
    const queues = f[4]!.split(':')
    if (local.length !== 2 || remote.length !== 2 || queues.length !== 2) continue
    const lb = procAddressBytes(local[0]!, littleEndian)
    const rb = procAddressBytes(remote[0]!, littleEndian)
    if (lb === null || rb === null || !/^[0-9A-Fa-f]{1,8}$/.test(queues[0]!)) continue
    const lp = parseInt(local[1]!, 16)
    const rp = parseInt(remote[1]!, 16)
    if (!(lp >= 0 && lp <= 0xffff && rp >= 0 && rp <= 0xffff)) continue
    into.set(endsKey(lb, lp, rb, rp), parseInt(queues[0]!, 16))
  }
  return into
}

/**
 * The kernel's send queues read from /proc/net/tcp and /proc/net/tcp6 (Linux), one snapshot per SNAPSHOT_MS for all
 * callers. `queued` returns null where the files cannot be read (other systems) or do not list the socket.
 */
export class ProcNetTcp implements SendQueueSource {
  private snapshot = new Map<string, number>()
  private takenAt = -Infinity
  private usable = true

  constructor(
    private readonly read: (path: string) => string = (path) => readFileSync(path, 'latin1'),
    private readonly now: () => number = monoMs,
    private readonly littleEndian = endianness() === 'LE'
  ) {}

  queued(socket: SocketEnds): number | null {
    if (!this.usable) return null
    const key = connectionKey(socket)
    if (key === null) return null
    const now = this.now()
    if (now - this.takenAt >= SNAPSHOT_MS) this.refresh(now)
    return this.snapshot.get(key) ?? null
  }

  private refresh(now: number): void {
    const next = new Map<string, number>()
    let any = false
    for (const file of FILES) {
      try {
        parseProcNetTcp(this.read(file), this.littleEndian, next)
        any = true
      } catch {
        // IPv6 may be absent; both absent means this system does not publish them
      }
    }
    this.usable = any
    this.snapshot = next
    this.takenAt = now
  }
}

/** This process's view of its kernel send queues: /proc on Linux, "unknown" elsewhere. */
export const kernelSendQueue: SendQueueSource = process.platform === 'linux' ? new ProcNetTcp() : { queued: () => null }
