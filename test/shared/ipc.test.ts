import { describe, expect, it } from 'vitest'
import {
  apiRequests,
  channelRoles,
  isRequestChannel,
  MAX_JPEG_BYTES,
  parseRequest,
  type RequestChannel,
  requestSchemas,
  roleFromHash
} from '../../src/shared/ipc'

const jpeg = (n = 64): Uint8Array => {
  const b = new Uint8Array(n).fill(0x11)
  b.set([0xff, 0xd8, 0xff, 0xe0])
  return b
}

describe('parseRequest', () => {
  const good: { [C in RequestChannel]: unknown } = {
    'broadcast:start': { port: 9999, host: '0.0.0.0', name: 'Studio', width: 1280, height: 720, fps: 30 },
    'broadcast:stop': {},
    'broadcast:frame': { seq: 0, capturedAtUs: 1_700_000_000_000_000, jpeg: jpeg() },
    'broadcast:interfaces': {},
    'watch:start': { host: '192.168.1.20', port: 9999 },
    'watch:stop': {},
    'app:open': { role: 'watch' }
  }

  it('accepts a good payload on every channel', () => {
    for (const channel of Object.keys(requestSchemas) as RequestChannel[]) {
      const r = parseRequest(channel, good[channel])
      expect(r.ok, channel).toBe(true)
    }
  })

  it('fills in defaults and normalises the host', () => {
    const start = parseRequest('broadcast:start', good['broadcast:start'])
    expect(start).toMatchObject({ ok: true, value: { classic: 'off', mjpegPort: null } })
    const watch = parseRequest('watch:start', { host: '  [fe80::1%eth0] ', port: 1 })
    expect(watch).toEqual({ ok: true, value: { host: 'fe80::1%eth0', port: 1, mode: 'auto' } })
  })

  function expectRejected(channel: RequestChannel, payload: unknown, field: string): void {
    const r = parseRequest(channel, payload)
    expect(r.ok, `${channel} with a bad ${field}`).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('INVALID_ARGUMENT')
    expect(r.error.message.startsWith(`${field}: `), r.error.message).toBe(true)
  }

  it('rejects a port outside 1..65535, fractional, or not a number, naming the port', () => {
    for (const port of [0, 65536, 1.5, -1, '9999', null, Number.NaN]) {
      expectRejected('watch:start', { host: 'localhost', port }, 'port')
      expectRejected('broadcast:start', { ...(good['broadcast:start'] as object), port }, 'port')
    }
    expectRejected('watch:start', { host: 'localhost' }, 'port')
  })

  it('says what is wrong with the port in words', () => {
    const r = parseRequest('watch:start', { host: 'localhost', port: 0 })
    expect(r.ok ? '' : r.error.message).toBe('port: The port must be between 1 and 65535')
  })

  it('rejects an empty or invalid partner host, naming the host', () => {
    for (const host of ['', '   ', '256.1.1.1', '1::2::3', '-bad', 'a'.repeat(256), 42, null])
      expectRejected('watch:start', { host, port: 9999 }, 'host')
  })

  it('rejects a bind host that is not an address of this machine', () => {
    for (const host of ['my-pc.local', '', '[::1]'])
      expectRejected('broadcast:start', { ...(good['broadcast:start'] as object), host }, 'host')
    expect(parseRequest('broadcast:start', { ...(good['broadcast:start'] as object), host: '::' }).ok).toBe(true)
  })

  it('rejects frames that are not JPEG, empty, too large or not binary, naming the jpeg', () => {
    const frame = good['broadcast:frame'] as object
    const tooBig = new Uint8Array(MAX_JPEG_BYTES + 1)
    tooBig.set([0xff, 0xd8, 0xff])
    const bad: unknown[] = [
      new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0]),
      new Uint8Array(0),
      tooBig,
      [0xff, 0xd8, 0xff],
      'ffd8ff',
      new ArrayBuffer(8)
    ]
    for (const jpegBytes of bad) expectRejected('broadcast:frame', { ...frame, jpeg: jpegBytes }, 'jpeg')
    const atLimit = new Uint8Array(MAX_JPEG_BYTES)
    atLimit.set([0xff, 0xd8, 0xff])
    expect(parseRequest('broadcast:frame', { ...frame, jpeg: atLimit }).ok).toBe(true)
  })

  it('rejects a frame sequence or timestamp of the wrong type or range', () => {
    const frame = good['broadcast:frame'] as object
    for (const seq of [-1, 2 ** 32, 0.5, '1']) expectRejected('broadcast:frame', { ...frame, seq }, 'seq')
    for (const capturedAtUs of [-1, Number.MAX_SAFE_INTEGER + 2, 1.5, '1'])
      expectRejected('broadcast:frame', { ...frame, capturedAtUs }, 'capturedAtUs')
  })

  it("takes a frame's quality, the quality setting and adaptive on/off, and rejects them out of range", () => {
    const frame = good['broadcast:frame'] as object
    expect(parseRequest('broadcast:frame', { ...frame, quality: 45, ceiling: 80, adaptive: false }).ok).toBe(true)
    for (const q of [0, 101, 50.5, '50', null]) {
      expectRejected('broadcast:frame', { ...frame, quality: q }, 'quality')
      expectRejected('broadcast:frame', { ...frame, ceiling: q }, 'ceiling')
    }
    expectRejected('broadcast:frame', { ...frame, adaptive: 'yes' }, 'adaptive')
  })

  it('rejects extra keys, naming them', () => {
    expectRejected('watch:stop', { now: true }, 'now')
    expectRejected('watch:start', { host: 'localhost', port: 9999, password: 'x' }, 'password')
    expectRejected('broadcast:frame', { ...(good['broadcast:frame'] as object), extra: 1 }, 'extra')
  })

  it('rejects wrong types for broadcast settings, naming the field', () => {
    const start = good['broadcast:start'] as object
    expectRejected('broadcast:start', { ...start, name: 5 }, 'name')
    expectRejected('broadcast:start', { ...start, name: 'n'.repeat(65) }, 'name')
    expectRejected('broadcast:start', { ...start, width: '1280' }, 'width')
    expectRejected('broadcast:start', { ...start, height: 8 }, 'height')
    expectRejected('broadcast:start', { ...start, fps: 0 }, 'fps')
    expectRejected('broadcast:start', { ...start, classic: 'yes' }, 'classic')
    expectRejected('broadcast:start', { ...start, mjpegPort: 70000 }, 'mjpegPort')
    expectRejected('watch:start', { host: 'localhost', port: 9999, mode: 'fast' }, 'mode')
    expectRejected('app:open', { role: 'admin' }, 'role')
  })

  it('rejects a payload that is not an object', () => {
    for (const payload of [null, undefined, 'watch', 42, []]) {
      const r = parseRequest('watch:start', payload)
      expect(r.ok).toBe(false)
      if (!r.ok) expect(r.error.code).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('channels and roles', () => {
  it('knows its request channels and nothing else', () => {
    expect(isRequestChannel('watch:start')).toBe(true)
    expect(isRequestChannel('toString')).toBe(false)
    expect(isRequestChannel('__proto__')).toBe(false)
    expect(isRequestChannel(undefined)).toBe(false)
  })

  it('gives every request channel at least one window role, and every api method a channel', () => {
    for (const channel of Object.keys(requestSchemas) as RequestChannel[]) expect(channelRoles[channel].length, channel).toBeGreaterThan(0)
    expect(new Set(Object.values(apiRequests))).toEqual(new Set(Object.keys(requestSchemas)))
  })

  it('lets only broadcast windows broadcast and only watch windows watch', () => {
    for (const channel of Object.keys(channelRoles) as RequestChannel[]) {
      const roles = channelRoles[channel]
      if (channel.startsWith('broadcast:')) expect(roles).toEqual(['broadcast'])
      if (channel.startsWith('watch:')) expect(roles).toEqual(['watch'])
    }
    expect(channelRoles['app:open']).toEqual(expect.arrayContaining(['start', 'broadcast', 'watch']))
  })

  it('reads the window role from the URL hash', () => {
    expect(roleFromHash('#broadcast')).toBe('broadcast')
    expect(roleFromHash('#/watch')).toBe('watch')
    expect(roleFromHash('')).toBe('start')
    expect(roleFromHash('#')).toBe('start')
    expect(roleFromHash('#start')).toBe('start')
    expect(roleFromHash('#admin')).toBe('start')
    expect(roleFromHash('#broadcast/extra')).toBe('start')
  })
})
