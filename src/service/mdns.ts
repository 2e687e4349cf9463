// One multicast DNS endpoint (bonjour-service over multicast-dns: a UDP socket on port 5353 in the group
// 224.0.0.251), set up the way advertising and browsing both need it: on every interface or on the one chosen, its
// errors caught instead of crashing the process, and its socket closed on request. IPv4 only (multicast-dns joins the
// IPv6 group only for a named interface).

import Bonjour from 'bonjour-service'
import { fromSocketError, type FramecastError } from '../core/errors'

/** The standard mDNS port (RFC 6762 §3); tests that must keep to themselves pick another. */
export const MDNS_PORT = 5353

export interface MdnsOptions {
  /**
   * The IPv4 address of the one interface to use (join the group, send from). Default: every interface for listening,
   * the system's choice (its multicast route) for sending.
   */
  interface?: string
  /** UDP port, default MDNS_PORT. */
  port?: number
}

/** The part of multicast-dns's object this service uses. Packets are dns-packet objects, unchecked. */
export interface MulticastDns {
  on(event: 'response', listener: (packet: unknown, rinfo: { address: string }) => void): unknown
  on(event: 'error' | 'warning', listener: (err: Error) => void): unknown
  removeListener(event: string, listener: (...args: never[]) => void): unknown
  query(name: string, type: string, callback?: (err: Error | null) => void): void
}

export interface Mdns {
  readonly bonjour: Bonjour
  readonly mdns: MulticastDns
  /** Close the socket (bonjour.destroy). Idempotent. */
  close(): Promise<void>
}

/**
 * Open an mDNS endpoint. `onError` hears what stops it from working (the port cannot be bound, the system refuses
 * multicast), as a FramecastError; passing trouble with single packets (a send that failed) is ignored.
 */
export function openMdns(options: MdnsOptions, onError: (e: FramecastError) => void): Mdns {
  const port = options.port ?? MDNS_PORT
  const report = (e: unknown): void => onError(fromSocketError(e, { port }))
  // Listen on the wildcard address: a socket bound to the interface's own address would never see the group's packets.
  const bonjour = new Bonjour({ port, bind: '0.0.0.0', ...(options.interface !== undefined ? { interface: options.interface } : {}) } as never, report)
  // bonjour-service keeps its multicast-dns object private, and that object throws an unhandled 'error' (socket bind
  // failures) unless someone listens: the listener goes on here, before the socket is bound.
  const mdns = (bonjour as unknown as { server: { mdns: MulticastDns } }).server.mdns
  mdns.on('error', report)
  mdns.on('warning', () => undefined)
  let closed: Promise<void> | null = null
  return {
    bonjour,
    mdns,
    close: () =>
      (closed ??= new Promise<void>((resolve) => {
        try {
          bonjour.destroy(() => resolve())
        } catch {
          resolve()
        }
      }))
  }
}
