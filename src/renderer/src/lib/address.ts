import { isIPv6 } from '../../../shared/address'

export { formatHostPort } from '../../../shared/address'

/**
 * Split an address a person pasted into the host field: "192.168.1.20:9999", "studio.local:8000" or
 * "[fe80::1]:9999". Returns null when the text carries no port (a bare IPv6 address has colons but no port).
 */
export function splitHostPort(text: string): { host: string; port: string } | null {
  const s = text.trim()
  const bracketed = /^\[([^\]]+)\]:(\d{1,5})$/.exec(s)
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2]! }
  const plain = /^([^:[\]\s]+):(\d{1,5})$/.exec(s)
  if (plain) return { host: plain[1]!, port: plain[2]! }
  return null
}

/** True when the text is an IPv6 address written without brackets (so it has no port in it). */
export function isBareIPv6(text: string): boolean {
  return isIPv6(text.trim())
}
