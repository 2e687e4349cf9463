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
    'discovery:start': {},
    'discovery:stop': {},
    'watch:keyframe': { lastSeq: 0xffffffff },
    'app:open': { role: 'watch' },
    'broadcast:kick': { viewerId: 3 },
    'broadcast:block': { viewerId: 3 },
    'broadcast:new-code': {},
    'watch:code': { code: '012345' },
    'devices:list': {},
    'devices:rename': { role: 'viewer', fingerprint: 'a'.repeat(64), name: 'Kitchen tablet' },
    'devices:forget': { role: 'broadcaster', fingerprint: 'b'.repeat(64) },
    'devices:block': { fingerprint: 'c'.repeat(64), blocked: true }
  }

  it('accepts a good payload on every channel', () => {
    for (const channel of Object.keys(requestSchemas) as RequestChannel[]) {
      const r = parseRequest(channel, good[channel])
      expect(r.ok, channel).toBe(true)
    }
  })

  it('fills in defaults and normalises the host', () => {
    const start = parseRequest('broadcast:start', good['broadcast:start'])
    expect(start).toMatchObject({ ok: true, value: { classic: 'off', mjpegPort: null, advertise: true, access: 'private' } })
    expectRejected('broadcast:start', { ...(good['broadcast:start'] as object), advertise: 'yes' }, 'advertise')
    expectRejected('discovery:start', { everywhere: true }, 'everywhere')
    const watch = parseRequest('watch:start', { host: '  [fe80::1%eth0] ', port: 1 })
    expect(watch).toEqual({ ok: true, value: { host: 'fe80::1%eth0', port: 1, mode: 'auto', classicPrefix: 'auto', maxMessageBytes: null } })
    expect(start).toMatchObject({ ok: true, value: { classicPrefix: 'u64le', maxMessageBytes: null } })
  })

  function expectRejected(channel: RequestChannel, payload: unknown, field: string): void {
    const r = parseRequest(channel, payload)
    expect(r.ok, `${channel} with a bad ${field}`).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('INVALID_ARGUMENT')
    expect(r.error.message.startsWith(`${field}: `), r.error.message).toBe(true)
  }

  it('rejects a pairing code that is not 6 digits, a fingerprint that is not 64 hex digits, and a bad viewer id', () => {
    for (const code of ['12345', '1234567', '12a456', ' 123456', 123456]) expectRejected('watch:code', { code }, 'code')
    for (const fingerprint of ['A'.repeat(64), 'a'.repeat(63), 'g'.repeat(64)]) expectRejected('devices:forget', { role: 'viewer', fingerprint }, 'fingerprint')
    for (const viewerId of [0, -1, 1.5, '3']) expectRejected('broadcast:kick', { viewerId }, 'viewerId')
    expectRejected('broadcast:start', { ...(good['broadcast:start'] as object), access: 'public' }, 'access')
  })

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
    // A frame's quality may be 0 (not stated); a setting may not.
    expect(parseRequest('broadcast:frame', { ...frame, quality: 0 }).ok).toBe(true)
    expectRejected('broadcast:frame', { ...frame, ceiling: 0 }, 'ceiling')
    for (const q of [-1, 101, 50.5, '50', null]) {
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

  it('takes an H.264 access unit with its keyframe flag, and hands on either picture as one shape with its codec', () => {
    const unit = new Uint8Array([0, 0, 0, 1, 0x65, 0x88, 0x84])
    const h264 = parseRequest('broadcast:frame', { seq: 3, capturedAtUs: 9, h264: unit, keyframe: true, quality: 80 })
    expect(h264).toEqual({ ok: true, value: { seq: 3, capturedAtUs: 9, quality: 80, codec: 'h264', payload: unit, keyframe: true } })
    const short = new Uint8Array([0, 0, 1, 0x41, 0x9a])
    expect(parseRequest('broadcast:frame', { seq: 4, capturedAtUs: 9, h264: short, keyframe: false })).toMatchObject({
      ok: true,
      value: { codec: 'h264', keyframe: false, quality: 0 }
    })
    const j = jpeg()
    expect(parseRequest('broadcast:frame', { seq: 5, capturedAtUs: 9, jpeg: j })).toEqual({
      ok: true,
      value: { seq: 5, capturedAtUs: 9, quality: 0, codec: 'jpeg', payload: j, keyframe: true }
    })
  })

  it('rejects an H.264 frame without a start code or without its keyframe flag, and a frame with both or neither picture', () => {
    const frame = { seq: 1, capturedAtUs: 1 }
    for (const h264 of [new Uint8Array([1, 0, 0, 1, 0x65]), new Uint8Array([0, 0, 1]), jpeg(), new Uint8Array(MAX_JPEG_BYTES + 1)]) {
      expectRejected('broadcast:frame', { ...frame, h264, keyframe: true }, 'h264')
    }
    const unit = new Uint8Array([0, 0, 0, 1, 0x65, 0x88])
    expectRejected('broadcast:frame', { ...frame, h264: unit }, 'keyframe')
    expectRejected('broadcast:frame', { ...frame, jpeg: jpeg(), keyframe: false }, 'keyframe')
    expectRejected('broadcast:frame', { ...frame, h264: unit, keyframe: 'yes' }, 'keyframe')
    expectRejected('broadcast:frame', { ...frame, quality: 101, jpeg: jpeg() }, 'quality')
    for (const payload of [{ ...frame }, { ...frame, jpeg: jpeg(), h264: unit, keyframe: true }]) {
      const r = parseRequest('broadcast:frame', payload)
      expect(r).toEqual({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'A frame carries either jpeg or h264' } })
    }
  })

  it('takes a codec and an H.264 codec string on broadcast:start, and a u32 lastSeq on watch:keyframe', () => {
    const start = good['broadcast:start'] as object
    expect(parseRequest('broadcast:start', start)).toMatchObject({ ok: true, value: { codec: 'jpeg' } })
    expect(parseRequest('broadcast:start', { ...start, codec: 'h264', codecParams: 'avc1.42E01F' })).toMatchObject({
      ok: true,
      value: { codec: 'h264', codecParams: 'avc1.42E01F' }
    })
    expectRejected('broadcast:start', { ...start, codec: 'vp8' }, 'codec')
    for (const codecParams of ['avc1.42E01', 'avc1.42E01F ', 'vp8', 'avc1.42E01F\n', 42]) expectRejected('broadcast:start', { ...start, codec: 'h264', codecParams }, 'codecParams')
    for (const lastSeq of [-1, 2 ** 32, 1.5, '7']) expectRejected('watch:keyframe', { lastSeq }, 'lastSeq')
  })

  it('takes a classic length prefix and size limit, and refuses others, naming the field', () => {
    const start = good['broadcast:start'] as object
    const watch = { host: 'localhost', port: 9999 }
    expect(parseRequest('watch:start', { ...watch, classicPrefix: 'u32be', maxMessageBytes: 64 * 1024 * 1024 })).toMatchObject({ ok: true })
    expect(parseRequest('broadcast:start', { ...start, classic: 'jpeg', classicPrefix: 'u16le', maxMessageBytes: 1024 * 1024 })).toMatchObject({ ok: true })
    // A broadcast writes one prefix: 'auto' is for watching.
    expectRejected('broadcast:start', { ...start, classicPrefix: 'auto' }, 'classicPrefix')
    for (const classicPrefix of ['Q', 'u24le', '', 8]) expectRejected('watch:start', { ...watch, classicPrefix }, 'classicPrefix')
    for (const maxMessageBytes of [0, 1024 * 1024 - 1, 1024 * 1024 * 1024 + 1, 1.5, '32']) {
      expectRejected('watch:start', { ...watch, maxMessageBytes }, 'maxMessageBytes')
      expectRejected('broadcast:start', { ...start, maxMessageBytes }, 'maxMessageBytes')
    }
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
