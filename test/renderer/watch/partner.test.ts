import { describe, expect, it } from 'vitest'
import { formatHostPort } from '../../../src/shared/address'
import { checkPartner, fieldsFromAddress, hostError } from '../../../src/renderer/src/features/watch/partner'

describe('partner address', () => {
  it('accepts an IPv4 address and a port', () => {
    expect(checkPartner('192.168.1.20', '9999')).toEqual({ ok: true, host: '192.168.1.20', port: 9999, address: '192.168.1.20:9999' })
  })

  it('accepts a host name and trims spaces', () => {
    expect(checkPartner('  studio.local ', ' 8000 ')).toMatchObject({ ok: true, host: 'studio.local', port: 8000 })
  })

  it('accepts a bare IPv6 address and writes it with brackets', () => {
    expect(checkPartner('fe80::1', '9999')).toMatchObject({ ok: true, host: 'fe80::1', address: '[fe80::1]:9999' })
  })

  it('takes the port from a host:port pasted into the host field', () => {
    expect(checkPartner('10.0.0.5:9000', '9999')).toMatchObject({ ok: true, host: '10.0.0.5', port: 9000 })
    expect(checkPartner('[2001:db8::7]:1234', '')).toMatchObject({ ok: true, host: '2001:db8::7', port: 1234 })
  })

  it('explains an empty host with the schema message', () => {
    expect(checkPartner('', '9999')).toEqual({ ok: false, hostError: 'Enter the partner’s IP address or host name', portError: null })
  })

  it('refuses something that is neither an address nor a name', () => {
    const r = checkPartner('300.1.1.1', '9999')
    expect(r).toEqual({ ok: false, hostError: 'That is not an IP address or a host name', portError: null })
    expect(hostError('bad host!')).toBe('That is not an IP address or a host name')
  })

  it('refuses ports outside 1–65535, ports that are not numbers, and an empty port, in readPort’s words', () => {
    const portError = (port: string) => {
      const r = checkPartner('10.0.0.5', port)
      return r.ok ? null : r.portError
    }
    expect(portError('0')).toBe('The port must be between 1 and 65535')
    expect(portError('65536')).toBe('The port must be between 1 and 65535')
    expect(portError('99a')).toBe('The port must be a number')
    expect(portError('')).toBe('Enter a port between 1 and 65535')
    expect(portError('1')).toBeNull()
    expect(portError('65535')).toBeNull()
  })

  it('judges the port pasted into the host field, not the port field', () => {
    expect(checkPartner('10.0.0.5:0', '9999')).toEqual({ ok: false, hostError: null, portError: 'The port must be between 1 and 65535' })
  })

  it('reports both fields when both are wrong', () => {
    expect(checkPartner('a..b', 'x')).toEqual({
      ok: false,
      hostError: 'That is not an IP address or a host name',
      portError: 'The port must be a number'
    })
  })

  it('fills the fields back from a remembered address', () => {
    expect(fieldsFromAddress(formatHostPort('fe80::2', 9999))).toEqual({ host: 'fe80::2', port: '9999' })
    expect(fieldsFromAddress('10.1.2.3:9998')).toEqual({ host: '10.1.2.3', port: '9998' })
  })
})
