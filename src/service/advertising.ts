// One broadcast's advertisement on the local network: its DNS-SD services published over multicast DNS with
// bonjour-service, under an instance name nobody else on the link holds, and withdrawn with a goodbye (records with
// TTL 0, RFC 6762 §10.1) so browsers drop it at once. Each advertisement has its own mDNS endpoint: bonjour-service
// forgets records by name, so two advertisements sharing one would take each other's records down on withdrawal.

import { randomBytes } from 'node:crypto'
import type { Service } from 'bonjour-service'
import { advertisementsFor, type BroadcastAdvertisement, instanceName } from '../core/discovery/advertisement'
import type { FramecastError } from '../core/errors'
import { type MdnsOptions, type MulticastDns, openMdns } from './mdns'

/** RFC 6762 §8.1: three probe queries 250 ms apart, the first after a random delay of up to 250 ms. */
const PROBE_INTERVAL_MS = 250
const PROBES = 3
/** Names tried before giving up: "<name> on <device>", then "... (2)" up to this. */
const MAX_NAME_TRIES = 9
/** A goodbye that the socket has not confirmed by then is given up on; the socket closes anyway. */
const GOODBYE_TIMEOUT_MS = 1_000

export interface AdvertisingOptions extends MdnsOptions {
  log?: (line: string) => void
  onError?: (e: FramecastError) => void
  /** Called once when stop() is first called. */
  onStop?: () => void
}

/**
 * Publishes `advertisementsFor(ad)`: first probes for a free instance name (RFC 6762 §8.1; a taken one is retried as
 * "<name> (2)", ... §9), then announces (bonjour-service repeats the announcement at 1 s, 3 s, 9 s, ...) and answers
 * queries until stop(). The SRV target is a host name of this advertisement's own ("<device>-framecast-<hex>.local")
 * with this machine's addresses, so withdrawing it never disturbs the names the system's own responder keeps.
 */
export class Advertising {
  /** The instance name once published; null before, and when no free name was found or the endpoint failed. */
  instance: string | null = null
  /** Resolves with the instance name once the first announcement is out, or null when it never will be. */
  readonly published: Promise<string | null>
  private readonly endpoint
  private readonly services: Service[] = []
  private stopped = false
  /** The endpoint failed (its socket could not be bound): nothing this advertisement sends goes anywhere. */
  private failed = false
  private stopping: Promise<void> | null = null

  constructor(
    readonly advertisement: BroadcastAdvertisement,
    private readonly options: AdvertisingOptions = {}
  ) {
    this.endpoint = openMdns(options, (e) => {
      this.failed = true
      this.options.log?.(`advertising: ${e.message}`)
      this.options.onError?.(e)
    })
    this.published = this.publish().catch((e: unknown) => {
      this.options.log?.(`advertising failed: ${e instanceof Error ? e.message : String(e)}`)
      return null
    })
  }

  /** Withdraw: a goodbye for every record, then the socket closes. Idempotent. */
  stop(): Promise<void> {
    this.stopped = true
    if (this.stopping === null) this.options.onStop?.()
    this.stopping ??= (async () => {
      if (this.services.length > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, GOODBYE_TIMEOUT_MS)
          this.endpoint.bonjour.unpublishAll(() => {
            clearTimeout(timer)
            resolve()
          })
        })
      }
      await this.endpoint.close()
    })()
    return this.stopping
  }

  private async publish(): Promise<string | null> {
    const ads = advertisementsFor(this.advertisement)
    const host = `${hostLabel(this.advertisement.device)}-framecast-${randomBytes(3).toString('hex')}.local`
    for (let n = 1; n <= MAX_NAME_TRIES && !this.stopped && !this.failed; n++) {
      const instance = instanceName(this.advertisement.name, this.advertisement.device, n)
      const fqdns = ads.map((a) => `${instance}._${a.type}._tcp.local`)
      if (!(await this.nameIsFree(fqdns))) {
        this.options.log?.(`advertising: "${instance}" is taken on this network; trying another name`)
        continue
      }
      if (this.stopped) return null
      const up = ads.map((a) => {
        const service = this.endpoint.bonjour.publish({ name: instance, type: a.type, subtypes: a.subtypes, port: a.port, txt: a.txt, host, probe: false })
        this.services.push(service)
        return new Promise<void>((resolve) => service.once('up', () => resolve()))
      })
      await Promise.race([up[0], new Promise((resolve) => setTimeout(resolve, 2_000).unref())])
      if (this.stopped || this.failed) return null
      this.instance = instance
      return instance
    }
    return null
  }

  /** Probe: ask three times for anything named like our services; an answer means the name is someone else's. */
  private nameIsFree(fqdns: string[]): Promise<boolean> {
    const mdns: MulticastDns = this.endpoint.mdns
    const wanted = new Set(fqdns.map((f) => f.toLowerCase()))
    return new Promise<boolean>((resolve) => {
      let timer: NodeJS.Timeout | undefined
      let sent = 0
      const onResponse = (packet: unknown): void => {
        if (namesAny(packet, wanted)) done(false)
      }
      const done = (free: boolean): void => {
        clearTimeout(timer)
        mdns.removeListener('response', onResponse as never)
        resolve(free)
      }
      const probe = (): void => {
        if (this.stopped) return done(false)
        if (sent === PROBES) return done(true)
        sent++
        for (const f of fqdns) mdns.query(f, 'ANY')
        timer = setTimeout(probe, PROBE_INTERVAL_MS)
      }
      mdns.on('response', onResponse)
      timer = setTimeout(probe, Math.random() * PROBE_INTERVAL_MS)
    })
  }
}

/** Whether a response holds a record named one of `names` (lower-case). */
function namesAny(packet: unknown, names: ReadonlySet<string>): boolean {
  if (typeof packet !== 'object' || packet === null) return false
  const { answers, additionals } = packet as { answers?: unknown; additionals?: unknown }
  for (const section of [answers, additionals]) {
    if (!Array.isArray(section)) continue
    for (const rr of section as unknown[]) {
      const name = (rr as { name?: unknown } | null)?.name
      if (typeof name === 'string' && names.has(name.toLowerCase())) return true
    }
  }
  return false
}

/** A host-name label from a device name: letters, digits and hyphens, at most 40 characters. */
function hostLabel(device: string): string {
  const label = device
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
  return label || 'device'
}
