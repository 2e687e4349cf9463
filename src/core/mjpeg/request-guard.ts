// Who may read a broadcast's MJPEG endpoint: the one request check the MJPEG server makes before anything else.
//
// - The URL must carry the broadcast's random token (`?token=...`, compared in constant time); without it the answer
//   is 404, as for a path that does not exist, so the endpoint does not even confirm it is there.
// - The Host header must name this machine: one of its addresses, or a name public DNS cannot hand out — a single
//   label ("cam", "localhost") or one under a local-use suffix (.local, .lan, .home, .home.arpa, .internal,
//   .localdomain), besides its own host name. A web page whose public DNS name was rebound to the broadcaster's address
//   sends that name and gets 403, so it cannot read /snapshot.jpg with the visitor's browser. Requests without a Host
//   header (HTTP/1.0 players) pass.
// - Every answer says Cross-Origin-Resource-Policy: same-origin, so no other site can embed the pictures.

import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { hostname, networkInterfaces } from 'node:os'
import type { RequestTarget } from './request-target'

export const MJPEG_TOKEN_PARAM = 'token'

export interface MjpegGuard {
  /** The token a request must carry; null lets any request through (tests and tools only). */
  token: string | null
  /** The names and addresses (lowercase, IPv6 without brackets or zone) this machine answers to. */
  localNames: () => ReadonlySet<string>
}

/** This machine's names: every interface address, localhost, the host name and host name.local (cached for 5 s). */
export const localHostNames: () => ReadonlySet<string> = (() => {
  let cached: { at: number; names: Set<string> } | null = null
  return () => {
    const now = Date.now()
    if (cached !== null && now - cached.at < 5_000) return cached.names
    const names = new Set<string>(['localhost', '127.0.0.1', '::1'])
    const host = hostname().toLowerCase()
    if (host) names.add(host).add(`${host}.local`)
    for (const list of Object.values(networkInterfaces())) for (const i of list ?? []) names.add(i.address.toLowerCase().split('%')[0]!)
    cached = { at: now, names }
    return names
  }
})()

const LOCAL_SUFFIX = /\.(local|lan|home|home\.arpa|internal|localdomain)$/

/** True when `name` (from hostOfHeader) can only mean this machine, or a name a public DNS cannot serve. */
export function isLocalName(name: string, localNames: ReadonlySet<string>): boolean {
  if (localNames.has(name)) return true
  if (name.includes(':') || /^[\d.]+$/.test(name)) return false
  return !name.includes('.') || LOCAL_SUFFIX.test(name)
}

/** The host part of a Host header ("[fe80::1]:8080" → "fe80::1", "Cam.local." → "cam.local"); null when malformed. */
export function hostOfHeader(header: string): string | null {
  const h = header.trim().toLowerCase()
  const bracketed = /^\[([0-9a-f:.]+)(?:%[^\]]*)?\](?::\d{1,5})?$/.exec(h)
  if (bracketed) return bracketed[1]!
  const plain = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h)
  return plain ? plain[1]!.replace(/\.$/, '') : null
}

function sameToken(given: string | null, token: string): boolean {
  if (given === null) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/**
 * Check one request, whose request-target has been parsed into `target`, against `guard`. Returns true when it may be
 * served; otherwise it has been answered (404 without the token, 403 for a foreign host) and the caller does nothing
 * more. The host checked is the one an absolute-form target names, else the Host header (RFC 9112 §3.2.2). Sets
 * Cross-Origin-Resource-Policy either way.
 */
export function checkMjpegRequest(req: IncomingMessage, res: ServerResponse, guard: MjpegGuard, target: RequestTarget): boolean {
  res.setHeader('Cross-Origin-Resource-Policy', 'same-origin')
  const host = target.authority ?? req.headers.host
  if (host !== undefined) {
    const name = hostOfHeader(host)
    if (name === null || !isLocalName(name, guard.localNames())) {
      answer(res, 403, 'This stream is only served under this computer’s own addresses.\n')
      return false
    }
  }
  if (guard.token !== null) {
    const given = new URLSearchParams(target.query).get(MJPEG_TOKEN_PARAM)
    if (!sameToken(given, guard.token)) {
      answer(res, 404, 'Not found.\n')
      return false
    }
  }
  return true
}

function answer(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}
