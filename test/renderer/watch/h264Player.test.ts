import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CANNOT_DECODE_H264, H264Player, MAX_DECODE_QUEUE, type PlayerFrame } from '../../../src/renderer/src/features/watch/h264Player'
import type { WatchFrame } from '../../../src/shared/ipc'
import { KEYFRAME_REQUEST_MIN_MS, NO_SEQ } from '../../../src/shared/protocol'

/** A stand-in for WebCodecs' VideoDecoder: records what it is given; the test decides when and what it outputs. */
class FakeDecoder {
  state: 'unconfigured' | 'configured' | 'closed' = 'unconfigured'
  decodeQueueSize = 0
  readonly chunks: { type: string; timestamp: number }[] = []
  configuredWith: VideoDecoderConfig | null = null
  constructor(readonly init: VideoDecoderInit) {}
  configure(config: VideoDecoderConfig): void {
    if (config.codec === 'bogus') throw new TypeError('invalid codec string')
    this.configuredWith = config
    this.state = 'configured'
  }
  decode(chunk: { type: string; timestamp: number }): void {
    this.chunks.push(chunk)
  }
  reset(): void {}
  close(): void {
    this.state = 'closed'
  }
  /** Output the picture of the chunk given under `timestamp`. */
  emit(timestamp: number): FakePicture {
    const picture = new FakePicture(timestamp)
    this.init.output(picture as unknown as VideoFrame)
    return picture
  }
  fail(name = 'EncodingError'): void {
    this.state = 'closed'
    this.init.error(new DOMException('decode failed', name))
  }
}

class FakePicture {
  displayWidth = 320
  displayHeight = 240
  visibleRect = { width: 320, height: 240 }
  closed = false
  constructor(readonly timestamp: number) {}
  async copyTo(): Promise<unknown[]> {
    return []
  }
  close(): void {
    this.closed = true
  }
}

beforeEach(() => {
  vi.stubGlobal(
    'EncodedVideoChunk',
    class {
      readonly type: string
      readonly timestamp: number
      constructor(init: { type: string; timestamp: number }) {
        this.type = init.type
        this.timestamp = init.timestamp
      }
    }
  )
  vi.stubGlobal(
    'ImageData',
    class {
      readonly data: Uint8ClampedArray
      constructor(
        readonly width: number,
        readonly height: number
      ) {
        this.data = new Uint8ClampedArray(width * height * 4)
      }
    }
  )
})
afterEach(() => vi.unstubAllGlobals())

function harness(codec = 'avc1.42E01F') {
  const decoders: FakeDecoder[] = []
  const painted: number[] = []
  const requests: number[] = []
  const problems: string[] = []
  let clock = 0
  const putImageData = vi.fn()
  const player = new H264Player<PlayerFrame>({
    ctx: { putImageData, drawImage: vi.fn() } as unknown as CanvasRenderingContext2D,
    codec,
    resize: () => undefined,
    painted: (f) => painted.push(f.frame.seq),
    requestKeyframe: (lastSeq) => requests.push(lastSeq),
    unsupported: (m) => problems.push(m),
    createDecoder: (init) => {
      const d = new FakeDecoder(init)
      decoders.push(d)
      return d as unknown as VideoDecoder
    },
    now: () => clock
  })
  const frame = (seq: number, keyframe: boolean, codecName: WatchFrame['codec'] = 'h264'): PlayerFrame => ({
    frame: { seq, capturedAtUs: seq, latencyMs: null, quality: 0, codec: codecName, keyframe, payload: new Uint8Array([0, 0, 0, 1, keyframe ? 0x65 : 0x41]) },
    arrivedAtUs: 0
  })
  const settle = () => new Promise((r) => setTimeout(r, 0))
  return { player, decoders, painted, requests, problems, frame, settle, putImageData, advance: (ms: number) => (clock += ms) }
}

describe('H264Player', () => {
  it('decodes a keyframe and the deltas after it in order, with low latency, and paints each picture', async () => {
    const h = harness()
    for (const [seq, key] of [[10, true], [11, false], [12, false]] as const) h.player.push(h.frame(seq, key))
    const [d] = h.decoders
    expect(d!.configuredWith).toEqual({ codec: 'avc1.42E01F', optimizeForLatency: true, hardwareAcceleration: 'no-preference' })
    expect(d!.chunks.map((c) => c.type)).toEqual(['key', 'delta', 'delta'])
    const pictures = d!.chunks.map((c) => d!.emit(c.timestamp))
    await h.settle()
    await h.settle()
    // The first is painted at once; the two that came while it was painted: only the newest.
    expect(h.painted).toEqual([10, 12])
    expect(pictures.every((p) => p.closed)).toBe(true)
    expect(h.putImageData).toHaveBeenCalledTimes(2)
    expect(h.player.stats).toMatchObject({ painted: 2, replacedBeforeDecode: 1 })
  })

  it('sets its decoder up before the first frame, decodes nothing before the first keyframe, and asks for one with no last seq', () => {
    const h = harness()
    expect(h.decoders.map((d) => d.state)).toEqual(['configured'])
    h.player.push(h.frame(3, false))
    expect(h.decoders[0]!.chunks).toEqual([])
    expect(h.requests).toEqual([NO_SEQ])
  })

  it('drops every delta after a gap until the next keyframe, asking once per KEYFRAME_REQUEST_MIN_MS with the last seq decoded', async () => {
    const h = harness()
    h.player.push(h.frame(1, true))
    h.decoders[0]!.emit(0)
    h.player.push(h.frame(3, false))
    h.player.push(h.frame(4, false))
    h.advance(KEYFRAME_REQUEST_MIN_MS)
    h.player.push(h.frame(5, false))
    expect(h.requests).toEqual([1, 1])
    h.player.push(h.frame(6, true))
    h.player.push(h.frame(7, false))
    expect(h.decoders[0]!.chunks.map((c) => c.type)).toEqual(['key', 'key', 'delta'])
    expect(h.player.stats.replacedBeforeDecode).toBe(3)
  })

  it('after a decode error, drops deltas, asks for a keyframe and decodes it on a new decoder', () => {
    const h = harness()
    h.player.push(h.frame(1, true))
    h.decoders[0]!.emit(0)
    h.decoders[0]!.fail()
    expect(h.requests).toEqual([1])
    h.player.push(h.frame(2, false))
    expect(h.decoders).toHaveLength(1)
    h.player.push(h.frame(3, true))
    expect(h.decoders).toHaveLength(2)
    expect(h.decoders[1]!.chunks.map((c) => c.type)).toEqual(['key'])
    expect(h.player.stats.failed).toBe(1)
  })

  it('drops deltas while the decoder is behind, and resets it for the next keyframe so the picture catches up', () => {
    const h = harness()
    h.player.push(h.frame(1, true))
    const first = h.decoders[0]!
    first.decodeQueueSize = MAX_DECODE_QUEUE
    h.player.push(h.frame(2, false))
    expect(first.chunks).toHaveLength(1)
    expect(h.requests).toEqual([NO_SEQ])
    h.player.push(h.frame(3, true))
    expect(first.state).toBe('closed')
    expect(h.decoders[1]!.chunks.map((c) => c.type)).toEqual(['key'])
  })

  it('says plainly that it cannot show the stream when the engine has no H.264 decoder, and stops', () => {
    const h = harness()
    h.player.push(h.frame(1, true))
    h.decoders[0]!.fail('NotSupportedError')
    expect(h.problems).toEqual([CANNOT_DECODE_H264])
    h.player.push(h.frame(2, true))
    expect(h.decoders).toHaveLength(1)
    const bogus = harness('bogus')
    expect(bogus.problems).toEqual([CANNOT_DECODE_H264])
    bogus.player.push(bogus.frame(1, true))
    expect(bogus.problems).toEqual([CANNOT_DECODE_H264])
  })

  it('ignores JPEG frames and everything after dispose', () => {
    const h = harness()
    h.player.push(h.frame(1, true, 'jpeg'))
    expect(h.decoders[0]!.chunks).toEqual([])
    h.player.push(h.frame(2, true))
    h.player.dispose()
    expect(h.decoders[0]!.state).toBe('closed')
    h.player.push(h.frame(3, true))
    expect(h.decoders).toHaveLength(1)
    expect(h.decoders[0]!.chunks).toHaveLength(1)
  })
})
