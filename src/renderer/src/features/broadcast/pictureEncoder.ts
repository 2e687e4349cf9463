// What the capture worker makes of each camera frame: a JPEG, or an H.264 access unit — then, while the
// compatibility servers (MJPEG) want one, also a JPEG of the same picture, encoded after the access unit has gone
// so it never delays the stream. When the H.264 encoder fails, it says so once and encodes JPEG from then on.

import type { CodecName } from '../../../../shared/protocol'
import type { EncodedPicture, EncodeSettings, Wants } from './capture.protocol'
import type { CaptureSource } from './frameCanvas'
import { h264DefaultBitrate } from './h264Config'
import { H264Encoder } from './h264Encoder'
import { JpegEncoder } from './jpegEncoder'

export interface PictureEncoderEvents {
  /** A JPEG of the latest picture, for the compatibility servers. */
  compatJpeg: (jpeg: ArrayBuffer) => void
  /** H.264 failed (`message` says why); every picture from now on is JPEG. */
  codecFailed: (message: string) => void
}

/**
 * The stream's encoder. encode() takes over the camera frame (it is closed once nothing needs it) and resolves with
 * the stream's picture, or null when the H.264 encoder dropped the frame; it rejects when the frame cannot be encoded
 * at all. want() passes on what main asked for with its last answer.
 */
export class PictureEncoder {
  private readonly jpeg: JpegEncoder
  private h264: H264Encoder | null = null
  private readonly defaultBitrateBps: number
  private wants: Wants = { keyframe: false, jpeg: false }
  private compatBusy = false

  constructor(
    private readonly settings: EncodeSettings,
    private readonly events: PictureEncoderEvents
  ) {
    this.jpeg = new JpegEncoder(settings.width, settings.height, settings.quality)
    this.defaultBitrateBps = h264DefaultBitrate(settings.width, settings.height, settings.fps)
    if (settings.codec === 'h264') {
      try {
        this.h264 = new H264Encoder(settings)
      } catch (e) {
        this.events.codecFailed(e instanceof Error ? e.message : String(e))
      }
    }
  }

  /** What the stream is encoded as now. */
  get codec(): CodecName {
    return this.h264 === null ? 'jpeg' : 'h264'
  }

  setQuality(quality: number): void {
    this.jpeg.setQuality(quality)
  }

  /** JPEG from the next picture on at `quality` (0..1) and `scale` of the preset size (adaptive quality's target). */
  setTarget(quality: number, scale: number): void {
    this.jpeg.setTarget(quality, scale)
  }

  setBitrate(bitrateBps: number): void {
    this.h264?.setBitrate(bitrateBps)
  }

  /**
   * What main asked for: a keyframe next, a compatibility JPEG next. Main asks once (later answers say no until the
   * interval has passed), so what is asked stays owed until a picture serves it.
   */
  want(wants: Wants): void {
    this.wants = { keyframe: this.wants.keyframe || wants.keyframe, jpeg: this.wants.jpeg || wants.jpeg }
  }

  /** `timestampUs`: the camera's timestamp of the frame (VideoFrame.timestamp), µs. */
  async encode(source: CaptureSource, timestampUs: number): Promise<EncodedPicture | null> {
    const t0 = performance.now()
    const h264 = this.h264
    if (h264 !== null) {
      if (this.wants.keyframe) h264.requestKeyframe()
      this.wants.keyframe = false
      let chunk
      try {
        chunk = await h264.encode(source, timestampUs)
      } catch (e) {
        if (h264.failed === null) {
          source.close()
          throw e
        }
        this.fallBackToJpeg(h264)
        return this.encodeJpeg(source, t0)
      }
      const encodeMs = performance.now() - t0
      this.compat(source)
      if (chunk === null) return null
      return { codec: 'h264', payload: chunk.data, keyframe: chunk.keyframe, quality: this.bitrateShare(h264.bitrateBps), encodeMs }
    }
    return this.encodeJpeg(source, t0)
  }

  close(): void {
    this.h264?.close()
    this.h264 = null
  }

  private async encodeJpeg(source: CaptureSource, t0: number): Promise<EncodedPicture> {
    const { jpeg } = await this.jpeg.encode(source)
    return { codec: 'jpeg', payload: jpeg, keyframe: true, quality: this.jpeg.qualityPercent, encodeMs: performance.now() - t0 }
  }

  /** The compatibility JPEG of this picture when main wants one and none is being made; the source is closed either way. */
  private compat(source: CaptureSource): void {
    if (!this.wants.jpeg || this.compatBusy) {
      source.close()
      return
    }
    this.wants.jpeg = false
    this.compatBusy = true
    this.jpeg
      .encode(source)
      .then(
        ({ jpeg }) => this.events.compatJpeg(jpeg),
        () => undefined
      )
      .finally(() => {
        this.compatBusy = false
      })
  }

  private fallBackToJpeg(h264: H264Encoder): void {
    h264.close()
    this.h264 = null
    this.events.codecFailed(h264.failed?.message ?? 'the H.264 encoder failed')
  }

  /** FRAME's quality byte for H.264: the bitrate in force as a share of the default one, 1–100 %. */
  private bitrateShare(bitrateBps: number): number {
    return Math.max(1, Math.min(100, Math.round((100 * bitrateBps) / this.defaultBitrateBps)))
  }
}
