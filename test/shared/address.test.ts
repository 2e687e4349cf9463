import { describe, expect, it } from 'vitest'
import { isHost, isHostname, isIPv4, isIPv6 } from '../../src/shared/address'

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
