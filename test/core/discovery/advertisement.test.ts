// Framecast's DNS-SD advertisement: what a broadcaster publishes reads back as what it said, and a heard service that
// breaks the record's rules — oversized, malformed, wrong types, repeated keys — is refused with a coded error and
// never throws.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  advertisementsFor,
  type BroadcastAdvertisement,
  type HeardService,
  instanceName,
  readAdvertisement,
  type ServiceAdvertisement
} from '../../../src/core/discovery/advertisement'
import { INSTANCE_MAX_BYTES, TXT_MAX_NAME_BYTES, type DiscoveredBroadcaster } from '../../../src/shared/discovery'
import { truncateUtf8 } from '../../../src/shared/utf8'
import { discoveredBroadcaster } from '../../support/discovered'
import { NUM_RUNS } from '../../support/runs'

const params = { numRuns: NUM_RUNS }
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s)
const FP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90'

const studio: BroadcastAdvertisement = {
  name: 'Studio cam',
  device: 'studio-pc',
  port: 9999,
  classic: 'off',
  codec: 'jpeg',
  mjpegPort: null,
  mjpegPath: '/stream.mjpg'
}

/** The TXT rdata bonjour-service makes of an attribute object: one `key=value` string each. */
function rdata(txt: Record<string, string>): Uint8Array[] {
  return Object.entries(txt).map(([k, v]) => utf8(`${k}=${v}`))
}

/** The service as a browser hears it, from what the broadcaster published. */
function heard(ad: ServiceAdvertisement, instance: string, extra: Partial<HeardService> = {}): HeardService {
  return { type: ad.type, fqdn: `${instance}._${ad.type}._tcp.local`, port: ad.port, txt: rdata(ad.txt), from: '192.168.1.20', addresses: ['192.168.1.20'], ...extra }
}

/** A heard `_framecast._tcp` service with these TXT strings. */
function withTxt(strings: (string | Uint8Array)[], extra: Partial<HeardService> = {}): HeardService {
  return {
    type: 'framecast',
    fqdn: 'Studio cam on studio-pc._framecast._tcp.local',
    port: 9999,
    txt: strings.map((s) => (typeof s === 'string' ? utf8(s) : s)),
    from: '192.168.1.20',
    addresses: ['192.168.1.20'],
    ...extra
  }
}

function ok(h: HeardService): DiscoveredBroadcaster {
  const r = readAdvertisement(h)
  if (!r.ok) throw r.error
  return r.value
}

function refused(h: HeardService): { code: string; message: string } {
  const r = readAdvertisement(h)
  expect(r.ok, JSON.stringify(r.ok ? r.value : null)).toBe(false)
  return (r as { error: { code: string; message: string } }).error
}

describe('advertisementsFor', () => {
  it('publishes a native broadcast as _framecast._tcp with its name, device, protocol version and codec', () => {
    const [ad, ...more] = advertisementsFor(studio)
    expect(more).toEqual([])
    expect(ad).toEqual({ type: 'framecast', subtypes: [], port: 9999, txt: { name: 'Studio cam', dev: 'studio-pc', proto: '2', codec: 'jpeg' } })
  })

  it('says classic mode instead of a protocol version, and adds the MJPEG endpoint as _http._tcp with its path', () => {
    const ads = advertisementsFor({ ...studio, classic: 'pickle', mjpegPort: 8080 })
    expect(ads).toEqual([
      { type: 'framecast', subtypes: [], port: 9999, txt: { name: 'Studio cam', dev: 'studio-pc', classic: 'pickle' } },
      { type: 'http', subtypes: ['framecast'], port: 8080, txt: { name: 'Studio cam', dev: 'studio-pc', path: '/stream.mjpg' } }
    ])
  })

  it('carries pairing and the fingerprint only when the broadcast has them', () => {
    expect(advertisementsFor(studio)[0]!.txt).not.toHaveProperty('pair')
    expect(advertisementsFor(studio)[0]!.txt).not.toHaveProperty('fp')
    const txt = advertisementsFor({ ...studio, pairing: true, fingerprint: FP.toUpperCase() })[0]!.txt
    expect(txt).toMatchObject({ pair: '1', fp: FP })
  })

  it('cuts names to 64 bytes at a character boundary and drops control characters', () => {
    const txt = advertisementsFor({ ...studio, name: `\u202e${'é'.repeat(40)}\n`, device: 'x'.repeat(80) })[0]!.txt
    expect(txt.name).toBe('é'.repeat(32))
    expect(txt.dev).toBe('x'.repeat(64))
  })
})

describe('instanceName', () => {
  it('reads "<name> on <device>", with " (n)" for the nth try', () => {
    expect(instanceName('Studio cam', 'studio-pc')).toBe('Studio cam on studio-pc')
    expect(instanceName('Studio cam', 'studio-pc', 3)).toBe('Studio cam on studio-pc (3)')
    expect(instanceName('', '')).toBe('Framecast')
    expect(instanceName('Cam 1.5', 'pi.lan')).toBe('Cam 1-5 on pi-lan')
  })

  it('is always one DNS label of at most 63 bytes that keeps the try number and some of the device', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 80 }), fc.string({ unit: 'grapheme', maxLength: 80 }), fc.integer({ min: 1, max: 9 }), (name, device, n) => {
        const label = instanceName(name, device, n)
        expect(utf8(label).byteLength).toBeLessThanOrEqual(INSTANCE_MAX_BYTES)
        expect(label).not.toContain('.')
        if (n > 1) expect(label.endsWith(` (${n})`)).toBe(true)
      }),
      params
    )
  })
})

describe('readAdvertisement', () => {
  it('reads back what a native broadcast publishes', () => {
    const [ad] = advertisementsFor({ ...studio, pairing: true, fingerprint: FP })
    expect(ok(heard(ad!, 'Studio cam on studio-pc'))).toEqual(discoveredBroadcaster({ pairing: true, fingerprint: FP }))
  })

  it('reads back classic mode and the MJPEG endpoint', () => {
    const [classic, mjpeg] = advertisementsFor({ ...studio, classic: 'jpeg', mjpegPort: 8080 })
    expect(ok(heard(classic!, 'S'))).toMatchObject({ kind: 'classic-jpeg', protocolVersion: null, codec: null, supported: true })
    expect(ok(heard(mjpeg!, 'S'))).toMatchObject({ kind: 'mjpeg', port: 8080, path: '/stream.mjpg', id: 's._http._tcp.local' })
  })

  it('reads back every broadcast it could publish', () => {
    const hex = fc.stringMatching(/^[0-9a-f]{64}$/)
    const broadcast = fc.record({
      name: fc.string({ unit: 'grapheme', maxLength: 90 }),
      device: fc.string({ unit: 'grapheme', maxLength: 90 }),
      port: fc.integer({ min: 1, max: 65535 }),
      classic: fc.constantFrom('off' as const, 'pickle' as const, 'jpeg' as const),
      codec: fc.constantFrom('jpeg' as const, 'h264' as const),
      mjpegPort: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
      mjpegPath: fc.constant('/stream.mjpg'),
      pairing: fc.option(fc.boolean(), { nil: undefined }),
      fingerprint: fc.option(hex, { nil: undefined })
    })
    fc.assert(
      fc.property(broadcast, (b) => {
        const instance = instanceName(b.name, b.device)
        for (const ad of advertisementsFor(b)) {
          const d = ok(heard(ad, instance))
          const published = ad.txt
          expect(d.name).toBe(published.name || instance)
          expect(d.device).toBe(published.dev)
          expect(utf8(d.name).byteLength).toBeLessThanOrEqual(Math.max(TXT_MAX_NAME_BYTES, INSTANCE_MAX_BYTES))
          expect(d.port).toBe(ad.port)
          expect(d.pairing).toBe(b.pairing === true)
          expect(d.fingerprint).toBe(b.fingerprint ?? null)
          expect(d.supported).toBe(true)
          if (ad.type === 'http') expect(d.kind).toBe('mjpeg')
          else expect(d.kind).toBe(b.classic === 'off' ? 'framecast' : `classic-${b.classic}`)
          if (d.kind === 'framecast') expect([d.protocolVersion, d.codec]).toEqual([2, b.codec])
        }
      }),
      params
    )
  })

  it('lists a broadcaster of another protocol version or codec as one it cannot watch', () => {
    expect(ok(withTxt(['proto=3', 'codec=jpeg']))).toMatchObject({ protocolVersion: 3, supported: false })
    expect(ok(withTxt(['proto=2', 'codec=av1']))).toMatchObject({ codec: 'av1', supported: false })
  })

  it('keeps the first of a repeated key and skips keys it does not know', () => {
    expect(ok(withTxt(['proto=2', 'codec=jpeg', 'PROTO=7', 'codec=h264', 'future=1', 'zz']))).toMatchObject({ protocolVersion: 2, codec: 'jpeg' })
  })

  it('prefers the address the advertisement came from, and keeps at most 8 valid advertised addresses', () => {
    const addresses = ['10.0.0.9', 'not-an-ip', 7, '::1', '10.0.0.9', ...Array.from({ length: 20 }, (_, i) => `10.1.0.${i}`)]
    const d = ok(withTxt(['proto=2', 'codec=jpeg'], { from: '192.168.1.77', addresses }))
    expect(d.host).toBe('192.168.1.77')
    expect(d.addresses).toEqual(['10.0.0.9', '::1', '10.1.0.0', '10.1.0.1', '10.1.0.2', '10.1.0.3', '10.1.0.4', '10.1.0.5'])
    expect(ok(withTxt(['proto=2', 'codec=jpeg'], { from: 'somewhere', addresses: ['10.0.0.9'] })).host).toBe('10.0.0.9')
  })

  it('shows names without control characters or direction overrides, and falls back to the instance name', () => {
    expect(ok(withTxt(['proto=2', 'codec=jpeg', 'name=\u202eevil\u0007 cam\u0000', 'dev=\u2066pc\u2069'])).name).toBe('evil cam')
    expect(ok(withTxt(['proto=2', 'codec=jpeg', 'dev=\u2066pc\u2069'])).device).toBe('pc')
    expect(ok(withTxt(['proto=2', 'codec=jpeg'], { fqdn: 'Bare\u0007 one._framecast._tcp.local' })).name).toBe('Bare one')
  })

  it('refuses a TXT record over 1300 bytes with MESSAGE_TOO_LARGE', () => {
    const padding = Array.from({ length: 6 }, (_, i) => `x${i}=${'y'.repeat(240)}`)
    expect(refused(withTxt(['proto=2', 'codec=jpeg', ...padding])).code).toBe('MESSAGE_TOO_LARGE')
  })

  it.each([
    ['no protocol version and no classic format', ['codec=jpeg']],
    ['both a protocol version and a classic format', ['proto=2', 'codec=jpeg', 'classic=pickle']],
    ['a protocol version in words', ['proto=two', 'codec=jpeg']],
    ['protocol version 0', ['proto=0', 'codec=jpeg']],
    ['protocol version 256', ['proto=256', 'codec=jpeg']],
    ['a fractional protocol version', ['proto=2.0', 'codec=jpeg']],
    ['a protocol version without a value', ['proto', 'codec=jpeg']],
    ['no codec', ['proto=2']],
    ['a codec that is no token', ['proto=2', 'codec=JPEG XL!']],
    ['an unknown classic format', ['classic=xml']],
    ['a fingerprint of 63 hex digits', ['proto=2', 'codec=jpeg', `fp=${FP.slice(1)}`]],
    ['a fingerprint that is not hex', ['proto=2', 'codec=jpeg', `fp=${'g'.repeat(64)}`]],
    ['a pairing flag of 2', ['proto=2', 'codec=jpeg', 'pair=2']],
    ['a pairing flag in words', ['proto=2', 'codec=jpeg', 'pair=yes']],
    ['a name that is not UTF-8', ['proto=2', 'codec=jpeg', Uint8Array.of(0x6e, 0x61, 0x6d, 0x65, 0x3d, 0xc3, 0x28)]],
    ['a name over 64 bytes', ['proto=2', 'codec=jpeg', `name=${'n'.repeat(65)}`]],
    ['a name without a value', ['proto=2', 'codec=jpeg', 'name']],
    ['a codec with a control character', ['proto=2', Uint8Array.of(0x63, 0x6f, 0x64, 0x65, 0x63, 0x3d, 0x6a, 0x00)]]
  ])('refuses an advertisement with %s as MALFORMED_MESSAGE', (_what, strings) => {
    const e = refused(withTxt(strings))
    expect(e.code).toBe('MALFORMED_MESSAGE')
    expect(e.message).toMatch(/Studio cam on studio-pc/)
  })

  it.each([
    ['port 0', { port: 0 }],
    ['port 70000', { port: 70000 }],
    ['a port in text', { port: '9999' }],
    ['a name of another service type', { fqdn: 'Studio._http._tcp.local' }],
    ['a name that is only the type', { fqdn: '._framecast._tcp.local' }],
    ['a name that is not text', { fqdn: 42 }],
    ['no address at all', { from: undefined, addresses: [] }],
    ['a TXT record that is not a list', { txt: 'proto=2' }]
  ])('refuses a service with %s as MALFORMED_MESSAGE', (_what, extra) => {
    expect(refused(withTxt(['proto=2', 'codec=jpeg'], extra as Partial<HeardService>)).code).toBe('MALFORMED_MESSAGE')
  })

  it.each([
    ['no path', {}],
    ['a path without its slash', { path: 'stream.mjpg' }],
    ['a path with a space', { path: '/my stream' }]
  ])('refuses an MJPEG endpoint with %s', (_what, txt) => {
    const h: HeardService = { type: 'http', fqdn: 'S._http._tcp.local', port: 8080, txt: rdata(txt), from: '10.0.0.1', addresses: [] }
    expect(refused(h).code).toBe('MALFORMED_MESSAGE')
  })

  it('never throws on anything a browser could hand it', () => {
    const txt = fc.oneof(fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 20 }), fc.anything())
    const service = fc.record({
      type: fc.constantFrom('framecast' as const, 'http' as const),
      fqdn: fc.oneof(fc.string({ maxLength: 60 }).map((s) => `${s}._framecast._tcp.local`), fc.anything()),
      port: fc.oneof(fc.integer({ min: -1, max: 70000 }), fc.anything()),
      txt,
      from: fc.oneof(fc.ipV4(), fc.anything()),
      addresses: fc.oneof(fc.array(fc.oneof(fc.ipV4(), fc.ipV6(), fc.anything()), { maxLength: 12 }), fc.anything())
    })
    fc.assert(
      fc.property(service, (h) => {
        const r = readAdvertisement(h)
        if (r.ok) {
          expect(r.value.port).toBeGreaterThanOrEqual(1)
          expect(r.value.addresses.length).toBeLessThanOrEqual(8)
        } else {
          expect(['MALFORMED_MESSAGE', 'MESSAGE_TOO_LARGE']).toContain(r.error.code)
        }
      }),
      params
    )
  })

  it('reads a corrupted advertisement without throwing, and what it accepts still keeps the rules', () => {
    const [ad] = advertisementsFor({ ...studio, pairing: true, fingerprint: FP })
    const good = rdata(ad!.txt)
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }), (flips) => {
        const txt = good.map((s) => s.slice())
        for (const [i, at, b] of flips) {
          const s = txt[i % txt.length]!
          s[at % s.length] = b
        }
        const r = readAdvertisement(heard(ad!, 'Studio cam on studio-pc', { txt }))
        if (!r.ok) return
        expect(utf8(r.value.name).byteLength).toBeLessThanOrEqual(TXT_MAX_NAME_BYTES)
        expect([...r.value.name].some((c) => c < ' ' || c === '\u202e')).toBe(false)
        if (r.value.fingerprint !== null) expect(r.value.fingerprint).toMatch(/^[0-9a-f]{64}$/)
      }),
      params
    )
  })

  it('cuts a long instance name at a character boundary', () => {
    const long = 'é'.repeat(100)
    expect(ok(withTxt(['proto=2', 'codec=jpeg'], { fqdn: `${long}._framecast._tcp.local` })).instance).toBe(truncateUtf8(long, INSTANCE_MAX_BYTES))
  })
})
