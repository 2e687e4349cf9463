// Discovery on the local network, for every shell (the app's main process, the browser host, the CLI): broadcasts
// advertise themselves over DNS-SD / multicast DNS, and Watch windows and `framecast list` browse for them. One
// Discovery per process holds the browse that every window shares and the advertisements of its broadcasts.
//
// FRAMECAST_MDNS_INTERFACE (an IPv4 address) keeps all of it to one interface: the tests set 127.0.0.1 so that no test
// ever multicasts onto a real network; a person may use it to choose the network on a machine with several.

import { hostname } from 'node:os'
import type { BroadcastAdvertisement } from '../core/discovery/advertisement'
import { FramecastError } from '../core/errors'
import { MJPEG_STREAM_PATH } from '../core/mjpeg/mjpeg-server'
import { isIPv4 } from '../shared/address'
import type { DiscoveryList } from '../shared/discovery'
import type { CodecName } from '../shared/protocol'
import type { ClassicMode } from '../shared/status'
import { Advertising } from './advertising'
import { Browsing, type BrowsingOptions } from './browsing'

/** The environment variable that keeps multicast DNS to one interface (an IPv4 address of this machine). */
export const MDNS_INTERFACE_ENV = 'FRAMECAST_MDNS_INTERFACE'

export type DiscoveryOptions = BrowsingOptions

/** This device's name as advertisements carry it: the host name's first label ("studio-pc" of "studio-pc.lan"). */
export function deviceName(): string {
  const h = hostname()
  return h.split('.')[0] || h
}

/** A running broadcast, as far as its advertisement is concerned. */
export interface AdvertisedBroadcast {
  /** false: the person turned advertising off. */
  advertise: boolean
  /** The address the broadcast listens on ('::', '0.0.0.0', or one address). */
  host: string
  name: string
  port: number
  classic: ClassicMode
  codec?: CodecName
  mjpegPort: number | null
  /**
   * This device's fingerprint (64 hex digits, DeviceStore.fingerprint) when the broadcast is private: viewers must pair,
   * and the advertisement says so with the key they will pin. Null or absent: an open broadcast.
   */
  fingerprint?: string | null
}

const isLoopback = (address: string): boolean => /^127\./.test(address) || address === '::1'

/**
 * What a running broadcast advertises, or null when it advertises nothing: turned off, or listening where those who
 * hear the advertisement cannot connect (a loopback address, unless multicast DNS itself is kept to loopback). The
 * one place a broadcast's advertised fields are chosen: a private broadcast adds `pairing` and its device fingerprint.
 */
export function broadcastAdvertisement(b: AdvertisedBroadcast, mdnsInterface?: string): BroadcastAdvertisement | null {
  if (!b.advertise || (isLoopback(b.host) && !isLoopback(mdnsInterface ?? ''))) return null
  return {
    name: b.name,
    device: deviceName(),
    port: b.port,
    classic: b.classic,
    codec: b.codec ?? 'jpeg',
    mjpegPort: b.mjpegPort,
    mjpegPath: MJPEG_STREAM_PATH,
    ...(b.fingerprint ? { pairing: true, fingerprint: b.fingerprint } : {})
  }
}

/** DiscoveryOptions with the interface from FRAMECAST_MDNS_INTERFACE when set (and none given). */
export function discoveryOptionsFromEnv(options: DiscoveryOptions = {}, env: NodeJS.ProcessEnv = process.env): DiscoveryOptions {
  const chosen = env[MDNS_INTERFACE_ENV]
  if (options.interface !== undefined || chosen === undefined || chosen === '') return options
  return { ...options, interface: chosen }
}

export class Discovery {
  private browsing: Browsing | null = null
  private readonly watchers = new Set<(list: DiscoveryList) => void>()
  private readonly advertisements = new Set<Advertising>()
  private readonly problem: FramecastError | null

  /** `options` default to discoveryOptionsFromEnv(). Nothing opens until the first advertise() or browse(). */
  constructor(private readonly options: DiscoveryOptions = discoveryOptionsFromEnv()) {
    const chosen = options.interface
    this.problem =
      chosen !== undefined && !isIPv4(chosen)
        ? new FramecastError('INVALID_ARGUMENT', `The interface for multicast DNS must be an IPv4 address, not ${JSON.stringify(chosen.slice(0, 64))}`)
        : null
  }

  /** What `broadcast` advertises through this Discovery (broadcastAdvertisement with its interface), or null. */
  advertisementFor(broadcast: AdvertisedBroadcast): BroadcastAdvertisement | null {
    return broadcastAdvertisement(broadcast, this.options.interface)
  }

  /**
   * Advertise a broadcast until the returned Advertising is stopped (or close()). Its `published` promise gives the
   * instance name once the network has been told. Throws FramecastError INVALID_ARGUMENT when the chosen interface is
   * not an IPv4 address.
   */
  advertise(ad: BroadcastAdvertisement): Advertising {
    if (this.problem) throw this.problem
    const advertising: Advertising = new Advertising(ad, {
      ...this.mdnsOptions(),
      log: (line) => this.options.log?.(line),
      onStop: () => this.advertisements.delete(advertising)
    })
    this.advertisements.add(advertising)
    return advertising
  }

  /** Hear the list of broadcasters whenever it changes; returns the unsubscribe function. The first browse opens the socket, the last unsubscribe closes it. */
  browse(listener: (list: DiscoveryList) => void): () => void {
    this.watchers.add(listener)
    if (this.problem) {
      const list: DiscoveryList = { broadcasters: [], error: { code: this.problem.code, message: this.problem.message } }
      queueMicrotask(() => this.watchers.has(listener) && listener(list))
    } else {
      this.browsing ??= new Browsing({ ...this.options, ...this.mdnsOptions() })
    }
    const off = this.browsing?.subscribe(listener)
    return () => {
      off?.()
      this.watchers.delete(listener)
      if (this.watchers.size === 0 && this.browsing) {
        void this.browsing.close()
        this.browsing = null
      }
    }
  }

  /** What the browse hears now (empty when nobody browses). */
  current(): DiscoveryList {
    if (this.problem) return { broadcasters: [], error: { code: this.problem.code, message: this.problem.message } }
    return this.browsing?.list ?? { broadcasters: [], error: null }
  }

  /** Withdraw every advertisement (goodbyes go out) and stop browsing. */
  async close(): Promise<void> {
    const browsing = this.browsing
    this.browsing = null
    this.watchers.clear()
    await Promise.all([browsing?.close(), ...[...this.advertisements].map((a) => a.stop())])
  }

  private mdnsOptions(): { interface?: string; port?: number } {
    return {
      ...(this.options.interface !== undefined ? { interface: this.options.interface } : {}),
      ...(this.options.port !== undefined ? { port: this.options.port } : {})
    }
  }
}
