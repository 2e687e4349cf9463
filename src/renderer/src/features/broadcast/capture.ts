// The Broadcast window's side of the capture pipeline: feeds camera frames to the worker and hands the worker's
// JPEGs to main, one at a time.

import { RateMeter, RecentSamples } from '../../../../shared/stats'
import type { EncoderTarget } from '../../../../shared/status'
import type { CaptureStats } from '../../store/broadcast'
import type { EncodeSettings, FromWorker, ToWorker } from './capture.protocol'
import { CaptureLoop } from './captureLoop'

interface TrackProcessorConstructor {
  new (init: { track: MediaStreamTrack; maxBufferSize?: number }): { readable: ReadableStream<VideoFrame> }
}

function trackProcessor(): TrackProcessorConstructor | null {
  const ctor = (globalThis as { MediaStreamTrackProcessor?: TrackProcessorConstructor }).MediaStreamTrackProcessor
  return typeof ctor === 'function' ? ctor : null
}

export interface OutgoingFrame {
  seq: number
  capturedAtUs: number
  jpeg: Uint8Array
  /** the JPEG quality it was encoded at, 1–100 */
  quality: number
  /** the quality setting, 1–100: the most adaptive quality asks for */
  ceiling: number
  /** adaptive quality on, or fixed at the setting */
  adaptive: boolean
}

export interface CaptureSessionOptions {
  track: MediaStreamTrack
  /** The preview element, used to grab frames where MediaStreamTrackProcessor is missing. */
  video: HTMLVideoElement
  settings: EncodeSettings
  /** Adaptive quality on (follow the target main answers each frame with) or off (fixed at settings.quality). */
  adaptive: boolean
  /** Hand a frame to main; resolves when main took it, with what the next frames should be encoded at. */
  send: (frame: OutgoingFrame) => Promise<EncoderTarget | null>
  onStats: (stats: CaptureStats) => void
  /** The camera stopped delivering (unplugged, taken away). */
  onEnded: () => void
  onError: (message: string) => void
}

export type CaptureSource = 'track-processor' | 'video-frames'

interface Encoded {
  jpeg: ArrayBuffer
  encodeMs: number
  quality: number
}

/** A presented preview frame (fallback mode): its media timestamp in µs when the browser gives one. */
interface PreviewTick {
  timestampUs: number | null
}

/**
 * One broadcast's capture: starts the capture worker, feeds it camera frames (a MediaStreamTrackProcessor stream
 * when there is one, else ImageBitmaps grabbed from the preview each time the camera presents a frame), hands each
 * JPEG to main through `send` one at a time, and reports CaptureStats every second. `stop` ends the worker.
 */
export class CaptureSession {
  private readonly worker: Worker
  private readonly encodeMs = new RecentSamples(120)
  private readonly rate = new RateMeter(1000)
  private sent = 0
  private workerSkippedBusy = 0
  private workerSkippedPace = 0
  private statsTimer: ReturnType<typeof setInterval> | null = null
  private stopped = false
  private bitmapLoop: CaptureLoop<PreviewTick, Encoded> | null = null
  private readonly pendingBitmaps = new Map<number, (m: FromWorker) => void>()
  private nextBitmapId = 0
  private videoCallback: number | null = null
  /** What the worker was last told to encode at (quality 0..1, scale). */
  private target = { quality: -1, scale: 1 }
  readonly source: CaptureSource

  constructor(private readonly o: CaptureSessionOptions) {
    this.worker = new Worker(new URL('./capture.worker.ts', import.meta.url), { type: 'module', name: 'capture' })
    this.worker.onmessage = (e: MessageEvent<FromWorker>) => this.onWorkerMessage(e.data)
    this.worker.onerror = (e) => o.onError(e.message || 'The capture worker failed')
    this.source = trackProcessor() ? 'track-processor' : 'video-frames'
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

  /** Adaptive quality on or off; off goes back to the setting at full size at once. */
  setAdaptive(adaptive: boolean): void {
    this.o.adaptive = adaptive
    if (!adaptive) this.encodeAt(this.o.settings.quality, 1)
  }

  /** Main's answer to a frame: encode the next ones as the target says (the setting at full size when fixed). */
  private follow(target: EncoderTarget | null): void {
    if (target === null || !this.o.adaptive) return
    this.encodeAt(Math.min(this.o.settings.quality, target.quality / 100), target.scale)
  }

  private encodeAt(quality: number, scale: number): void {
    if (quality === this.target.quality && scale === this.target.scale) return
    this.target = { quality, scale }
    this.post({ type: 'target', quality, scale })
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
        void this.deliver(m.seq, m.capturedAtUs, m.jpeg, m.quality).finally(() => this.post({ type: 'ack' }))
        break
      case 'encoded':
      case 'failed': {
        const waiting = this.pendingBitmaps.get(m.id)
        this.pendingBitmaps.delete(m.id)
        waiting?.(m)
        break
      }
      case 'ended':
        this.o.onEnded()
        break
      case 'error':
        this.o.onError(m.message)
        break
    }
  }

  private async deliver(seq: number, capturedAtUs: number, jpeg: ArrayBuffer, quality: number): Promise<void> {
    try {
      const ceiling = Math.max(1, Math.min(100, Math.round(this.o.settings.quality * 100)))
      const target = await this.o.send({ seq, capturedAtUs, jpeg: new Uint8Array(jpeg), quality, ceiling, adaptive: this.o.adaptive })
      if (!this.stopped) this.follow(target)
      this.sent++
      this.rate.record(0, performance.now())
    } catch (e) {
      if (!this.stopped) this.o.onError(e instanceof Error ? e.message : String(e))
    }
  }

  /** Fallback: grab an ImageBitmap from the preview each time the camera presents a frame; the worker encodes it. */
  private startVideoFrames(): void {
    const video = this.o.video
    this.bitmapLoop = new CaptureLoop<PreviewTick, Encoded>({
      fps: this.o.settings.fps,
      timestampUs: (tick) => tick.timestampUs,
      release: () => undefined,
      encode: async () => {
        const bitmap = await createImageBitmap(video)
        const id = this.nextBitmapId++
        const reply = new Promise<FromWorker>((resolve) => this.pendingBitmaps.set(id, resolve))
        this.post({ type: 'bitmap', bitmap, id }, [bitmap])
        const m = await reply
        if (m.type !== 'encoded') throw new Error(m.type === 'failed' ? m.message : 'no JPEG from the capture worker')
        this.encodeMs.add(m.encodeMs)
        return { jpeg: m.jpeg, encodeMs: m.encodeMs, quality: m.quality }
      },
      send: ({ jpeg, quality }, { seq, capturedAtUs }) => this.deliver(seq, capturedAtUs, jpeg, quality)
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
      source: this.source
    })
  }
}
