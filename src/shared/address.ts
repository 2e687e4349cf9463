// The address grammar: what a person may type as a partner's host and port, and how a host:port is written.
// Pure TypeScript, shared by the windows (form validation), the IPC contract, the CLI and the networking core.

import * as v from 'valibot'

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const HOSTNAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*\.?$/

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
export const PortSchema = v.pipe(
  v.number('The port must be a number'),
  v.integer('The port must be a whole number'),
  v.minValue(1, 'The port must be between 1 and 65535'),
  v.maxValue(65535, 'The port must be between 1 and 65535')
)
/** Where the broadcaster listens: an address of this machine, or a wildcard ('0.0.0.0' or '::'). */
export const BindHostSchema = v.pipe(
  v.string(),
  v.check((s) => isIPv4(s) || isIPv6(s), 'Choose one of this machine’s network interfaces')
)

