import { describe, expect, it } from 'vitest'
import {
  clampBitrate,
  H264_MAX_BITRATE,
  H264_MIN_BITRATE,
  h264CodecString,
  h264DefaultBitrate,
  h264EncoderConfig
} from '../../../src/renderer/src/features/broadcast/h264Config'
import { H264CodecParamsSchema } from '../../../src/shared/ipc'
import * as v from 'valibot'

describe('H.264 encoder configuration', () => {
  it('names Constrained Baseline at the lowest level that carries the picture size and frame rate (H.264 Table A-1)', () => {
    expect(h264CodecString(640, 480, 30)).toBe('avc1.42E01E') // 3.0: 1 200 macroblocks, 36 000 a second
    expect(h264CodecString(640, 480, 60)).toBe('avc1.42E01F') // 72 000 a second is over 3.0's 40 500
    expect(h264CodecString(1280, 720, 30)).toBe('avc1.42E01F') // 3.1: 3 600 macroblocks
    expect(h264CodecString(1280, 720, 60)).toBe('avc1.42E020') // 3.2
    expect(h264CodecString(1920, 1080, 30)).toBe('avc1.42E028') // 4.0: 8 160 macroblocks (1080 rounds up to 1088)
    expect(h264CodecString(1920, 1080, 60)).toBe('avc1.42E02A') // 4.2
    expect(h264CodecString(7680, 4320, 120)).toBe('avc1.42E034') // beyond every level: the highest
    for (const [w, h, f] of [[640, 480, 15], [1920, 1080, 60], [3840, 2160, 30]] as const) {
      expect(v.is(H264CodecParamsSchema, h264CodecString(w, h, f))).toBe(true)
    }
  })

  it('defaults to 1 Mbps at 1280×720, 30 fps, scaled by pixel rate and kept within the limits', () => {
    expect(h264DefaultBitrate(1280, 720, 30)).toBe(1_000_000)
    expect(h264DefaultBitrate(640, 480, 30)).toBe(330_000)
    expect(h264DefaultBitrate(1920, 1080, 30)).toBe(2_250_000)
    expect(h264DefaultBitrate(16, 16, 1)).toBe(H264_MIN_BITRATE)
    expect(clampBitrate(1e12)).toBe(H264_MAX_BITRATE)
  })

  it('asks for realtime encoding with Annex B output at the target bitrate', () => {
    expect(h264EncoderConfig({ width: 1280, height: 720, fps: 30, bitrateBps: 750_000 })).toEqual({
      codec: 'avc1.42E01F',
      width: 1280,
      height: 720,
      bitrate: 750_000,
      bitrateMode: 'constant',
      framerate: 30,
      latencyMode: 'realtime',
      hardwareAcceleration: 'no-preference',
      avc: { format: 'annexb' }
    })
  })
})
