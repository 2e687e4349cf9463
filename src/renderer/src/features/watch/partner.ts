import * as v from 'valibot'
import { HostSchema, PortSchema } from '../../../../shared/address'
import { formatHostPort, splitHostPort } from '../../lib/address'

export type PartnerCheck =
  | { ok: true; host: string; port: number; address: string }
  | { ok: false; hostError: string | null; portError: string | null }

export function hostError(text: string): string | null {
  const r = v.safeParse(HostSchema, text)
  return r.success ? null : r.issues[0].message
}

export function portError(text: string): string | null {
  const t = text.trim()
  const r = v.safeParse(PortSchema, /^\d+$/.test(t) ? Number(t) : t === '' ? undefined : Number.NaN)
  return r.success ? null : r.issues[0].message
}

/**
 * Read the host and port fields. A host field that carries a port ("10.0.0.5:9000", "[fe80::1]:9000") wins over
 * the port field, so a pasted address just works.
 */
export function checkPartner(hostText: string, portText: string): PartnerCheck {
  const split = splitHostPort(hostText)
  const hostIn = split ? split.host : hostText
  const portIn = split ? split.port : portText
  const he = hostError(hostIn)
  const pe = portError(portIn)
  if (he !== null || pe !== null) return { ok: false, hostError: he, portError: pe }
  const host = v.parse(HostSchema, hostIn)
  const port = Number(portIn.trim())
  return { ok: true, host, port, address: formatHostPort(host, port) }
}

/** Fields to fill from a remembered "host:port". */
export function fieldsFromAddress(address: string): { host: string; port: string } {
  const split = splitHostPort(address)
  return split ?? { host: address, port: '' }
}
