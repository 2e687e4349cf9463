import { describe, expect, it } from 'vitest'
import { COMPAT_JPEG_FPS, EncoderWants, routePicture, SNAPSHOT_JPEG_INTERVAL_MS, streamInfoFor } from '../../src/service/broadcast-codec'
import { FramecastError } from '../../src/core/errors'
import { parseRequest, type ValidRequestOf } from '../../src/shared/ipc'

function start(extra: object): ValidRequestOf<'broadcast:start'> {
  const r = parseRequest('broadcast:start', { port: 9999, host: '::', name: 'Desk', width: 1280, height: 720, fps: 30, ...extra })
  if (!r.ok) throw new Error(r.error.message)
  return r.value
}

const picture = (codec: 'jpeg' | 'h264') => ({ seq: 1, capturedAtUs: 1, quality: 0, codec, payload: new Uint8Array(4), keyframe: true })

describe('streamInfoFor', () => {
  it('describes a JPEG stream without parameters, and an H.264 stream with its codec string', () => {
    expect(streamInfoFor(start({}))).toEqual({ codec: 'jpeg', width: 1280, height: 720, fps: 30, name: 'Desk' })
    expect(streamInfoFor(start({ codec: 'h264', codecParams: 'avc1.42E01F' }))).toEqual({
      codec: 'h264',
      params: 'avc1.42E01F',
      width: 1280,
      height: 720,
      fps: 30,
      name: 'Desk'
    })
  })

  it('refuses H.264 without its codec string or with a classic mode, and a codec string on JPEG', () => {
    for (const extra of [{ codec: 'h264' }, { codec: 'h264', codecParams: 'avc1.42E01F', classic: 'pickle' }, { codecParams: 'avc1.42E01F' }]) {
      const e = (() => {
        try {
          return streamInfoFor(start(extra))
        } catch (err) {
          return err
        }
      })()
      expect(e).toBeInstanceOf(FramecastError)
      expect((e as FramecastError).code).toBe('INVALID_ARGUMENT')
    }
  })
})

describe('routePicture', () => {
  it('sends a picture in the stream codec to the viewers, and every JPEG to the compatibility servers', () => {
    expect(routePicture(picture('jpeg'), 'jpeg')).toEqual({ toViewers: true, toCompat: true })
    expect(routePicture(picture('h264'), 'h264')).toEqual({ toViewers: true, toCompat: false })
    expect(routePicture(picture('jpeg'), 'h264')).toEqual({ toViewers: false, toCompat: true })
    expect(() => routePicture(picture('h264'), 'jpeg')).toThrow(FramecastError)
  })
})

describe('EncoderWants', () => {
  it('asks for a keyframe once, in the next answer, and never for a JPEG stream', () => {
    const h = new EncoderWants('h264')
    h.keyframeWanted()
    h.keyframeWanted()
    expect(h.answer(true, null, 0)).toEqual({ sent: true, wantKeyframe: true, wantJpeg: false })
    expect(h.answer(true, null, 1).wantKeyframe).toBe(false)
    const j = new EncoderWants('jpeg')
    j.keyframeWanted()
    expect(j.answer(false, null, 0)).toEqual({ sent: false, wantKeyframe: false, wantJpeg: false })
  })

  it(`asks for a compatibility JPEG at most ${COMPAT_JPEG_FPS} times a second with MJPEG clients, once a second without, and never for JPEG`, () => {
    const h = new EncoderWants('h264')
    const asked = (clients: number, fromMs: number, toMs: number): number => {
      let n = 0
      for (let t = fromMs; t < toMs; t += 5) if (h.answer(true, clients, t).wantJpeg) n++
      return n
    }
    expect(asked(3, 0, 1_000)).toBe(COMPAT_JPEG_FPS)
    expect(asked(0, 1_000, 1_000 + 3 * SNAPSHOT_JPEG_INTERVAL_MS)).toBe(3)
    // A JPEG that came resets the interval as an ask does.
    h.jpegArrived(10_000)
    expect(h.answer(true, 0, 10_000 + SNAPSHOT_JPEG_INTERVAL_MS - 1).wantJpeg).toBe(false)
    expect(h.answer(true, null, 20_000).wantJpeg).toBe(false)
    expect(new EncoderWants('jpeg').answer(true, 5, 0).wantJpeg).toBe(false)
  })
})
