// What a DNS-SD browser may see of one multicast DNS response. Every response on the link reaches every listener, and
// anyone can send one: a browser fed them whole would keep every instance name it is told about and match every record
// against every other. So a response is cut down first to what browsing needs — PTR records of the browsed types
// (RFC 6763 §4.1), the SRV and TXT records of those instances and the addresses of their SRV targets — with a cap on
// each, so that what the browser does with one packet is bounded whatever the packet holds. Never throws.

import { MAX_ADVERTISED_ADDRESSES } from '../../shared/discovery'

/** A resource record as dns-packet decodes it; only the fields browsing reads. */
export interface ResourceRecord {
  name: string
  type: string
  ttl: number
  data: unknown
}

/** Responses with more records than this (answers and additionals together) are not looked at. */
export const MAX_RECORDS_PER_RESPONSE = 256
/** Service instances taken from one response; further PTR records in it are ignored. */
export const MAX_INSTANCES_PER_RESPONSE = 16
/** DNS names are at most 255 bytes (RFC 1035 §2.3.4); a longer "name" is not one. */
const MAX_NAME_LENGTH = 255

export interface FilterOptions {
  /** The PTR names browsed, lower-case ("_framecast._tcp.local"). */
  browsed: ReadonlySet<string>
  /**
   * Whether an instance (its full name, lower-case) may be added: a browser keeps a bounded number of them. Called
   * for announcements (TTL > 0) only: a goodbye (TTL 0) passes alone, without the instance's other records.
   */
  admit: (fqdn: string) => boolean
}

/**
 * The records of `packet` (a dns-packet response: `{ answers, additionals }`) that describe browsed instances:
 * their PTR records, SRV and TXT records, and the A/AAAA records of their SRV targets (at most MAX_ADVERTISED_ADDRESSES
 * each), and goodbyes (PTR records with TTL 0) on their own. At most MAX_INSTANCES_PER_RESPONSE instances (and as many
 * goodbyes) are taken, admitted ones only; a
 * response over MAX_RECORDS_PER_RESPONSE records, or one that describes no browsed instance, gives an empty list.
 * Records whose fields have the wrong types are skipped.
 */
export function relevantRecords(packet: unknown, options: FilterOptions): ResourceRecord[] {
  if (typeof packet !== 'object' || packet === null) return []
  const { answers, additionals } = packet as { answers?: unknown; additionals?: unknown }
  const sections = [answers, additionals].filter(Array.isArray) as unknown[][]
  if (sections.reduce((n, s) => n + s.length, 0) > MAX_RECORDS_PER_RESPONSE) return []

  const pointers: ResourceRecord[] = []
  const instances = new Set<string>()
  let goodbyes = 0
  const byName = new Map<string, ResourceRecord[]>()
  for (const section of sections) {
    for (const item of section) {
      const rr = asRecord(item)
      if (rr === null) continue
      const name = rr.name.toLowerCase()
      if (rr.type === 'PTR') {
        if (!options.browsed.has(name) || typeof rr.data !== 'string' || rr.data.length > MAX_NAME_LENGTH) continue
        const instance = rr.data.toLowerCase()
        if (rr.ttl === 0) {
          // A goodbye: passed on so the browser forgets the instance; it brings in none of the instance's records.
          if (goodbyes++ < MAX_INSTANCES_PER_RESPONSE) pointers.push(rr)
          continue
        }
        if (!instances.has(instance)) {
          if (instances.size === MAX_INSTANCES_PER_RESPONSE || !options.admit(instance)) continue
          instances.add(instance)
        }
        pointers.push(rr)
      } else if (rr.type === 'SRV' || rr.type === 'TXT' || rr.type === 'A' || rr.type === 'AAAA') {
        const list = byName.get(name)
        if (list) list.push(rr)
        else byName.set(name, [rr])
      }
    }
  }
  if (pointers.length === 0) return []

  const out = [...pointers]
  const targets = new Set<string>()
  for (const instance of instances) {
    for (const rr of byName.get(instance) ?? []) {
      if (rr.type === 'SRV' && validSrv(rr.data)) {
        out.push(rr)
        targets.add(rr.data.target.toLowerCase())
      } else if (rr.type === 'TXT' && Array.isArray(rr.data)) {
        out.push(rr)
      }
    }
  }
  for (const target of targets) {
    let kept = 0
    for (const rr of byName.get(target) ?? []) {
      if ((rr.type !== 'A' && rr.type !== 'AAAA') || typeof rr.data !== 'string' || kept === MAX_ADVERTISED_ADDRESSES) continue
      out.push(rr)
      kept++
    }
  }
  return out
}

/** The full names of the instances announced (TTL > 0) in `records`: what a browser has just heard from. */
export function announcedInstances(records: readonly ResourceRecord[]): string[] {
  const out = new Set<string>()
  for (const rr of records) {
    if (rr.ttl <= 0) continue
    if (rr.type === 'PTR' && typeof rr.data === 'string') out.add(rr.data.toLowerCase())
    else if (rr.type === 'SRV' || rr.type === 'TXT') out.add(rr.name.toLowerCase())
  }
  return [...out]
}

function asRecord(item: unknown): ResourceRecord | null {
  if (typeof item !== 'object' || item === null) return null
  const { name, type, ttl, data } = item as Partial<ResourceRecord>
  if (typeof name !== 'string' || name.length > MAX_NAME_LENGTH || typeof type !== 'string') return null
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) return null
  return { name, type, ttl, data }
}

function validSrv(data: unknown): data is { port: number; target: string } {
  if (typeof data !== 'object' || data === null) return false
  const { port, target } = data as { port?: unknown; target?: unknown }
  return typeof port === 'number' && typeof target === 'string' && target.length <= MAX_NAME_LENGTH
}
