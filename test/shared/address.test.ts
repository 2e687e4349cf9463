import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { formatHostPort, isHost, isHostname, isIPv4, isIPv6, readPort, splitHostPort } from '../../src/shared/address'
import { NUM_RUNS } from '../support/runs'

describe('address validation', () => {
  it('accepts dotted-quad IPv4 addresses and nothing looser', () => {
    for (const ok of ['0.0.0.0', '127.0.0.1', '192.168.1.2', '255.255.255.255', '10.0.0.1']) expect(isIPv4(ok), ok).toBe(true)
    for (const bad of ['256.1.1.1', '192.168.1', '1.2.3.4.5', '01.2.3.4', '1.2.3.-4', '1.2.3.4 ', '', 'a.b.c.d', '1..2.3'])
      expect(isIPv4(bad), bad).toBe(false)
  })

  it('accepts the IPv6 text forms, with zones and IPv4 tails', () => {
    const ok = [
      '::',
      '::1',
      '1:2:3:4:5:6:7:8',
      'fe80::1',
      'fe80::1%eth0',
      'fe80::1%en0.1',
      '::ffff:192.168.1.2',
      '64:ff9b::192.0.2.33',
      '1:2:3:4:5:6:1.2.3.4',
      '2001:db8::',
      '1:2:3:4:5:6:7::',
      '::2:3:4:5:6:7:8',
      'ABCD:ef01::9'
    ]
    for (const s of ok) expect(isIPv6(s), s).toBe(true)
  })

  it('rejects malformed IPv6', () => {
    const bad = [
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '1::2:',
      ':1::2',
      ':1:2:3:4:5:6:7:8',
      '1:2:3:4:5:6:7:8:',
      '12345::1',
      'g::1',
      '[::1]',
      '::1%',
      '::1%eth0%1',
      '::1%eth 0',
      '1:2:3:4:5:6:7:1.2.3.4',
      '::256.1.1.1',
      '1.2.3.4::',
      '1.2.3.4',
      ''
    ]
    for (const s of bad) expect(isIPv6(s), s).toBe(false)
  })

  it('accepts host names and rejects what is not one', () => {
    for (const ok of ['localhost', 'my-pc.local', 'studio-2.example.com', 'example.com.', 'a', 'x1', '1a.lan'])
      expect(isHostname(ok), ok).toBe(true)
    for (const bad of ['-bad', 'bad-', 'a..b', 'under_score', 'has space', '256.1.1.1', '192.168.1', '', 'a'.repeat(64), '.lead'])
      expect(isHostname(bad), bad).toBe(false)
  })

  it('accepts IP addresses, bracketed IPv6 and host names as a host', () => {
    for (const ok of ['192.168.1.20', '::1', '[::1]', '[fe80::1%eth0]', 'my-pc.local', 'localhost'])
      expect(isHost(ok), ok).toBe(true)
    for (const bad of ['256.1.1.1', '192.168.1', '-bad', '1::2::3', '[1.2.3.4]', '[my-pc.local]', '[::1', '::1]', '', 'http://x'])
      expect(isHost(bad), bad).toBe(false)
  })
})

describe('readPort', () => {
  it('asks for a port when the text is empty or blank, in one wording', () => {
    expect(readPort('')).toEqual({ port: null, problem: 'Enter a port between 1 and 65535' })
    expect(readPort('   ')).toEqual({ port: null, problem: 'Enter a port between 1 and 65535' })
    expect(readPort('', { anyFree: true })).toEqual({ port: null, problem: 'Enter a port between 0 and 65535' })
  })

  it('reads digits with spaces around them', () => {
    expect(readPort(' 9999 ')).toEqual({ port: 9999, problem: null })
    expect(readPort('1')).toEqual({ port: 1, problem: null })
    expect(readPort('65535')).toEqual({ port: 65535, problem: null })
    expect(readPort('08080')).toEqual({ port: 8080, problem: null })
  })

  it('says a text that is not digits is not a number', () => {
    for (const text of ['99a', 'x', '-1', '1.5', '1e3', '0x10', '9 9', '+80']) {
      expect(readPort(text), text).toEqual({ port: null, problem: 'The port must be a number' })
    }
  })

  it('gives the range when the number is outside it; 0 only when any free port will do', () => {
    for (const text of ['0', '65536', '99999', '123456789012345678901234567890']) {
      expect(readPort(text), text).toEqual({ port: null, problem: 'The port must be between 1 and 65535' })
    }
    expect(readPort('0', { anyFree: true })).toEqual({ port: 0, problem: null })
    expect(readPort('65536', { anyFree: true })).toEqual({ port: null, problem: 'The port must be between 0 and 65535' })
  })

  it('accepts exactly the decimal numbers from 1 to 65535, whatever else is typed', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.integer({ min: -10, max: 70_000 }).map(String)), (text) => {
        const t = text.trim()
        const valid = /^\d+$/.test(t) && Number(t) >= 1 && Number(t) <= 65535
        const r = readPort(text)
        if (valid) expect(r).toEqual({ port: Number(t), problem: null })
        else expect(r.port === null && r.problem.length > 0).toBe(true)
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

describe('splitHostPort', () => {
  it('splits text that really carries a port, and removes the brackets of an IPv6 host', () => {
    expect(splitHostPort('host.lan:80')).toEqual({ host: 'host.lan', port: '80' })
    expect(splitHostPort(' 192.168.1.20:9999 ')).toEqual({ host: '192.168.1.20', port: '9999' })
    expect(splitHostPort('[::1]:9999')).toEqual({ host: '::1', port: '9999' })
    expect(splitHostPort('[fe80::1%eth0]:9999')).toEqual({ host: 'fe80::1%eth0', port: '9999' })
  })

  it('leaves the port for readPort to judge', () => {
    expect(splitHostPort('10.0.0.1:99999')).toEqual({ host: '10.0.0.1', port: '99999' })
  })

  it('finds no port in a bare host, a bare IPv6 address, or a port that is not digits', () => {
    for (const text of ['192.168.1.20', '::1', 'fe80::1:9999', 'host:', ':9999', 'host:80x', '[::1]', '[::1]9999', 'a b:80', '']) {
      expect(splitHostPort(text), text).toBeNull()
    }
  })

  it('gives back the host and port that formatHostPort wrote', () => {
    const host = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.domain()
    )
    fc.assert(
      fc.property(host, fc.integer({ min: 1, max: 65535 }), (h, port) => {
        expect(splitHostPort(formatHostPort(h, port))).toEqual({ host: h, port: String(port) })
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
