// Capture worker: draws camera frames on an OffscreenCanvas at the chosen size and encodes JPEG, off the UI thread.
// In stream mode the encoder and the hand-over to main overlap (CaptureLoop): while one JPEG is on its way to main,
// the next camera frame is already being encoded, and each stage keeps only the newest frame waiting.

import { nowUs } from '../../../../shared/protocol'
import { fitRect } from '../../lib/fit'
import type { EncodeSettings, FromWorker, ToWorker } from './capture.protocol'
import { CaptureLoop } from './captureLoop'

const scope = self as unknown as DedicatedWorkerGlobalScope

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer)
}

interface Encoded {
  jpeg: ArrayBuffer
  encodeMs: number
  /** JPEG quality, 1–100 */
  quality: number
}

/**
 * Draws frames at the preset size (times the target's scale) on an OffscreenCanvas and encodes the canvas as JPEG at
 * the target quality (the set quality until adaptive quality asks for another).
 */
class JpegEncoder {
  private readonly canvas: OffscreenCanvas
  private readonly ctx: OffscreenCanvasRenderingContext2D
  private lastRect = ''
  private scale = 1
  constructor(private settings: EncodeSettings) {
    this.canvas = new OffscreenCanvas(settings.width, settings.height)
    // Every frame is read back whole by the JPEG encoder: a CPU-backed canvas (willReadFrequently) spares the
    // readback from a GPU surface; measured here, draw + encode p95 at 720p went from ~18-19 ms to ~16 ms.
    const ctx = this.canvas.getContext('2d', { alpha: false, willReadFrequently: true })
    if (!ctx) throw new Error('2D canvas is not available in the capture worker')
    this.ctx = ctx
  }

  /** Quality 0..1 and scale (1, 0.75, 0.5 …) for the next frames; a new scale resizes the canvas (even sides). */
  setTarget(quality: number, scale: number): void {
    this.settings = { ...this.settings, quality }
    if (scale === this.scale) return
    this.scale = scale
    this.canvas.width = Math.max(2, 2 * Math.round((this.settings.width * scale) / 2))
    this.canvas.height = Math.max(2, 2 * Math.round((this.settings.height * scale) / 2))
    this.lastRect = ''
  }

  /**
   * Draw the source at the preset size. A source of exactly that size is drawn 1:1 (no scaling pass); any other is
   * scaled and letterboxed. The caller closes the source after `draw`.
   */
  draw(source: CanvasImageSource, srcW: number, srcH: number): void {
    const { width, height } = this.canvas
    if (srcW === width && srcH === height) {
      this.ctx.drawImage(source, 0, 0)
      return
    }
    const r = fitRect(srcW, srcH, width, height)
    const key = `${r.x},${r.y},${r.w},${r.h}`
    if (key !== this.lastRect && (r.w !== width || r.h !== height)) {
      this.ctx.fillStyle = '#000'
      this.ctx.fillRect(0, 0, width, height)
    }
    this.lastRect = key
    this.ctx.drawImage(source, r.x, r.y, r.w, r.h)
  }

  /** The canvas as JPEG, and the quality (1–100) it was encoded at. */
  async encode(): Promise<{ jpeg: ArrayBuffer; quality: number }> {
    const quality = this.settings.quality
    const blob = await this.canvas.convertToBlob({ type: 'image/jpeg', quality })
    return { jpeg: await blob.arrayBuffer(), quality: Math.max(1, Math.min(100, Math.round(quality * 100))) }
  }
}

let encoder: JpegEncoder | null = null
let loop: CaptureLoop<VideoFrame, Encoded> | null = null
let reader: ReadableStreamDefaultReader<VideoFrame> | null = null
let ackWaiter: (() => void) | null = null

function waitForAck(): Promise<void> {
  return new Promise((resolve) => {
    ackWaiter = resolve
  })
}

function releaseAck(): void {
  const w = ackWaiter
  ackWaiter = null
  w?.()
}

async function pump(readable: ReadableStream<VideoFrame>): Promise<void> {
  reader = readable.getReader()
  try {
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      if (loop) loop.offer(value)
      else value.close()
    }
    if (loop) post({ type: 'ended' })
  } catch (e) {
    if (loop) post({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  }
}

function startStream(m: Extract<ToWorker, { type: 'start-stream' }>): void {
  encoder = new JpegEncoder(m)
  const enc = encoder
  const current: CaptureLoop<VideoFrame, Encoded> = new CaptureLoop<VideoFrame, Encoded>({
    fps: m.fps,
    // Stamped the moment the frame reaches this worker, on the clock the Watch window stamps paints with
    // (performance.timeOrigin + now(), as µs since the epoch).
    now: nowUs,
    timestampUs: (frame) => frame.timestamp,
    release: (frame) => frame.close(),
    encode: async (frame) => {
      const t0 = performance.now()
      try {
        enc.draw(frame, frame.displayWidth, frame.displayHeight)
      } finally {
        frame.close()
      }
      const { jpeg, quality } = await enc.encode()
      return { jpeg, quality, encodeMs: performance.now() - t0 }
    },
    send: async ({ jpeg, encodeMs, quality }, { seq, capturedAtUs }) => {
      const s = current.stats
      const ack = waitForAck()
      post({ type: 'frame', seq, capturedAtUs, encodeMs, jpeg, quality, skippedBusy: s.skippedBusy, skippedPace: s.skippedPace }, [jpeg])
      await ack
    },
    onError: (e) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  })
  loop = current
  void pump(m.readable)
}

async function encodeBitmap(m: Extract<ToWorker, { type: 'bitmap' }>): Promise<void> {
  const enc = encoder
  if (!enc) {
    m.bitmap.close()
    post({ type: 'failed', id: m.id, message: 'the encoder is not running' })
    return
  }
  const t0 = performance.now()
  try {
    enc.draw(m.bitmap, m.bitmap.width, m.bitmap.height)
    m.bitmap.close()
    const { jpeg, quality } = await enc.encode()
    post({ type: 'encoded', id: m.id, encodeMs: performance.now() - t0, jpeg, quality }, [jpeg])
  } catch (e) {
    m.bitmap.close()
    post({ type: 'failed', id: m.id, message: e instanceof Error ? e.message : String(e) })
  }
}

scope.onmessage = (event: MessageEvent<ToWorker>) => {
  const m = event.data
  switch (m.type) {
    case 'start-stream':
      startStream(m)
      break
    case 'start-bitmaps':
      encoder = new JpegEncoder(m)
      break
    case 'bitmap':
      void encodeBitmap(m)
      break
    case 'ack':
      releaseAck()
      break
    case 'target':
      encoder?.setTarget(m.quality, m.scale)
      break
    case 'stop':
      loop?.stop()
      loop = null
      releaseAck()
      void reader?.cancel().catch(() => undefined)
      reader = null
      encoder = null
      break
  }
}
