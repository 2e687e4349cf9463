// The address grammar: what a person may type as a partner's host and port, and how a host:port is written.
// Pure TypeScript, shared by the windows (form validation), the IPC contract, the CLI and the networking core.

import * as v from 'valibot'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/

/** Dotted-quad IPv4 ("192.168.1.20"): four decimal numbers 0–255, no leading zeros, nothing around them. */
export function isIPv4(s: string): boolean {
  return IPV4.test(s)
}

/** RFC 4291 text forms, with an optional zone (fe80::1%eth0) and an optional embedded IPv4 tail. */
export function isIPv6(s: string): boolean {
  const pct = s.indexOf('%')
  const addr = pct < 0 ? s : s.slice(0, pct)
  if (pct >= 0 && !/^[\w.-]{1,32}$/.test(s.slice(pct + 1))) return false
  const halves = addr.split('::')
  if (halves.length > 2) return false
  const groupsOf = (half: string): string[] => (half === '' ? [] : half.split(':'))
  const head = groupsOf(halves[0]!)
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : []
  const last = halves.length === 2 ? tail : head
  let max = 8
  if (last.length > 0 && last[last.length - 1]!.includes('.')) {
    if (!isIPv4(last.pop()!)) return false
    max = 6
  }
  const groups = [...head, ...tail]
  if (!groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return false
  // "::" stands for one or more zero groups.
  return halves.length === 2 ? groups.length < max : groups.length === max
}

/** An RFC 1123 host name ("studio.local", "my-pc"), at most 253 characters; all-digit names are IPv4 attempts, not names. */
export function isHostname(s: string): boolean {
  return HOSTNAME.test(s) && !/^[\d.]+$/.test(s)
}

/** An IP address (v4 or v6, brackets allowed around v6 only) or a host name. */
export function isHost(s: string): boolean {
  if (s.startsWith('[') && s.endsWith(']')) return isIPv6(s.slice(1, -1))
  return isIPv4(s) || isIPv6(s) || isHostname(s)
}

/** "host:port", with IPv6 hosts in brackets: "[fe80::1]:9999". */
export function formatHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`
}

/**
 * Split "host:port" as a person writes it: "192.168.1.20:9999", "studio.local:8000", or "[fe80::1%eth0]:9999"
 * (an IPv6 address goes in brackets; the brackets are removed from `host`). The port is returned as text for
 * readPort to judge. Returns null when the text carries no port — including a bare IPv6 address, whose last group
 * cannot be told from a port ("fe80::1:9999"). Spaces around the text are ignored; the host is not checked here.
 */
export function splitHostPort(text: string): { host: string; port: string } | null {
  const s = text.trim()
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]\s]+):(\d+)$/.exec(s)
  return m ? { host: m[1]!, port: m[2]! } : null
}

/** "[fe80::1]" → "fe80::1"; anything else as it is. */
export function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host
}

export const HostSchema = v.pipe(
  v.string(),
  v.trim(),
  v.nonEmpty('Enter the partner’s IP address or host name'),
  v.maxLength(255, 'That address is too long'),
  v.check(isHost, 'That is not an IP address or a host name'),
  v.transform(stripBrackets)
)

/** A TCP port as a number, with the words for what is wrong with one. `lowest` is 1, or 0 where 0 means "any free port". */
function portNumber(lowest: 0 | 1) {
  const range = `The port must be between ${lowest} and 65535`
  return v.pipe(v.number('The port must be a number'), v.integer('The port must be a whole number'), v.minValue(lowest, range), v.maxValue(65535, range))
}

/** A TCP port to connect to or to listen on: a whole number from 1 to 65535. */
export const PortSchema = portNumber(1)

/** A port typed as text: digits only (spaces around them are ignored), then the same checks and words as PortSchema. */
function portText(lowest: 0 | 1) {
  return v.pipe(
    v.string(),
    v.trim(),
    v.nonEmpty(`Enter a port between ${lowest} and 65535`),
    v.regex(/^\d+$/, 'The port must be a number'),
    v.transform(Number),
    portNumber(lowest)
  )
}
const PORT_TEXT = portText(1)
const LISTEN_PORT_TEXT = portText(0)

/** What readPort found: the port and no problem, or no port and what is wrong with the text in one sentence. */
export type PortReading = { port: number; problem: null } | { port: null; problem: string }

/**
 * Read a port a person typed (a form field, a command-line option). The one front end to PortSchema: every window
 * and the CLI say the same words for the same mistake —
 * empty → "Enter a port between 1 and 65535"; not digits ("99a", "-1", "1.5") → "The port must be a number";
 * out of range → "The port must be between 1 and 65535". With `anyFree`, 0 is accepted too (a server listening on
 * port 0 gets a free port from the system) and the words say 0 instead of 1. Never throws.
 */
export function readPort(text: string, options: { anyFree?: boolean } = {}): PortReading {
  const r = v.safeParse(options.anyFree ? LISTEN_PORT_TEXT : PORT_TEXT, text)
  return r.success ? { port: r.output, problem: null } : { port: null, problem: r.issues[0].message }
}
/** Where the broadcaster listens: an address of this machine, or a wildcard ('0.0.0.0' or '::'). */
export const BindHostSchema = v.pipe(
  v.string(),
  v.check((s) => isIPv4(s) || isIPv6(s), 'Choose one of this machine’s network interfaces')
)


/**
 * How far an interface address reaches: 'lan' for private IPv4 (10/8, 172.16/12, 192.168/16, 100.64/10 shared
 * address space) and IPv6 unique local addresses (fc00::/7); 'link-local' (169.254/16, fe80::/10); 'loopback';
 * 'global' for the rest — public IPv4 and global IPv6, which may be reachable from outside the LAN.
 */
export function addressScope(address: string): 'loopback' | 'link-local' | 'lan' | 'global' {
  const a = stripBrackets(address).toLowerCase().split('%')[0]!
  if (isIPv4(a)) {
    const [p, q] = a.split('.').map(Number) as [number, number]
    if (p === 127) return 'loopback'
    if (p === 169 && q === 254) return 'link-local'
    if (p === 10 || (p === 172 && q >= 16 && q <= 31) || (p === 192 && q === 168) || (p === 100 && q >= 64 && q <= 127)) return 'lan'
    return 'global'
  }
  if (a === '::1') return 'loopback'
  if (/^fe[89ab]/.test(a)) return 'link-local'
  if (/^f[cd]/.test(a)) return 'lan'
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a)
  return mapped ? addressScope(mapped[1]!) : 'global'
}
