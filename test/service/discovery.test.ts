// Advertising and browsing through real multicast DNS on the loopback interface, on a UDP port of this test's own
// (not 5353), so nothing leaves this machine and no other program's traffic mixes in. A raw mDNS endpoint plays the
// hostile neighbour: floods of instances, oversized and malformed records, garbage datagrams.

import { createSocket } from 'node:dgram'
import { afterEach, describe, expect, it } from 'vitest'
import type { BroadcastAdvertisement } from '../../src/core/discovery/advertisement'
import { Advertising } from '../../src/service/advertising'
import { broadcastAdvertisement, Discovery, type DiscoveryOptions, discoveryOptionsFromEnv, MDNS_INTERFACE_ENV } from '../../src/service/discovery'
import { openMdns } from '../../src/service/mdns'
import type { DiscoveredBroadcaster, DiscoveryList } from '../../src/shared/discovery'

/** A port per test process, away from 5353 and from the ephemeral range's usual start. */
const PORT = 20_000 + (process.pid % 10_000)
const LOOPBACK = { interface: '127.0.0.1', port: PORT }
const TAG = `t${process.pid.toString(36)}`

const cleanup: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
})

function discovery(options: DiscoveryOptions = {}): { d: Discovery; logs: string[] } {
  const logs: string[] = []
  const d = new Discovery({ ...LOOPBACK, log: (l) => logs.push(l), ...options })
  cleanup.push(() => d.close())
  return { d, logs }
}

function broadcast(name: string, more: Partial<BroadcastAdvertisement> = {}): BroadcastAdvertisement {
  return { name: `${name} ${TAG}`, device: 'test-box', port: 9999, classic: 'off', codec: 'jpeg', mjpegPort: null, mjpegPath: '/stream.mjpg', ...more }
}

/** One browse for the whole test: waitFor(until) resolves with the first list (the current one included) that passes. */
function listen(d: Discovery): { waitFor(until: (list: DiscoveryList) => boolean, timeoutMs?: number): Promise<{ list: DiscoveryList; ms: number }> } {
  let current = d.current()
  const waiters = new Set<(list: DiscoveryList) => void>()
  const off = d.browse((list) => {
    current = list
    for (const w of [...waiters]) w(list)
  })
  cleanup.push(off)
  return {
    waitFor: (until, timeoutMs = 5_000) => {
      const t0 = performance.now()
      return new Promise((resolve, reject) => {
        const check = (list: DiscoveryList): void => {
          if (!until(list)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve({ list, ms: performance.now() - t0 })
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching list within ${timeoutMs} ms; last: ${JSON.stringify(current)}`))
        }, timeoutMs)
        waiters.add(check)
        check(current)
      })
    }
  }
}

const ours = (list: DiscoveryList): DiscoveredBroadcaster[] => list.broadcasters.filter((b) => b.name.endsWith(TAG) || b.instance.includes(TAG))
const named = (name: string) => (list: DiscoveryList) => ours(list).some((b) => b.name === `${name} ${TAG}`)

describe('discovery over loopback multicast DNS', () => {
  it('hears a broadcast with its name, device, port and kind, and its MJPEG endpoint', async () => {
    const { d } = discovery()
    const ad = d.advertise(broadcast('Studio', { mjpegPort: 8080 }))
    const { list } = await listen(d).waitFor((l) => ours(l).length === 2)
    const [mjpeg, native] = [ours(list).find((b) => b.kind === 'mjpeg')!, ours(list).find((b) => b.kind === 'framecast')!]
    expect(native).toMatchObject({ name: `Studio ${TAG}`, device: 'test-box', host: '127.0.0.1', port: 9999, protocolVersion: 2, codec: 'jpeg', supported: true })
    expect(native.instance).toBe(`Studio ${TAG} on test-box`)
    expect(mjpeg).toMatchObject({ port: 8080, path: '/stream.mjpg', instance: native.instance })
    expect(await ad.published).toBe(native.instance)
  })

  it('lists a broadcast that starts while it browses, and drops it at once when it says goodbye', async () => {
    const { d } = discovery()
    const browse = listen(d)
    const listening = browse.waitFor(named('Late'))
    const ad = d.advertise(broadcast('Late', { classic: 'jpeg' }))
    const { list } = await listening
    expect(ours(list)[0]).toMatchObject({ kind: 'classic-jpeg', protocolVersion: null })
    const gone = browse.waitFor((l) => !named('Late')(l))
    await ad.stop()
    // The goodbye is one datagram; the list follows within its settle time (100 ms), long before any expiry.
    const { ms } = await gone
    expect(ms).toBeLessThan(3_000)
  })

  it('gives a second broadcast of the same name on the same device another instance name', async () => {
    const { d } = discovery()
    const first = d.advertise(broadcast('Twin'))
    expect(await first.published).toBe(`Twin ${TAG} on test-box`)
    const second = d.advertise(broadcast('Twin', { port: 9998 }))
    expect(await second.published).toBe(`Twin ${TAG} on test-box (2)`)
    const { list } = await listen(d).waitFor((l) => ours(l).length === 2)
    expect(ours(list).map((b) => [b.instance, b.port])).toEqual([
      [`Twin ${TAG} on test-box (2)`, 9998],
      [`Twin ${TAG} on test-box`, 9999]
    ])
  })

  it('drops a broadcaster that vanishes without a goodbye once it stops answering', async () => {
    const { d } = discovery({ refreshMs: 200, expireMs: 800 })
    const vanishing = new Advertising(broadcast('Crash'), LOOPBACK)
    cleanup.push(() => vanishing.stop())
    const browse = listen(d)
    await browse.waitFor(named('Crash'))
    // Close its socket without the goodbye, as a crashed process would.
    await (vanishing as unknown as { endpoint: { close(): Promise<void> } }).endpoint.close()
    const { ms } = await browse.waitFor((l) => !named('Crash')(l))
    expect(ms).toBeGreaterThan(300)
  })

  it('keeps at most maxBroadcasters instances when a neighbour floods it, and keeps those it had', async () => {
    const { d } = discovery({ maxBroadcasters: 10 })
    const real = d.advertise(broadcast('Real'))
    cleanup.push(() => real.stop())
    const browse = listen(d)
    await browse.waitFor(named('Real'))
    const flooder = openMdns(LOOPBACK, () => undefined)
    cleanup.push(() => flooder.close())
    const respond = (flooder.mdns as unknown as { respond(p: object, cb?: () => void): void }).respond.bind(flooder.mdns)
    for (let burst = 0; burst < 40; burst++) {
      const answers = Array.from({ length: 16 }, (_, i) => {
        const fqdn = `Fake ${burst}-${i} ${TAG}._framecast._tcp.local`
        return [
          { name: '_framecast._tcp.local', type: 'PTR', ttl: 4500, data: fqdn },
          { name: fqdn, type: 'SRV', ttl: 120, data: { port: 1000 + i, target: 'fake.local' } },
          { name: fqdn, type: 'TXT', ttl: 4500, data: [Buffer.from('proto=2'), Buffer.from('codec=jpeg')] }
        ]
      }).flat()
      await new Promise<void>((r) => respond({ answers }, () => r()))
    }
    const { list } = await browse.waitFor((l) => ours(l).length >= 10)
    await new Promise((r) => setTimeout(r, 500))
    expect(ours(d.current())).toHaveLength(10)
    expect(named('Real')(list)).toBe(true)
  })

  it('leaves out oversized and malformed advertisements, logs each once, and shrugs off garbage datagrams', async () => {
    const { d, logs } = discovery()
    const good = d.advertise(broadcast('Fine'))
    cleanup.push(() => good.stop())
    const neighbour = openMdns(LOOPBACK, () => undefined)
    cleanup.push(() => neighbour.close())
    const respond = (neighbour.mdns as unknown as { respond(p: object, cb?: () => void): void }).respond.bind(neighbour.mdns)
    const service = (label: string, txt: Buffer[]) => {
      const fqdn = `${label} ${TAG}._framecast._tcp.local`
      return [
        { name: '_framecast._tcp.local', type: 'PTR', ttl: 4500, data: fqdn },
        { name: fqdn, type: 'SRV', ttl: 120, data: { port: 4000, target: 'odd.local' } },
        { name: fqdn, type: 'TXT', ttl: 4500, data: txt }
      ]
    }
    const garbage = createSocket({ type: 'udp4', reuseAddr: true })
    cleanup.push(() => new Promise<void>((r) => garbage.close(() => r())))
    await new Promise<void>((r) => garbage.bind(0, '127.0.0.1', () => r()))
    garbage.setMulticastInterface('127.0.0.1')
    const browsing = listen(d).waitFor(named('Fine'))
    for (let i = 0; i < 3; i++) {
      await new Promise<void>((r) => respond({ answers: service('Huge', Array.from({ length: 8 }, (_, k) => Buffer.alloc(200, 0x61 + k))) }, () => r()))
      await new Promise<void>((r) => respond({ answers: service('Twisted', [Buffer.from('proto=two'), Buffer.from('codec=jpeg')]) }, () => r()))
      for (const bytes of [Buffer.alloc(0), Buffer.from('not dns at all'), Buffer.alloc(1400, 0xff)]) {
        await new Promise<void>((r) => garbage.send(bytes, PORT, '224.0.0.251', () => r()))
      }
    }
    const { list } = await browsing
    await new Promise((r) => setTimeout(r, 300))
    expect(ours(d.current()).map((b) => b.name)).toEqual([`Fine ${TAG}`])
    expect(list.error).toBeNull()
    expect(logs.filter((l) => l.includes(`Huge ${TAG}`))).toEqual([expect.stringMatching(/longer than 1300 bytes.*MESSAGE_TOO_LARGE/)])
    expect(logs.filter((l) => l.includes(`Twisted ${TAG}`))).toEqual([expect.stringMatching(/protocol version.*MALFORMED_MESSAGE/)])
  })

  it('says why it cannot browse, and publishes nothing, when another program holds the port', async () => {
    const holder = createSocket({ type: 'udp4', reuseAddr: false })
    cleanup.push(() => new Promise<void>((r) => holder.close(() => r())))
    await new Promise<void>((r) => holder.bind(0, '0.0.0.0', () => r()))
    const { d } = discovery({ port: holder.address().port })
    const { list } = await listen(d).waitFor((l) => l.error !== null)
    expect(list.error).toEqual({ code: 'ADDRESS_IN_USE', message: `Cannot listen for broadcasters on this network: Port ${holder.address().port} is already in use by another program` })
    expect(await d.advertise(broadcast('Blocked')).published).toBeNull()
  })

  it('says it cannot browse, and refuses to advertise, when the chosen interface is not an IPv4 address', async () => {
    const { d } = discovery({ interface: 'eth0' })
    const { list } = await listen(d).waitFor((l) => l.error !== null)
    expect(list.error).toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(() => d.advertise(broadcast('Nowhere'))).toThrow(/IPv4 address/)
  })
})

describe('what a broadcast advertises', () => {
  const base = { advertise: true, host: '::', name: 'Studio', port: 9999, classic: 'off' as const, mjpegPort: 8080 }

  it('describes a broadcast on every interface, with this device and the MJPEG path', () => {
    expect(broadcastAdvertisement(base)).toMatchObject({ name: 'Studio', port: 9999, codec: 'jpeg', mjpegPort: 8080, mjpegPath: '/stream.mjpg' })
    expect(broadcastAdvertisement(base)!.device).not.toBe('')
  })

  it('advertises nothing when turned off, or when only this computer can connect but others would hear it', () => {
    expect(broadcastAdvertisement({ ...base, advertise: false })).toBeNull()
    expect(broadcastAdvertisement({ ...base, host: '127.0.0.1' })).toBeNull()
    expect(broadcastAdvertisement({ ...base, host: '::1' }, '192.168.1.5')).toBeNull()
    expect(broadcastAdvertisement({ ...base, host: '192.168.1.5' })).not.toBeNull()
    // Multicast DNS kept to loopback: those who hear it are on this computer, and can connect to loopback.
    expect(broadcastAdvertisement({ ...base, host: '127.0.0.1' }, '127.0.0.1')).not.toBeNull()
    expect(new Discovery({ interface: '127.0.0.1' }).advertisementFor({ ...base, host: '::1' })).not.toBeNull()
    expect(new Discovery({}).advertisementFor({ ...base, host: '::1' })).toBeNull()
  })

  it(`takes the interface from ${MDNS_INTERFACE_ENV} unless one is given`, () => {
    expect(discoveryOptionsFromEnv({}, { [MDNS_INTERFACE_ENV]: '127.0.0.1' })).toEqual({ interface: '127.0.0.1' })
    expect(discoveryOptionsFromEnv({ interface: '10.0.0.2' }, { [MDNS_INTERFACE_ENV]: '127.0.0.1' })).toEqual({ interface: '10.0.0.2' })
    expect(discoveryOptionsFromEnv({}, {})).toEqual({})
    // The tests themselves run with it set: nothing they start multicasts beyond this machine.
    expect(process.env[MDNS_INTERFACE_ENV]).toBe('127.0.0.1')
  })
})
