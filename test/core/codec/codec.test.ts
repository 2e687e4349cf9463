import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  Decoder,
  encodeAck,
  encodeBye,
  encodeError,
  encodeFrame,
  encodeFrameHead,
  encodeHello,
  encodeInfo,
  encodeKeyframeRequest,
  encodeMessage,
  encodePakeConfirm,
  encodePakeShare,
  encodePairRequest,
  encodePing,
  encodePong,
  encodePreamble
} from '../../../src/core/codec/codec'
import { FramecastError } from '../../../src/core/errors'
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  HEADER_BYTES,
  INFO_MAX_NAME_BYTES,
  type Message,
  MessageType,
  PreambleFlag,
  UNKNOWN_MAX_BYTES
} from '../../../src/shared/protocol'
import { chunksOf, oneByteAtATime } from '../../support/chunks'

const jpeg = (n: number, fill = 0x42): Buffer => {
  const b = Buffer.alloc(n, fill)
  b.set([0xff, 0xd8, 0xff].slice(0, n))
  return b
}

/** A raw header, for messages the encoder would never produce. */
function rawHeader(type: number, length: number): Buffer {
  const h = Buffer.alloc(HEADER_BYTES)
  h[0] = type
  h.writeUInt32BE(length, 4)
  return h
}

/** Payload bytes compared by value, whatever view they arrive in. */
function plain(messages: Message[]): unknown[] {
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
  return messages.map((m) => {
    if (m.type === 'frame') return { ...m, payload: hex(m.payload) }
    if (m.type === 'pakeShare') return { ...m, element: hex(m.element) }
    if (m.type === 'pakeConfirm') return { ...m, tag: hex(m.tag) }
    return m
  })
}

function decodeChunks(chunks: Uint8Array[], decoder = new Decoder()): { messages: Message[]; decoder: Decoder } {
  const messages: Message[] = []
  for (const c of chunks) messages.push(...decoder.push(c))
  return { messages, decoder }
}

const stream = (...parts: Uint8Array[]): Buffer => Buffer.concat([encodePreamble('broadcaster'), ...parts])

const preambleMessage = { type: 'preamble', version: 2, role: 'broadcaster', flags: 0 }

afterEach(() => {
  vi.restoreAllMocks()
})

describe('encoder', () => {
  it('writes the preamble as magic, version, role and flags', () => {
    expect([...encodePreamble('broadcaster')]).toEqual([0x46, 0x43, 0x53, 0x54, 2, 1, 0, 0])
    expect([...encodePreamble('viewer', PreambleFlag.tls)]).toEqual([0x46, 0x43, 0x53, 0x54, 2, 2, 0, 1])
  })

  it('writes a frame header and prefix big-endian, with the payload left uncopied', () => {
    const payload = jpeg(3)
    const [head, body] = encodeFrame(0x01020304, 0x0102030405, payload)
    // type, flags (keyframe), reserved, length 16 + 3; seq; capturedAt; quality (not stated), reserved
    expect([...head]).toEqual([2, 1, 0, 0, 0, 0, 0, 19, 1, 2, 3, 4, 0, 0, 0, 1, 2, 3, 4, 5, 0, 0, 0, 0])
    expect(body).toBe(payload)
    expect(encodeFrameHead(0x01020304, 0x0102030405, 3)).toEqual(head)
  })

  it('writes the keyframe flag in the header and the quality after the capture time', () => {
    const head = encodeFrameHead(1, 2, 10, { keyframe: false, quality: 45 })
    expect(head[1]).toBe(0)
    expect(head[HEADER_BYTES + 12]).toBe(45)
    expect(encodeFrameHead(1, 2, 10, { quality: 101 })[HEADER_BYTES + 12]).toBe(100)
  })

  it('writes INFO codec parameters between the fixed fields and the name', () => {
    const b = encodeInfo({ codec: 'h264', width: 2, height: 3, fps: 30, name: 'n', params: 'avc1.42001f' })
    expect(b[HEADER_BYTES]).toBe(2)
    expect(b[HEADER_BYTES + 8]).toBe(11)
    expect(b.subarray(HEADER_BYTES + 10).toString('latin1')).toBe('avc1.42001fn')
    expect(() => encodeInfo({ codec: 'h264', width: 2, height: 3, fps: 30, name: '', params: 'avc1\n' })).toThrow(FramecastError)
    expect(() => encodeInfo({ codec: 'h264', width: 2, height: 3, fps: 30, name: '', params: 'x'.repeat(65) })).toThrow(/64/)
  })

  it('writes ACK, KEYFRAME_REQUEST, HELLO, PAIR_REQUEST, PAKE_SHARE and PAKE_CONFIRM with their documented sizes', () => {
    expect([...encodeAck(0x01020304, 0x0a0b0c0d)]).toEqual([7, 0, 0, 0, 0, 0, 0, 8, 1, 2, 3, 4, 0x0a, 0x0b, 0x0c, 0x0d])
    expect(encodeAck(1, 2 ** 40).readUInt32BE(HEADER_BYTES + 4)).toBe(0xffffffff)
    expect([...encodeKeyframeRequest(0xffffffff)]).toEqual([8, 0, 0, 0, 0, 0, 0, 4, 0xff, 0xff, 0xff, 0xff])
    expect([...encodeHello('Tab')]).toEqual([9, 0, 0, 0, 0, 0, 0, 3, 0x54, 0x61, 0x62])
    expect(encodeHello('é'.repeat(40)).readUInt32BE(4)).toBe(64)
    expect([...encodePairRequest()]).toEqual([10, 0, 0, 0, 0, 0, 0, 0])
    expect(encodePakeShare(new Uint8Array(32).fill(5))).toHaveLength(HEADER_BYTES + 32)
    expect(encodePakeConfirm(new Uint8Array(32))[0]).toBe(12)
    expect(() => encodePakeShare(new Uint8Array(31))).toThrow(FramecastError)
    expect(() => encodePakeConfirm(new Uint8Array(33))).toThrow(FramecastError)
  })

  it('writes INFO with the codec, size, fps × 100 and the name at offset 10', () => {
    const b = encodeInfo({ codec: 'jpeg', width: 1280, height: 720, fps: 29.97, name: 'Lab' })
    expect([...b]).toEqual([1, 0, 0, 0, 0, 0, 0, 13, 1, 0, 0x05, 0x00, 0x02, 0xd0, 0x0b, 0xb5, 0, 0, 0x4c, 0x61, 0x62])
  })

  it('writes PING, PONG, BYE and ERROR with their documented sizes', () => {
    expect(encodePing(1, 2)).toHaveLength(HEADER_BYTES + 12)
    expect(encodePong(1, 2, 3, 4)).toHaveLength(HEADER_BYTES + 28)
    expect([...encodeBye('idle', 'x')]).toEqual([5, 0, 0, 0, 0, 0, 0, 2, 4, 0x78])
    expect([...encodeError('SERVER_FULL', '')]).toEqual([6, 0, 0, 0, 0, 0, 0, 2, 0, 12])
  })

  it('caps the INFO name at 64 bytes of UTF-8', () => {
    const b = encodeInfo({ codec: 'jpeg', width: 1, height: 1, fps: 1, name: 'é'.repeat(40) })
    expect(b.readUInt32BE(4)).toBe(10 + 64)
    const [m] = new Decoder().push(Buffer.concat([encodePreamble('broadcaster'), b])).slice(1)
    expect(m).toMatchObject({ type: 'info', name: 'é'.repeat(32) })
  })
})

describe('Decoder', () => {
  const messages: Message[] = [
    { type: 'info', codec: 'jpeg', width: 1920, height: 1080, fps: 29.97, name: 'Kitchen ☕' },
    { type: 'info', codec: 'h264', width: 1280, height: 720, fps: 30, name: 'Desk', params: 'avc1.42001f' },
    { type: 'frame', seq: 7, capturedAtUs: 1_700_000_000_123_456, keyframe: true, quality: 70, payload: jpeg(1000) },
    { type: 'frame', seq: 8, capturedAtUs: 1, keyframe: false, quality: 0, payload: Buffer.from([0, 0, 0, 1, 0x41]) },
    { type: 'ping', id: 0xffffffff, t1: Number.MAX_SAFE_INTEGER },
    { type: 'pong', id: 3, t1: 1, t2: 2, t3: 3 },
    { type: 'bye', reason: 'shutdown', text: 'bye now' },
    { type: 'bye', reason: 'kicked', text: '' },
    { type: 'error', code: 'SERVER_FULL', text: '16 viewers already' },
    { type: 'error', code: 'PAIRING_FAILED', text: '' },
    { type: 'ack', seq: 7, spanUs: 4_000 },
    { type: 'keyframeRequest', lastSeq: 6 },
    { type: 'hello', name: 'Mia’s laptop' },
    { type: 'pairRequest' },
    { type: 'pakeShare', element: new Uint8Array(32).fill(0xa5) },
    { type: 'pakeConfirm', tag: new Uint8Array(32).fill(0x5a) }
  ]

  for (const m of messages) {
    it(`round-trips a ${m.type} message (${JSON.stringify(m).slice(0, 60)})`, () => {
      const { messages: out, decoder } = decodeChunks([stream(encodeMessage(m))])
      expect(plain(out)).toEqual(plain([preambleMessage as Message, m]))
      expect(decoder.error).toBeUndefined()
      expect(decoder.end()).toBeUndefined()
    })
  }

  it('reads an unknown BYE reason and an unknown ERROR number without failing', () => {
    const bye = encodeBye('stopped', 'x')
    bye[HEADER_BYTES] = 200
    const err = encodeError('INTERNAL', 'y')
    err.writeUInt16BE(4321, HEADER_BYTES)
    const { messages: out } = decodeChunks([stream(bye, err)])
    expect(out.slice(1)).toEqual([
      { type: 'bye', reason: 'unknown', text: 'x' },
      { type: 'error', code: 'UNKNOWN', text: 'y' }
    ])
  })

  it('hands back a payload that arrived in one chunk as a view of that chunk, not a copy', () => {
    const chunk = stream(...encodeFrame(1, 2, jpeg(500)))
    const [, frame] = new Decoder().push(chunk)
    expect(frame?.type).toBe('frame')
    if (frame?.type !== 'frame') return
    expect(frame.payload.buffer).toBe(chunk.buffer)
  })

  it('parses a frame split across three chunks', () => {
    const bytes = stream(...encodeFrame(42, 1234, jpeg(300)))
    const cuts = [5, 13, bytes.length - 100]
    const { messages: out, decoder } = decodeChunks([
      bytes.subarray(0, cuts[0]),
      bytes.subarray(cuts[0], cuts[1]),
      bytes.subarray(cuts[1], cuts[2]),
      bytes.subarray(cuts[2])
    ])
    expect(plain(out)).toEqual(
      plain([preambleMessage as Message, { type: 'frame', seq: 42, capturedAtUs: 1234, keyframe: true, quality: 0, payload: jpeg(300) }])
    )
    expect(decoder.bufferedBytes).toBe(0)
  })

  it('parses two messages delivered in one chunk', () => {
    const d = new Decoder()
    d.push(encodePreamble('viewer'))
    expect(d.push(Buffer.concat([encodePing(1, 10), encodePing(2, 20)]))).toEqual([
      { type: 'ping', id: 1, t1: 10 },
      { type: 'ping', id: 2, t1: 20 }
    ])
  })

  it('parses a whole conversation delivered one byte at a time', () => {
    const { messages: out, decoder } = decodeChunks(oneByteAtATime(stream(...messages.map(encodeMessage))))
    expect(plain(out)).toEqual(plain([preambleMessage as Message, ...messages]))
    expect(decoder.end()).toBeUndefined()
  })

  it('copies a payload spread over many chunks once, not once per chunk', () => {
    const payload = jpeg(64 * 1024, 7)
    const bytes = stream(...encodeFrame(1, 1, payload))
    const chunks = chunksOf(bytes, 100)
    const allocated: number[] = []
    const real = Buffer.allocUnsafe.bind(Buffer)
    vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => {
      allocated.push(n)
      return real(n)
    })
    const { messages: out } = decodeChunks(chunks)
    expect(out).toHaveLength(2)
    expect(allocated.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(payload.length + 16 + 2 * HEADER_BYTES)
  })

  it('accepts preamble flags, TLS and reserved, and reports them for the caller to act on', () => {
    const [m] = new Decoder().push(encodePreamble('viewer', 0x8002 | PreambleFlag.tls))
    expect(m).toEqual({ type: 'preamble', version: 2, role: 'viewer', flags: 0x8003 })
  })

  it('pauses after the preamble when asked, refusing bytes the peer sends before reading the answer', () => {
    const d = new Decoder({ pauseAfterPreamble: true })
    expect(d.push(encodePreamble('viewer', PreambleFlag.tls))).toEqual([{ type: 'preamble', version: 2, role: 'viewer', flags: 1 }])
    expect(d.paused).toBe(true)
    expect(d.push(Buffer.from([0x16, 0x03, 0x01]))).toEqual([])
    expect(d.error?.code).toBe('UNEXPECTED_MESSAGE')
  })

  it('pauses even when the preamble and more arrive in one chunk', () => {
    const d = new Decoder({ pauseAfterPreamble: true })
    expect(d.push(Buffer.concat([encodePreamble('viewer'), encodePing(1, 1)]))).toHaveLength(1)
    expect(d.error?.code).toBe('UNEXPECTED_MESSAGE')
  })

  it('goes on with messages after resume()', () => {
    const d = new Decoder({ pauseAfterPreamble: true })
    d.push(encodePreamble('viewer'))
    d.resume()
    expect(d.paused).toBe(false)
    expect(d.push(encodeHello('x'))).toEqual([{ type: 'hello', name: 'x' }])
  })

  it('starts at a message header when told there is no preamble (the stream inside TLS)', () => {
    const d = new Decoder({ preamble: false })
    expect(d.push(Buffer.concat([encodeHello(''), encodePing(4, 5)]))).toEqual([
      { type: 'hello', name: '' },
      { type: 'ping', id: 4, t1: 5 }
    ])
    const bad = new Decoder({ preamble: false })
    bad.push(encodePreamble('viewer'))
    expect(bad.error).toBeInstanceOf(FramecastError)
  })

  describe('rejects a peer that is not Framecast', () => {
    const cases: [string, Buffer][] = [
      ['an HTTP server', Buffer.from('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n')],
      ['a classic pickle stream', Buffer.concat([Buffer.from([0x95, 0x3a, 0, 0, 0, 0, 0, 0]), Buffer.from([0x80, 0x04, 0x95])])],
      ['a classic JPEG stream', Buffer.concat([Buffer.from([0x10, 0x27, 0, 0, 0, 0, 0, 0]), jpeg(16)])],
      ['a bare JPEG', jpeg(16)]
    ]
    for (const [what, bytes] of cases) {
      it(`emits BAD_MAGIC for ${what}`, () => {
        const d = new Decoder()
        expect(d.push(bytes)).toEqual([])
        expect(d.error).toBeInstanceOf(FramecastError)
        expect(d.error?.code).toBe('BAD_MAGIC')
      })
    }
  })

  it('emits BAD_MAGIC as soon as 8 bytes are in, without waiting for more', () => {
    const d = new Decoder()
    d.push(Buffer.from('GET / HT'))
    expect(d.error?.code).toBe('BAD_MAGIC')
  })

  it('emits VERSION_MISMATCH for another protocol version', () => {
    const p = encodePreamble('broadcaster')
    p[4] = 1
    const d = new Decoder()
    d.push(p)
    expect(d.error?.code).toBe('VERSION_MISMATCH')
    expect(d.error?.message).toContain('v1')
  })

  it('emits BAD_ROLE when the peer claims our own role', () => {
    const d = new Decoder({ expectRole: 'viewer' })
    expect(d.push(encodePreamble('broadcaster'))).toEqual([])
    expect(d.error?.code).toBe('BAD_ROLE')
  })

  it('emits BAD_ROLE for a role byte that is neither 1 nor 2', () => {
    const p = encodePreamble('viewer')
    p[5] = 3
    const d = new Decoder()
    d.push(p)
    expect(d.error?.code).toBe('BAD_ROLE')
    expect(d.error?.message).not.toContain('undefined')
  })

  it('accepts the expected role', () => {
    const d = new Decoder({ expectRole: 'broadcaster' })
    expect(d.push(encodePreamble('broadcaster'))).toEqual([preambleMessage])
    expect(d.error).toBeUndefined()
  })

  it('emits MESSAGE_TOO_LARGE if the declared length exceeds the limit', () => {
    const d = new Decoder()
    d.push(encodePreamble('broadcaster'))
    d.push(encodeFrameHead(1, 1, DEFAULT_MAX_MESSAGE_BYTES))
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
  })

  it('accepts a declared length exactly at the limit', () => {
    const d = new Decoder({ maxMessageBytes: 1000 })
    d.push(encodePreamble('broadcaster'))
    d.push(encodeFrameHead(1, 1, 1000 - 16))
    expect(d.error).toBeUndefined()
    expect(d.end()?.code).toBe('TRUNCATED')
  })

  it('rejects an oversized message at the header, before buffering or allocating anything', () => {
    const d = new Decoder({ maxMessageBytes: 4096 })
    d.push(encodePreamble('broadcaster'))
    const chunk = Buffer.concat([rawHeader(MessageType.frame, 0xffffffff), Buffer.alloc(64 * 1024)])
    const spies = [
      vi.spyOn(Buffer, 'alloc'),
      vi.spyOn(Buffer, 'allocUnsafe'),
      vi.spyOn(Buffer, 'allocUnsafeSlow'),
      vi.spyOn(Buffer, 'concat'),
      vi.spyOn(Buffer, 'from')
    ]
    expect(d.push(chunk)).toEqual([])
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
    expect(d.error?.message).toContain('4096')
    expect(d.bufferedBytes).toBe(0)
    for (const spy of spies) expect(spy).not.toHaveBeenCalled()
  })

  it('rejects an oversized message whose header arrives in pieces after allocating only the header', () => {
    const d = new Decoder()
    d.push(encodePreamble('broadcaster'))
    const h = rawHeader(MessageType.frame, DEFAULT_MAX_MESSAGE_BYTES + 1)
    const last = Buffer.concat([h.subarray(7), Buffer.alloc(1000)])
    const sizes: number[] = []
    const real = Buffer.allocUnsafe.bind(Buffer)
    vi.spyOn(Buffer, 'allocUnsafe').mockImplementation((n: number) => {
      sizes.push(n)
      return real(n)
    })
    d.push(h.subarray(0, 3))
    d.push(h.subarray(3, 7))
    expect(d.bufferedBytes).toBe(7)
    d.push(last)
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
    expect(d.bufferedBytes).toBe(0)
    expect(Math.max(0, ...sizes)).toBeLessThanOrEqual(HEADER_BYTES)
  })

  it('applies the limit to every message type, not only FRAME', () => {
    const d = new Decoder({ maxMessageBytes: 100 })
    d.push(encodePreamble('broadcaster'))
    d.push(rawHeader(MessageType.ping, 101))
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
  })

  const wrongSizes: [string, number, number][] = [
    ['PING shorter than 12 bytes', MessageType.ping, 11],
    ['PING longer than 12 bytes', MessageType.ping, 13],
    ['PONG shorter than 28 bytes', MessageType.pong, 27],
    ['PONG longer than 28 bytes', MessageType.pong, 29],
    ['INFO shorter than 10 bytes', MessageType.info, 9],
    ['INFO longer than parameters and name allow', MessageType.info, 10 + 64 + INFO_MAX_NAME_BYTES + 1],
    ['FRAME without payload', MessageType.frame, 16],
    ['ACK shorter than 8 bytes', MessageType.ack, 7],
    ['ACK longer than 8 bytes', MessageType.ack, 9],
    ['KEYFRAME_REQUEST of 5 bytes', MessageType.keyframeRequest, 5],
    ['HELLO with a name over 64 bytes', MessageType.hello, 65],
    ['PAIR_REQUEST with a body', MessageType.pairRequest, 1],
    ['PAKE_SHARE of 31 bytes', MessageType.pakeShare, 31],
    ['PAKE_CONFIRM of 33 bytes', MessageType.pakeConfirm, 33],
    ['BYE without a reason', MessageType.bye, 0],
    ['BYE with text over 256 bytes', MessageType.bye, 258],
    ['ERROR without a code', MessageType.error, 1],
    ['ERROR with text over 256 bytes', MessageType.error, 259]
  ]
  for (const [what, type, length] of wrongSizes) {
    it(`emits MALFORMED_MESSAGE for a ${what}`, () => {
      const d = new Decoder()
      d.push(encodePreamble('viewer'))
      d.push(Buffer.concat([rawHeader(type, length), Buffer.alloc(Math.min(length, 300))]))
      expect(d.error?.code).toBe('MALFORMED_MESSAGE')
      expect(d.bufferedBytes).toBe(0)
    })
  }

  const badUtf8 = Buffer.from([0x41, 0xc3, 0x28])
  const badText: [string, Buffer][] = [
    ['an INFO name', Buffer.concat([rawHeader(MessageType.info, 10 + 3), Buffer.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0]), badUtf8])],
    ['a BYE text', Buffer.concat([rawHeader(MessageType.bye, 1 + 3), Buffer.from([1]), badUtf8])],
    ['an ERROR text', Buffer.concat([rawHeader(MessageType.error, 2 + 3), Buffer.from([0, 1]), badUtf8])],
    ['an INFO name cut inside a character', Buffer.concat([rawHeader(MessageType.info, 10 + 2), Buffer.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0]), Buffer.from([0xe2, 0x82])])],
    ['a HELLO name', Buffer.concat([rawHeader(MessageType.hello, 3), badUtf8])]
  ]
  for (const [what, bytes] of badText) {
    it(`emits MALFORMED_MESSAGE for invalid UTF-8 in ${what}`, () => {
      const d = new Decoder()
      d.push(encodePreamble('broadcaster'))
      d.push(bytes)
      expect(d.error?.code).toBe('MALFORMED_MESSAGE')
    })
  }

  it('emits MALFORMED_MESSAGE for a zero-sized picture in INFO', () => {
    const info = encodeInfo({ codec: 'jpeg', width: 640, height: 480, fps: 30, name: '' })
    info.writeUInt16BE(0, HEADER_BYTES + 2)
    const d = new Decoder()
    d.push(stream(info))
    expect(d.error?.code).toBe('MALFORMED_MESSAGE')
  })

  const badInfo: [string, (info: Buffer) => Buffer][] = [
    ['a parameter length over 64', (b) => ((b[HEADER_BYTES + 8] = 65), b)],
    ['a parameter length past the body', (b) => ((b[HEADER_BYTES + 8] = 5), b)],
    ['parameters that are not printable ASCII', (b) => ((b[HEADER_BYTES + 8] = 1), (b[HEADER_BYTES + 10] = 0x0a), b)],
    [
      'a name over 64 bytes after short parameters',
      () => Buffer.concat([rawHeader(MessageType.info, 10 + 65), Buffer.from([1, 0, 0, 1, 0, 1, 0, 0, 0, 0]), Buffer.alloc(65, 0x61)])
    ],
    ['a quality over 100 in FRAME', () => ((b) => ((b[HEADER_BYTES + 12] = 101), b))(Buffer.concat(encodeFrame(1, 1, jpeg(4))))]
  ]
  for (const [what, corrupt] of badInfo) {
    it(`emits MALFORMED_MESSAGE for ${what}`, () => {
      const d = new Decoder()
      d.push(stream(corrupt(encodeInfo({ codec: 'jpeg', width: 640, height: 480, fps: 30, name: 'ab' }))))
      expect(d.error?.code).toBe('MALFORMED_MESSAGE')
    })
  }

  it('emits UNSUPPORTED_CODEC for a codec this version does not know', () => {
    const info = encodeInfo({ codec: 'jpeg', width: 640, height: 480, fps: 30, name: 'x' })
    info[HEADER_BYTES] = 3
    const d = new Decoder()
    d.push(stream(info))
    expect(d.error?.code).toBe('UNSUPPORTED_CODEC')
  })

  it('emits MALFORMED_MESSAGE for a timestamp beyond 2^53 − 1', () => {
    const ping = encodePing(1, 0)
    ping.writeBigUInt64BE(BigInt(Number.MAX_SAFE_INTEGER) + 1n, HEADER_BYTES + 4)
    const d = new Decoder()
    d.push(Buffer.concat([encodePreamble('viewer'), ping]))
    expect(d.error?.code).toBe('MALFORMED_MESSAGE')
  })

  it('skips unknown message types and keeps decoding after them', () => {
    const d = new Decoder()
    const out = [
      ...d.push(Buffer.concat([encodePreamble('broadcaster'), rawHeader(0x7f, 5), Buffer.from('abcde'), rawHeader(0x00, 0)])),
      ...d.push(encodePing(9, 99))
    ]
    expect(out).toEqual([
      preambleMessage,
      { type: 'unknown', typeByte: 0x7f, length: 5 },
      { type: 'unknown', typeByte: 0x00, length: 0 },
      { type: 'ping', id: 9, t1: 99 }
    ])
    expect(d.error).toBeUndefined()
  })

  it('holds none of an unknown message while skipping it', () => {
    const d = new Decoder()
    d.push(Buffer.concat([encodePreamble('broadcaster'), rawHeader(0xee, UNKNOWN_MAX_BYTES)]))
    for (let i = 0; i < 64; i++) {
      d.push(Buffer.alloc(UNKNOWN_MAX_BYTES / 64))
      expect(d.bufferedBytes).toBe(0)
    }
    expect(d.push(encodePong(1, 2, 3, 4))).toEqual([{ type: 'pong', id: 1, t1: 2, t2: 3, t3: 4 }])
  })

  it('emits MESSAGE_TOO_LARGE for an unknown message over 64 KiB', () => {
    const d = new Decoder()
    d.push(Buffer.concat([encodePreamble('broadcaster'), rawHeader(0xee, UNKNOWN_MAX_BYTES + 1)]))
    expect(d.error?.code).toBe('MESSAGE_TOO_LARGE')
  })

  it('reports TRUNCATED when the stream ends in the middle of a message', () => {
    const bytes = stream(...encodeFrame(1, 1, jpeg(100)))
    const d = new Decoder()
    d.push(bytes.subarray(0, bytes.length - 1))
    expect(d.error).toBeUndefined()
    expect(d.end()?.code).toBe('TRUNCATED')
  })

  it('reports TRUNCATED when the stream ends inside the preamble, a header or a skipped message', () => {
    const inPreamble = new Decoder()
    inPreamble.push(encodePreamble('viewer').subarray(0, 5))
    expect(inPreamble.end()?.code).toBe('TRUNCATED')

    const inHeader = new Decoder()
    inHeader.push(stream(encodePing(1, 1).subarray(0, 3)))
    expect(inHeader.end()?.code).toBe('TRUNCATED')

    const inSkip = new Decoder()
    inSkip.push(stream(rawHeader(0x99, 10), Buffer.alloc(4)))
    expect(inSkip.end()?.code).toBe('TRUNCATED')
  })

  it('reports nothing when the stream ends between messages', () => {
    const d = new Decoder()
    d.push(stream(encodePong(1, 2, 3, 4)))
    expect(d.end()).toBeUndefined()
  })

  it('returns nothing after an error, and keeps the first error', () => {
    const d = new Decoder()
    d.push(Buffer.from('HTTP/1.1 200 OK\r\n'))
    const first = d.error
    expect(first?.code).toBe('BAD_MAGIC')
    expect(d.push(stream(encodePing(1, 1)))).toEqual([])
    expect(d.error).toBe(first)
    expect(d.end()).toBe(first)
    expect(d.bufferedBytes).toBe(0)
  })

  it('still returns the messages decoded before an error in the same chunk', () => {
    const d = new Decoder()
    const out = d.push(Buffer.concat([encodePreamble('viewer'), encodePing(1, 5), rawHeader(MessageType.ping, 13), Buffer.alloc(13)]))
    expect(out).toEqual([
      { type: 'preamble', version: 2, role: 'viewer', flags: 0 },
      { type: 'ping', id: 1, t1: 5 }
    ])
    expect(d.error?.code).toBe('MALFORMED_MESSAGE')
  })

  it('ignores empty chunks', () => {
    const d = new Decoder()
    expect(d.push(new Uint8Array(0))).toEqual([])
    expect(d.end()).toBeUndefined()
  })
})
