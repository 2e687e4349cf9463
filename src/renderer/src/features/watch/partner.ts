// The Watch form's two fields, read as a partner address: host (or a pasted host:port) and port.

import * as v from 'valibot'
import { formatHostPort, HostSchema, readPort, splitHostPort } from '../../../../shared/address'

export type PartnerCheck =
  | { ok: true; host: string; port: number; address: string }
  | { ok: false; hostError: string | null; portError: string | null }

/** What is wrong with a host field's text, in HostSchema's words; null when it is a valid host. */
export function hostError(text: string): string | null {
  const r = v.safeParse(HostSchema, text)
  return r.success ? null : r.issues[0].message
}

/**
 * Read the host and port fields. A host field that carries a port ("10.0.0.5:9000", "[fe80::1]:9000") wins over
 * the port field, so a pasted address just works.
 */
export function checkPartner(hostText: string, portText: string): PartnerCheck {
  const split = splitHostPort(hostText)
  const hostIn = split ? split.host : hostText
  const host = v.safeParse(HostSchema, hostIn)
  const port = readPort(split ? split.port : portText)
  if (!host.success || port.port === null) {
    return { ok: false, hostError: host.success ? null : host.issues[0].message, portError: port.problem }
  }
  return { ok: true, host: host.output, port: port.port, address: formatHostPort(host.output, port.port) }
}

/** Fields to fill from a remembered "host:port". */
export function fieldsFromAddress(address: string): { host: string; port: string } {
  const split = splitHostPort(address)
  return split ?? { host: address, port: '' }
}
