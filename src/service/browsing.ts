// Listening for broadcasters: bonjour-service's DNS-SD browsers for `_framecast._tcp` and the Framecast MJPEG
// endpoints (`_framecast._sub._http._tcp`), fed only what relevantRecords lets through, kept current by asking again
// every few seconds, and read through readAdvertisement into the list a window shows.
//
// Liveness: a broadcaster that stops says goodbye (TTL 0) and is dropped at once. One that vanishes without a word
// (crashed, unplugged) would stay for its records' TTL (bonjour-service gives 2 minutes to 8 hours), so the browser
// asks again every `refreshMs` and drops an instance that has not answered for `expireMs` — RFC 6762 §10.5's
// "passive observation of failures" (no answer to two queries within ten seconds), applied to our own queries.

import Bonjour from 'bonjour-service'
import type { Browser, Service } from 'bonjour-service'
import { EventEmitter } from 'node:events'
import { readAdvertisement } from '../core/discovery/advertisement'
import { announcedInstances, relevantRecords, type ResourceRecord } from '../core/discovery/response-filter'
import type { FramecastError } from '../core/errors'
import { type DiscoveredBroadcaster, type DiscoveryList, FRAMECAST_SERVICE, HTTP_SERVICE, MJPEG_SUBTYPE } from '../shared/discovery'
import type { ErrorInfo } from '../shared/status'
import { type Mdns, type MdnsOptions, openMdns } from './mdns'

export interface BrowsingOptions extends MdnsOptions {
  /** Ask again this often, ms. */
  refreshMs?: number
  /** Drop an instance not heard from for this long, ms. */
  expireMs?: number
  /** Instances kept at most; further ones are not admitted until some go. */
  maxBroadcasters?: number
  /** Changes are gathered for this long before listeners hear of them, ms. */
  settleMs?: number
  log?: (line: string) => void
}

/** Defaults: ask every 4 s (and 1 s after starting, for a lost first answer); drop after 10 s of silence. */
export const BROWSE_REFRESH_MS = 4_000
export const BROWSE_EXPIRE_MS = 10_000
export const MAX_BROADCASTERS = 64
const SETTLE_MS = 100
const SECOND_QUERY_MS = 1_000

type Kind = typeof FRAMECAST_SERVICE | typeof HTTP_SERVICE

interface Browsed {
  readonly kind: Kind
  /** The PTR name asked for, lower-case. */
  readonly ptr: string
  readonly browser: Browser
}

/**
 * A running browse. `list` is what is heard now; listeners get the whole list again when it changes (gathered over
 * `settleMs`, so a burst of packets is one update). close() stops asking and closes the socket.
 */
export class Browsing {
  private readonly endpoint: Mdns
  /** What the bonjour-service browsers are given instead of the socket: the filtered responses. */
  private readonly gate = Object.assign(new EventEmitter(), { query: (name: string, type: string) => this.endpoint.mdns.query(name, type) })
  private readonly browsed: Browsed[]
  /** When each instance (full name, lower-case) was last heard announcing itself; at most maxBroadcasters entries. */
  private readonly heard = new Map<string, number>()
  private readonly listeners = new Set<(list: DiscoveryList) => void>()
  private readonly timers: NodeJS.Timeout[] = []
  private readonly reported = new Set<string>()
  private current: DiscoveryList = { broadcasters: [], error: null }
  private settleTimer: NodeJS.Timeout | null = null
  private error: ErrorInfo | null = null
  private closed = false
  private readonly refreshMs: number
  private readonly expireMs: number
  private readonly max: number
  private readonly settleMs: number

  constructor(private readonly options: BrowsingOptions = {}) {
    this.refreshMs = options.refreshMs ?? BROWSE_REFRESH_MS
    this.expireMs = options.expireMs ?? BROWSE_EXPIRE_MS
    this.max = options.maxBroadcasters ?? MAX_BROADCASTERS
    this.settleMs = options.settleMs ?? SETTLE_MS
    this.endpoint = openMdns(options, (e) => this.fail(e))
    const ptrs = new Set<string>()
    const onResponse = (packet: unknown, rinfo: { address: string }): void => {
      let room = this.max - this.heard.size
      const records = relevantRecords(packet, { browsed: ptrs, admit: (fqdn) => this.heard.has(fqdn) || room-- > 0 })
      if (records.length === 0) return
      const now = Date.now()
      for (const fqdn of announcedInstances(records)) this.heard.set(fqdn, now)
      this.gate.emit('response', { answers: records, additionals: [] as ResourceRecord[] }, rinfo)
    }
    this.endpoint.mdns.on('response', onResponse)
    this.browsed = [
      this.browse(FRAMECAST_SERVICE, { type: FRAMECAST_SERVICE }),
      // bonjour-service puts a browser's `name` in front of its type: this asks for the subtype (RFC 6763 §7.1).
      this.browse(HTTP_SERVICE, { type: HTTP_SERVICE, name: `_${MJPEG_SUBTYPE}._sub` })
    ]
    for (const b of this.browsed) ptrs.add(b.ptr)
    this.timers.push(setTimeout(() => this.refresh(), SECOND_QUERY_MS), setInterval(() => this.refresh(), this.refreshMs))
    for (const t of this.timers) t.unref()
  }

  get list(): DiscoveryList {
    return this.current
  }

  /** Hear every change of the list; returns the unsubscribe function. */
  subscribe(listener: (list: DiscoveryList) => void): () => void {
    this.listeners.add(listener)
    return () => void this.listeners.delete(listener)
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true
      for (const t of this.timers) clearTimeout(t)
      if (this.settleTimer) clearTimeout(this.settleTimer)
      for (const b of this.browsed) b.browser.stop()
      this.listeners.clear()
    }
    return this.endpoint.close()
  }

  private browse(kind: Kind, config: { type: string; name?: string }): Browsed {
    const browser = new Bonjour.Browser(this.gate, config)
    const changed = (): void => this.changed()
    browser.on('up', changed)
    browser.on('srv-update', changed)
    browser.on('txt-update', changed)
    browser.on('down', (service: Service) => {
      this.heard.delete(String(service.fqdn).toLowerCase())
      changed()
    })
    const ptr = `${config.name ? `${config.name}.` : ''}_${config.type}._tcp.local`.toLowerCase()
    return { kind, ptr, browser }
  }

  /** Ask again, and let go of instances that stopped answering: for the browser, a goodbye (TTL 0 PTR) from them. */
  private refresh(): void {
    if (this.closed) return
    const now = Date.now()
    for (const [fqdn, at] of this.heard) {
      if (now - at <= this.expireMs) continue
      this.heard.delete(fqdn)
      for (const b of this.browsed) {
        if (!b.browser.services.some((s) => String(s.fqdn).toLowerCase() === fqdn)) continue
        const goodbye: ResourceRecord = { name: b.ptr, type: 'PTR', ttl: 0, data: fqdn }
        this.gate.emit('response', { answers: [goodbye], additionals: [] }, { address: '' })
      }
    }
    for (const b of this.browsed) b.browser.update()
  }

  private fail(e: FramecastError): void {
    this.error = { code: e.code, message: `Cannot listen for broadcasters on this network: ${e.message}` }
    this.options.log?.(this.error.message)
    this.changed()
  }

  private changed(): void {
    if (this.closed || this.settleTimer) return
    this.settleTimer = setTimeout(() => {
      this.settleTimer = null
      this.publish()
    }, this.settleMs)
    this.settleTimer.unref()
  }

  private publish(): void {
    const broadcasters: DiscoveredBroadcaster[] = []
    for (const b of this.browsed) {
      for (const s of b.browser.services) {
        const reading = readAdvertisement({
          type: b.kind,
          fqdn: s.fqdn,
          port: s.port,
          txt: (s as Service & { rawTxt?: unknown }).rawTxt,
          from: s.referer?.address,
          addresses: s.addresses
        })
        if (reading.ok) broadcasters.push(reading.value)
        else this.reportOnce(String(s.fqdn), reading.error)
      }
    }
    broadcasters.sort((x, y) => x.name.localeCompare(y.name) || x.device.localeCompare(y.device) || x.port - y.port || x.id.localeCompare(y.id))
    const next: DiscoveryList = { broadcasters, error: this.error }
    if (JSON.stringify(next) === JSON.stringify(this.current)) return
    this.current = next
    for (const l of this.listeners) {
      try {
        l(next)
      } catch (e) {
        this.options.log?.(`a discovery listener failed: ${String(e)}`)
      }
    }
  }

  /** Log a refused advertisement once per instance (and code), not on every refresh. */
  private reportOnce(fqdn: string, error: FramecastError): void {
    const key = `${fqdn.slice(0, 300)}|${error.code}`
    if (this.reported.has(key)) return
    if (this.reported.size >= 4 * this.max) this.reported.clear()
    this.reported.add(key)
    this.options.log?.(`ignored an advertisement: ${error.message} (${error.code})`)
  }
}
