// The capture worker's H.264 encoder: WebCodecs VideoEncoder in realtime mode, one access unit out per camera frame,
// Annex B byte stream (SPS and PPS in-band before every IDR picture), keyframes when asked and at least every
// KEYFRAME_INTERVAL_MS, and a bitrate that can be changed while it runs.
//
// Measured at 1280×720 in headless Chromium (OpenH264, 1 Mbps): encode p50 ~3.8 ms, p95 ~7.8 ms, ~4 KB a frame.
// VideoEncoder.configure() again with only another bitrate changes the rate from the next frame on, without a
// keyframe. The first encode after configure() takes 90–230 ms (the encoder starts up); later ones do not.

import { KEYFRAME_INTERVAL_MS } from '../../../../shared/protocol'
import { type CaptureSource, FrameCanvas } from './frameCanvas'
import { clampBitrate, h264EncoderConfig, type H264Settings } from './h264Config'

/** One encoded picture: an access unit in Annex B form. */
export interface H264Chunk {
  data: ArrayBuffer
  /** An IDR picture: decodable without any earlier one (FRAME's keyframe flag). */
  keyframe: boolean
}

/** A frame the encoder did not answer within this long (ms) is taken as dropped, so the pipeline never hangs. */
const OUTPUT_TIMEOUT_MS = 2_000

interface Waiting {
  timestamp: number
  resolve: (chunk: H264Chunk | null) => void
  reject: (e: unknown) => void
  timer: ReturnType<typeof setTimeout>
}

/**
 * H.264 for the capture pipeline. encode() takes a camera frame (the caller keeps it and closes it once encode()
 * has resolved), encodes it at the preset size — frames of another size are scaled and letterboxed on a FrameCanvas first — and
 * resolves with its access unit, or null when the encoder dropped the frame. It rejects once the encoder has failed
 * (`failed` holds why); the caller then falls back to JPEG. One encode at a time: the caller awaits each.
 */
export class H264Encoder {
  private readonly encoder: VideoEncoder
  private config: VideoEncoderConfig
  private waiting: Waiting | null = null
  private canvas: FrameCanvas | null = null
  private keyframeAsked = true
  private lastKeyframeAt = -Infinity
  private lastTimestamp = -Infinity
  /** Why the encoder stopped working; null while it works. */
  failed: Error | null = null

  constructor(private readonly settings: H264Settings) {
    this.config = h264EncoderConfig(settings)
    this.encoder = new VideoEncoder({
      output: (chunk) => this.output(chunk),
      error: (e) => this.fail(e)
    })
    this.encoder.configure(this.config)
  }

  /** The target bitrate in force (bits per second). */
  get bitrateBps(): number {
    return this.config.bitrate ?? this.settings.bitrateBps
  }

  /** Make the next encoded picture a keyframe. */
  requestKeyframe(): void {
    this.keyframeAsked = true
  }

  /** Encode at `bitrateBps` (bits per second, clamped to H264_MIN_BITRATE..H264_MAX_BITRATE) from the next frame on. */
  setBitrate(bitrateBps: number): void {
    const bitrate = clampBitrate(bitrateBps)
    if (bitrate === this.config.bitrate || this.failed) return
    this.config = { ...this.config, bitrate }
    this.encoder.configure(this.config)
  }

  /**
   * Encode one camera frame (not closed here). Resolves with its access unit, or null when the encoder dropped it;
   * rejects when the encoder has failed.
   */
  async encode(source: CaptureSource, timestampUs: number): Promise<H264Chunk | null> {
    if (this.failed) throw this.failed
    // Timestamps must grow: a camera that restarted its clock continues after the last one.
    const timestamp = Math.max(Math.round(timestampUs), this.lastTimestamp + 1)
    this.lastTimestamp = timestamp
    const now = performance.now()
    const keyFrame = this.keyframeAsked || now - this.lastKeyframeAt >= KEYFRAME_INTERVAL_MS
    if (keyFrame) {
      this.keyframeAsked = false
      this.lastKeyframeAt = now
    }
    const frame = await this.atPresetSize(source, timestamp)
    const answer = new Promise<H264Chunk | null>((resolve, reject) => {
      const timer = setTimeout(() => this.settle(null), OUTPUT_TIMEOUT_MS)
      this.waiting = { timestamp, resolve, reject, timer }
    })
    try {
      this.encoder.encode(frame, { keyFrame })
    } catch (e) {
      this.fail(e)
    } finally {
      if (frame !== source) frame.close()
    }
    return answer
  }

  close(): void {
    this.settle(null)
    if (this.encoder.state !== 'closed') this.encoder.close()
  }

  /** The frame to encode: the camera frame itself when it has the preset size, else a letterboxed copy. */
  private async atPresetSize(source: CaptureSource, timestamp: number): Promise<VideoFrame> {
    const { width, height } = this.settings
    if (!(source instanceof ImageBitmap) && source.displayWidth === width && source.displayHeight === height) return source
    this.canvas ??= new FrameCanvas(width, height)
    await this.canvas.paint(source)
    return new VideoFrame(this.canvas.canvas, { timestamp })
  }

  private output(chunk: EncodedVideoChunk): void {
    const w = this.waiting
    if (w === null || chunk.timestamp !== w.timestamp) return
    const data = new ArrayBuffer(chunk.byteLength)
    chunk.copyTo(data)
    this.settle({ data, keyframe: chunk.type === 'key' })
  }

  private settle(chunk: H264Chunk | null): void {
    const w = this.waiting
    if (w === null) return
    this.waiting = null
    clearTimeout(w.timer)
    w.resolve(chunk)
  }

  private fail(e: unknown): void {
    this.failed ??= e instanceof Error ? e : new Error(String(e))
    const w = this.waiting
    this.waiting = null
    if (w === null) return
    clearTimeout(w.timer)
    w.reject(this.failed)
  }
}
