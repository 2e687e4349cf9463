import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeClassicMessage, SNIFF_BYTES } from '../../../src/core/classic/framing'
import { Decoder, encodeBye, encodeError, encodeFrame, encodeInfo, encodePing, encodePong, encodePreamble } from '../../../src/core/codec/codec'
import { NativeAdapter } from '../../../src/core/watch/native-adapter'
import { nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { ClockOffset } from '../../../src/shared/stats'
import { splitAt } from '../../support/chunks'
import { fakeJpeg } from '../../support/net'
import { NUM_RUNS } from '../../support/runs'
import { expectCorruptionHandled, recordingSink } from '../../support/stream-sink'

const info: StreamInfo = { codec: 'jpeg', width: 320, height: 240, fps: 30, name: 'Desk' }
const WHERE = '192.0.2.7:9999'

function adapter(clock = new ClockOffset(8)) {
  const { sink, record } = recordingSink(WHERE)
  return { a: new NativeAdapter(sink, { maxMessageBytes: 1 << 20, clock, deviceName: 'test viewer' }), record, clock }
}

function frame(seq: number, capturedAtUs = 1_000, size = 200): Buffer {
  return Buffer.concat(encodeFrame(seq, capturedAtUs, fakeJpeg(size, seq)))
}

/** A broadcaster's opening: preamble and INFO. */
const opening = (): Buffer => Buffer.concat([encodePreamble('broadcaster'), encodeInfo(info)])

/** What the adapter wrote, decoded as the broadcaster would. */
function written(sent: Uint8Array[]) {
  const d = new Decoder({ expectRole: 'viewer' })
  return sent.flatMap((b) => d.push(b))
}

describe('the native stream adapter', () => {
  it('greets with the viewer preamble and sends each PING with the id it is given', () => {
    const { a, record } = adapter()
    expect(a.format).toBe('native')
    expect(a.pings).toBe(true)
    expect(Buffer.from(a.greeting).equals(encodePreamble('viewer'))).toBe(true)
    const before = nowUs()
    a.ping(6)
    expect(record.sent).toEqual([])
    a.push(encodePreamble('broadcaster'))
    a.ping(7)
    a.ping(8)
    const said = written([encodePreamble('viewer'), ...record.sent]).slice(1)
    expect(said.map((m) => m.type)).toEqual(['hello', 'ping', 'ping', 'ping'])
    expect(said[0]).toEqual({ type: 'hello', name: 'test viewer' })
    const pings = said.filter((m) => m.type === 'ping')
    expect(pings.map((m) => m.type === 'ping' && m.id)).toEqual([6, 7, 8])
    expect(pings.every((m) => m.type === 'ping' && m.t1 >= before && m.t1 <= nowUs())).toBe(true)
  })

  it('acknowledges each frame as soon as it is read whole, with how long its bytes took to arrive', () => {
    const { a, record } = adapter()
    a.push(opening())
    const whole = frame(1)
    a.push(whole)
    const split = frame(2)
    a.push(split.subarray(0, 10))
    const t = performance.now()
    while (performance.now() - t < 5) {
      // let a few milliseconds pass between the two halves
    }
    a.push(split.subarray(10))
    const acks = written([encodePreamble('viewer'), ...record.sent]).filter((m) => m.type === 'ack')
    expect(acks.map((m) => m.type === 'ack' && m.seq)).toEqual([1, 2])
    expect(acks[0]).toMatchObject({ spanUs: 0 })
    expect(acks[1]!.type === 'ack' && acks[1]!.spanUs).toBeGreaterThanOrEqual(4_000)
  })

  it('describes the stream on INFO, delivers frames as views of the chunk and reports sequence gaps', () => {
    const { a, record } = adapter()
    const chunk = Buffer.concat([opening(), ...[10, 11, 15, 16].map((seq) => frame(seq))])
    a.push(chunk)
    expect(record.infos).toEqual([info])
    expect(record.frames.map((f) => f.seq)).toEqual([10, 11, 15, 16])
    expect(record.frames.every((f) => f.payload.buffer === chunk.buffer && f.payload[5] === (f.seq & 0xff))).toBe(true)
    expect(record.gaps).toBe(3)
    expect(record.log).toEqual(['heard', 'described', 'frame', 'frame', 'gap', 'frame', 'frame'])
    expect(record.failures).toEqual([])
  })

  it('does not count a step back in the sequence numbers as a gap', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([opening(), frame(500), frame(501), frame(0), frame(1)]))
    expect(record.frames.map((f) => f.seq)).toEqual([500, 501, 0, 1])
    expect(record.gaps).toBe(0)
  })

  it('reports latency from the clock offset once a PONG has come back, and none before', () => {
    const { a, record, clock } = adapter()
    const ahead = 5_000_000
    a.push(opening())
    a.push(frame(1, nowUs() + ahead - 30_000))
    expect(record.frames[0]!.latencyMs).toBeNull()
    const t1 = nowUs() - 200
    a.push(encodePong(1, t1, t1 + 100 + ahead, t1 + 100 + ahead))
    expect(clock.best()).not.toBeNull()
    a.push(frame(2, nowUs() + ahead - 30_000))
    const latency = record.frames[1]!.latencyMs!
    expect(latency).toBeGreaterThanOrEqual(29)
    expect(latency).toBeLessThan(200)
  })

  it('fails with UNEXPECTED_MESSAGE on a frame before the stream is described, and delivers nothing', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([encodePreamble('broadcaster'), frame(0), encodeInfo(info), frame(1)]))
    expect(record.failures.map((e) => [e.code, e.message])).toEqual([['UNEXPECTED_MESSAGE', `${WHERE} sent a frame before describing the stream`]])
    expect(record.frames).toEqual([])
    expect(record.infos).toEqual([])
  })

  it.each([
    ['stalled', 'STALLED', `${WHERE} cut this viewer off because it fell behind`],
    ['idle', 'IDLE_TIMEOUT', `${WHERE} closed the connection after hearing nothing from this viewer`],
    ['stopped', 'PEER_LOST', `The broadcaster at ${WHERE} stopped: camera unplugged`]
  ] as const)('ends on BYE %s with %s', (reason, code, message) => {
    const { a, record } = adapter()
    a.push(Buffer.concat([opening(), encodeBye(reason, 'camera unplugged'), frame(1)]))
    expect(record.failures.map((e) => [e.code, e.message])).toEqual([[code, message]])
    expect(record.frames).toEqual([])
  })

  it('keeps the code of an ERROR from the broadcaster and says it in words', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([encodePreamble('broadcaster'), encodeError('SERVER_FULL', '16 viewers')]))
    expect(record.failures.map((e) => [e.code, e.message])).toEqual([['SERVER_FULL', `${WHERE} has all the viewers it accepts (16 viewers)`]])
  })

  it('fails with UNEXPECTED_MESSAGE when the broadcaster sends a PING', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([opening(), encodePing(1, 2)]))
    expect(record.failures.map((e) => e.code)).toEqual(['UNEXPECTED_MESSAGE'])
  })

  it('answers a peer that is not Framecast with an ERROR on the wire and BAD_MAGIC in words', () => {
    const { a, record } = adapter()
    a.push(Buffer.from('HTTP/1.1 400 Bad Request\r\n\r\n'))
    expect(record.failures.map((e) => [e.code, e.message])).toEqual([['BAD_MAGIC', `${WHERE} is not a Framecast broadcaster`]])
    const sent = written([encodePreamble('viewer'), ...record.sent])
    expect(sent.map((m) => m.type === 'error' && m.code)).toEqual([false, 'BAD_MAGIC'])
  })

  it('names a classic OpenCV sender when its first bytes tell it apart, and falls back to "not Framecast" when too few came', () => {
    const classic = Buffer.concat(encodeClassicMessage(fakeJpeg(300)))
    const told = adapter()
    told.a.push(classic.subarray(0, SNIFF_BYTES))
    told.a.push(classic.subarray(SNIFF_BYTES))
    expect(told.record.failures.map((e) => [e.code, e.message])).toEqual([
      ['BAD_MAGIC', `${WHERE} sends the classic OpenCV format, not Framecast; watch it in Classic or Auto mode`]
    ])
    // The decoder refuses the magic at its first byte, before the classic length and payload start are in.
    const early = adapter()
    for (let i = 0; i < 16; i++) early.a.push(classic.subarray(i, i + 1))
    expect(early.record.failures.map((e) => [e.code, e.message])).toEqual([['BAD_MAGIC', `${WHERE} is not a Framecast broadcaster`]])
  })

  it('says VERSION_MISMATCH for another protocol version', () => {
    const { a, record } = adapter()
    const preamble = encodePreamble('broadcaster')
    preamble[4] = preamble[4]! + 1
    a.push(preamble)
    expect(record.failures.map((e) => e.code)).toEqual(['VERSION_MISMATCH'])
    expect(record.failures[0]!.message).toContain(`${WHERE} runs a different Framecast version`)
  })

  it('reports TRUNCATED when the peer ends inside a message', () => {
    const { a } = adapter()
    a.push(Buffer.concat([opening(), frame(1).subarray(0, 30)]))
    expect(a.end()?.code).toBe('TRUNCATED')
  })

  it('delivers nothing and writes nothing once closed', () => {
    const { a, record } = adapter()
    a.push(opening())
    const introduced = record.sent.length
    a.close()
    a.push(frame(1))
    a.ping(1)
    expect(record.frames).toEqual([])
    expect(record.sent).toHaveLength(introduced)
  })

  it('reports the same stream whatever the chunking', () => {
    const stream = Buffer.concat([opening(), frame(3), frame(4), frame(9, 5, 3_000), encodeInfo({ ...info, width: 64 }), frame(10)])
    const whole = adapter()
    whole.a.push(stream)
    const summary = (r: typeof whole.record) => ({
      infos: r.infos,
      frames: r.frames.map((f) => [f.seq, f.capturedAtUs, Buffer.from(f.payload).toString('hex')]),
      gaps: r.gaps,
      failures: r.failures
    })
    expect(summary(whole.record)).toMatchObject({ gaps: 4, failures: [] })
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 30 }), (cuts) => {
        const split = adapter()
        for (const c of splitAt(stream, cuts)) split.a.push(c)
        expect(summary(split.record)).toEqual(summary(whole.record))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws on corrupted input, fails at most once with a coded error, and reports nothing after', () => {
    const stream = Buffer.concat([opening(), frame(1), frame(2), encodePong(1, 10, 20, 30), frame(4)])
    expectCorruptionHandled(stream, (sink) => new NativeAdapter(sink, { maxMessageBytes: 1 << 20, clock: new ClockOffset(8), deviceName: 'test viewer' }))
  })
})

describe('the native stream adapter on an H.264 stream', () => {
  const h264: StreamInfo = { codec: 'h264', params: 'avc1.42E01F', width: 320, height: 240, fps: 30, name: 'Desk' }
  const unit = (seq: number, keyframe: boolean): Buffer => {
    const payload = fakeJpeg(100, seq)
    payload.set([0, 0, 0, 1], 0)
    return Buffer.concat(encodeFrame(seq, 1_000, payload, { keyframe }))
  }
  const h264Opening = (): Buffer => Buffer.concat([encodePreamble('broadcaster'), encodeInfo(h264)])
  const requests = (sent: Uint8Array[]) => written([encodePreamble('viewer'), ...sent]).filter((m) => m.type === 'keyframeRequest')

  it('delivers frames with their codec and keyframe flag, and treats every JPEG frame as a keyframe', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([opening(), Buffer.concat(encodeFrame(1, 1_000, fakeJpeg(50, 1), { keyframe: false }))]))
    expect(record.frames.map((f) => [f.codec, f.keyframe])).toEqual([['jpeg', true]])
    const h = adapter()
    h.a.push(Buffer.concat([h264Opening(), unit(4, true), unit(5, false)]))
    expect(h.record.frames.map((f) => [f.seq, f.codec, f.keyframe])).toEqual([
      [4, 'h264', true],
      [5, 'h264', false]
    ])
  })

  it('holds back every delta after a sequence gap until the next keyframe, asking for one with the last seq it delivered', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([h264Opening(), unit(1, true), unit(2, false), unit(4, false), unit(5, false), unit(6, true), unit(7, false)]))
    expect(record.frames.map((f) => f.seq)).toEqual([1, 2, 6, 7])
    expect(record.gaps).toBe(1)
    expect(requests(record.sent)).toEqual([{ type: 'keyframeRequest', lastSeq: 2 }])
    // Every frame is acknowledged, delivered or not: it arrived.
    expect(written([encodePreamble('viewer'), ...record.sent]).filter((m) => m.type === 'ack')).toHaveLength(6)
  })

  it('waits for a keyframe when the first frame is a delta, asking with no last seq', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([h264Opening(), unit(9, false), unit(10, true)]))
    expect(record.frames.map((f) => f.seq)).toEqual([10])
    expect(requests(record.sent)).toEqual([{ type: 'keyframeRequest', lastSeq: 0xffffffff }])
  })

  it('asks at most once per KEYFRAME_REQUEST_MIN_MS however many deltas it drops', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([h264Opening(), unit(1, true), ...Array.from({ length: 30 }, (_, i) => unit(3 + i, false))]))
    expect(record.frames.map((f) => f.seq)).toEqual([1])
    expect(requests(record.sent)).toHaveLength(1)
  })

  it("drops deltas and asks for a keyframe when the window lost the chain, and not on a JPEG stream", () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([h264Opening(), unit(1, true), unit(2, false)]))
    a.requestKeyframe(1)
    a.push(Buffer.concat([unit(3, false), unit(4, true)]))
    expect(record.frames.map((f) => f.seq)).toEqual([1, 2, 4])
    expect(requests(record.sent)).toEqual([{ type: 'keyframeRequest', lastSeq: 1 }])
    const j = adapter()
    j.a.push(Buffer.concat([opening(), frame(1)]))
    j.a.requestKeyframe(1)
    j.a.push(frame(2))
    expect(j.record.frames.map((f) => f.seq)).toEqual([1, 2])
    expect(requests(j.record.sent)).toEqual([])
  })

  it('starts over at a keyframe when INFO announces other codec parameters', () => {
    const { a, record } = adapter()
    a.push(Buffer.concat([h264Opening(), unit(1, true), encodeInfo({ ...h264, params: 'avc1.42E028' }), unit(2, false), unit(3, true)]))
    expect(record.frames.map((f) => f.seq)).toEqual([1, 3])
  })
})
