// The Broadcast window's side of the capture pipeline: feeds camera frames to the worker and hands the worker's
// pictures (JPEG or H.264) to main, one at a time, passing main's answers (a keyframe wanted, a compatibility JPEG
// wanted) back to the worker.

import type { FrameAnswer, RequestOf } from '../../../../shared/ipc'
import type { CodecName } from '../../../../shared/protocol'
import { RateMeter, RecentSamples } from '../../../../shared/stats'
import type { EncoderTarget } from '../../../../shared/status'
import type { CaptureStats } from '../../store/broadcast'
import type { EncodedPicture, EncodeSettings, FromWorker, ToWorker, Wants } from './capture.protocol'
import { CaptureLoop } from './captureLoop'

interface TrackProcessorConstructor {
  new (init: { track: MediaStreamTrack; maxBufferSize?: number }): { readable: ReadableStream<VideoFrame> }
}

function trackProcessor(): TrackProcessorConstructor | null {
  const ctor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor
  return typeof ctor === 'function' ? ctor : null
}

/** A picture for main, as the 'broadcast:frame' request carries it. */
export type OutgoingFrame = RequestOf<'broadcast:frame'>

export interface CaptureSessionOptions {
  track: MediaStreamTrack
  /** The preview element, used to grab frames where MediaStreamTrackProcessor is missing. */
  video: HTMLVideoElement
  settings: EncodeSettings
  /** Adaptive quality on (follow the target main answers each frame with) or off (fixed at settings.quality). */
  adaptive: boolean
  /** Hand a picture to main; resolves with main's answer when it took it (what the next pictures should be). */
  send: (frame: OutgoingFrame) => Promise<FrameAnswer>
  onStats: (stats: CaptureStats) => void
  /** The camera stopped delivering (unplugged, taken away). */
  onEnded: () => void
  onError: (message: string) => void
  /** H.264 could not be encoded (`message` says why): the pictures are JPEG from now on. */
  onCodecFailed: (message: string) => void
}

export type CaptureSource = 'track-processor' | 'video-frames'

/** A presented preview frame (fallback mode): its media timestamp in µs when the browser gives one. */
interface PreviewTick {
  timestampUs: number | null
}

const NOTHING_WANTED: Wants = { keyframe: false, jpeg: false }

/** The request for a picture: a JPEG, or an H.264 access unit with its keyframe flag. */
/** The quality setting, as broadcast:frame states it: `ceiling` 1–100 and adaptive quality on or off. */
interface QualitySetting {
  ceiling: number
  adaptive: boolean
}

function frameRequest(seq: number, capturedAtUs: number, p: Pick<EncodedPicture, 'codec' | 'payload' | 'keyframe' | 'quality'>, q: QualitySetting): OutgoingFrame {
  const bytes = new Uint8Array(p.payload)
  return p.codec === 'h264'
    ? { seq, capturedAtUs, quality: p.quality, h264: bytes, keyframe: p.keyframe, ...q }
    : { seq, capturedAtUs, quality: p.quality, jpeg: bytes, ...q }
}

/**
 * One broadcast's capture: starts the capture worker, feeds it camera frames (a MediaStreamTrackProcessor stream
 * when there is one, else ImageBitmaps grabbed from the preview each time the camera presents a frame), hands each
 * picture to main through `send` one at a time, and reports CaptureStats every second. `stop` ends the worker.
 */
export class CaptureSession {
  private readonly worker: Worker
  private readonly encodeMs = new RecentSamples(120)
  private readonly rate = new RateMeter(1000)
  private sent = 0
  private lastSeq = 0
  private workerSkippedBusy = 0
  private workerSkippedPace = 0
  private statsTimer: ReturnType<typeof setInterval> | null = null
  private stopped = false
  private compatBusy = false
  private bitmapLoop: CaptureLoop<PreviewTick, EncodedPicture> | null = null
  private readonly pendingBitmaps = new Map<number, (m: FromWorker) => void>()
  private nextBitmapId = 0
  private videoCallback: number | null = null
  private codec: CodecName
  /** What the worker was last told to encode at (quality 0..1, scale). */
  private target = { quality: -1, scale: 1 }
  /** The H.264 bitrate the worker was last told (bits per second): the set one at the start. */
  private bitrateInForce: number
  readonly source: CaptureSource

  constructor(private readonly o: CaptureSessionOptions) {
    this.worker = new Worker(new URL('./capture.worker.ts', import.meta.url), { type: 'module', name: 'capture' })
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data)
    this.worker.onerror = (e) => o.onError(e.message || 'The capture worker failed')
    this.source = trackProcessor() ? 'track-processor' : 'video-frames'
    this.codec = o.settings.codec
    this.bitrateInForce = o.settings.bitrateBps
  }

  start(): void {
    const Processor = trackProcessor()
    if (Processor) {
      const { readable } = new Processor({ track: this.o.track, maxBufferSize: 1 })
      this.post({ type: 'start-stream', readable, ...this.o.settings }, [readable as unknown as Transferable])
    } else {
      this.post({ type: 'start-bitmaps', ...this.o.settings })
      this.startVideoFrames()
    }
    this.statsTimer = setInterval(() => this.reportStats(), 1000)
  }

  /** The person moved the quality setting (0..1): frames follow at once; adaptation may lower it again. */
  setQuality(quality: number): void {
    this.o.settings.quality = quality
    this.encodeAt(quality, this.target.scale)
  }

  /** Adaptive quality on or off; off goes back to the setting at full size (and H.264's set bitrate) at once. */
  setAdaptive(adaptive: boolean): void {
    this.o.adaptive = adaptive
    if (adaptive) return
    this.encodeAt(this.o.settings.quality, 1)
    this.encodeBitrate(this.o.settings.bitrateBps)
  }

  private qualitySetting(): QualitySetting {
    return { ceiling: Math.max(1, Math.min(100, Math.round(this.o.settings.quality * 100))), adaptive: this.o.adaptive }
  }

  /**
   * Main's answer to a frame: encode the next ones as the target says (the setting at full size when fixed). JPEG
   * follows its quality and size; H.264 its bitrate, never above the one set for the picture size.
   */
  private follow(target: EncoderTarget): void {
    if (!this.o.adaptive) return
    this.encodeAt(Math.min(this.o.settings.quality, target.quality / 100), target.scale)
    if (this.codec === 'h264') this.encodeBitrate(target.bitrateBps === null ? this.o.settings.bitrateBps : Math.min(this.o.settings.bitrateBps, target.bitrateBps))
  }

  private encodeBitrate(bitrateBps: number): void {
    if (bitrateBps === this.bitrateInForce) return
    this.bitrateInForce = bitrateBps
    this.post({ type: 'bitrate', bitrateBps })
  }

  private encodeAt(quality: number, scale: number): void {
    if (quality === this.target.quality && scale === this.target.scale) return
    this.target = { quality, scale }
    this.post({ type: 'target', quality, scale })
  }

  /** H.264: encode at `bitrateBps` (bits per second) from the next frame on; adaptive quality may ask for less. */
  setBitrate(bitrateBps: number): void {
    this.o.settings.bitrateBps = bitrateBps
    this.encodeBitrate(bitrateBps)
  }

  stop(): void {
    if (this.stopped) return
    this.stopped = true
    if (this.statsTimer) clearInterval(this.statsTimer)
    this.bitmapLoop?.stop()
    if (this.videoCallback !== null) this.o.video.cancelVideoFrameCallback(this.videoCallback)
    for (const [id, resolve] of this.pendingBitmaps) resolve({ type: 'failed', id, message: 'stopped' })
    this.pendingBitmaps.clear()
    this.post({ type: 'stop' })
    this.worker.terminate()
    // Nothing is captured any more: say so instead of leaving the last second's rate on screen.
    this.reportStats(0)
  }

  private post(message: ToWorker, transfer: Transferable[] = []): void {
    if (!this.stopped || message.type === 'stop') this.worker.postMessage(message, transfer)
  }

  private onWorkerMessage(m: FromWorker): void {
    if (this.stopped) return
    switch (m.type) {
      case 'frame':
        this.workerSkippedBusy = m.skippedBusy
        this.workerSkippedPace = m.skippedPace
        this.encodeMs.add(m.encodeMs)
        void this.deliver(m.seq, m.capturedAtUs, m).then((wants) => this.post({ type: 'ack', ...wants }))
        break
      case 'encoded':
      case 'failed': {
        const waiting = this.pendingBitmaps.get(m.id)
        this.pendingBitmaps.delete(m.id)
        waiting?.(m)
        break
      }
      case 'compat-jpeg':
        void this.deliverCompat(m.capturedAtUs, m.jpeg)
        break
      case 'codec-failed':
        this.codec = 'jpeg'
        this.o.onCodecFailed(m.message)
        break
      case 'ended':
        this.o.onEnded()
        break
      case 'error':
        this.o.onError(m.message)
        break
    }
  }

  /** Hand a picture to main; resolves with what main wants of the next pictures (nothing when it failed). */
  private async deliver(seq: number, capturedAtUs: number, picture: EncodedPicture): Promise<Wants> {
    this.codec = picture.codec
    try {
      const answer = await this.o.send(frameRequest(seq, capturedAtUs, picture, this.qualitySetting()))
      if (!this.stopped) this.follow(answer.target)
      this.sent++
      this.lastSeq = seq
      this.rate.record(0, performance.now())
      return { keyframe: answer.wantKeyframe, jpeg: answer.wantJpeg }
    } catch (e) {
      if (!this.stopped) this.o.onError(e instanceof Error ? e.message : String(e))
      return NOTHING_WANTED
    }
  }

  /** A JPEG for the compatibility servers, beside the H.264 stream; one at a time, never holding up the stream. */
  private async deliverCompat(capturedAtUs: number, jpeg: ArrayBuffer): Promise<void> {
    if (this.compatBusy) return
    this.compatBusy = true
    try {
      const answer = await this.o.send(frameRequest(this.lastSeq, capturedAtUs, { codec: 'jpeg', payload: jpeg, keyframe: true, quality: 0 }, this.qualitySetting()))
      this.post({ type: 'want', keyframe: answer.wantKeyframe, jpeg: answer.wantJpeg })
    } catch (e) {
      if (!this.stopped) this.o.onError(e instanceof Error ? e.message : String(e))
    } finally {
      this.compatBusy = false
    }
  }

  /** Fallback: grab an ImageBitmap from the preview each time the camera presents a frame; the worker encodes it. */
  private startVideoFrames(): void {
    const video = this.o.video
    this.bitmapLoop = new CaptureLoop<PreviewTick, EncodedPicture>({
      fps: this.o.settings.fps,
      timestampUs: (tick) => tick.timestampUs,
      release: () => undefined,
      mayReplace: (picture) => picture.keyframe,
      encode: async (tick) => {
        const bitmap = await createImageBitmap(video)
        const id = this.nextBitmapId++
        const reply = new Promise<FromWorker>((resolve) => this.pendingBitmaps.set(id, resolve))
        const timestampUs = tick.timestampUs ?? Math.round(performance.now() * 1000)
        this.post({ type: 'bitmap', bitmap, id, timestampUs }, [bitmap])
        const m = await reply
        if (m.type !== 'encoded') throw new Error(m.type === 'failed' ? m.message : 'no picture from the capture worker')
        if (m.picture) this.encodeMs.add(m.picture.encodeMs)
        return m.picture
      },
      send: async (picture, { seq, capturedAtUs }) => {
        const wants = await this.deliver(seq, capturedAtUs, picture)
        this.post({ type: 'want', ...wants })
      }
    })
    const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
      if (this.stopped) return
      this.bitmapLoop?.offer({ timestampUs: Number.isFinite(meta.mediaTime) ? Math.round(meta.mediaTime * 1e6) : null })
      this.videoCallback = video.requestVideoFrameCallback(onFrame)
    }
    this.videoCallback = video.requestVideoFrameCallback(onFrame)
  }

  private reportStats(fps?: number): void {
    const local = this.bitmapLoop?.stats
    this.o.onStats({
      fps: fps ?? this.rate.rate(performance.now()),
      encodeMs: this.encodeMs.mean(),
      encodeMsP95: this.encodeMs.percentile(95),
      skippedBusy: local ? local.skippedBusy : this.workerSkippedBusy,
      skippedPace: local ? local.skippedPace : this.workerSkippedPace,
      sent: this.sent,
      width: this.o.settings.width,
      height: this.o.settings.height,
      source: this.source,
      codec: this.codec
    })
  }
}
