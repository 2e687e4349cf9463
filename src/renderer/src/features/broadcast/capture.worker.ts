// Capture worker: draws camera frames on an OffscreenCanvas at the chosen size and encodes JPEG, off the UI thread.

import { fitRect } from '../../lib/fit'
import type { EncodeSettings, FromWorker, ToWorker } from './capture.protocol'
import { CaptureLoop } from './captureLoop'

const scope = self as unknown as DedicatedWorkerGlobalScope

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer)
}

class JpegEncoder {
  private readonly canvas: OffscreenCanvas
  private readonly ctx: OffscreenCanvasRenderingContext2D
  constructor(private settings: EncodeSettings) {
    this.canvas = new OffscreenCanvas(settings.width, settings.height)
    const ctx = this.canvas.getContext('2d', { alpha: false })
    if (!ctx) throw new Error('2D canvas is not available in the capture worker')
    this.ctx = ctx
  }

  setQuality(quality: number): void {
    this.settings = { ...this.settings, quality }
  }

  /** Draw the source letterboxed to the preset size and encode it. The caller closes the source after `draw`. */
  draw(source: CanvasImageSource, srcW: number, srcH: number): void {
    const { width, height } = this.settings
    const r = fitRect(srcW, srcH, width, height)
    if (r.w !== width || r.h !== height) {
      this.ctx.fillStyle = '#000'
      this.ctx.fillRect(0, 0, width, height)
    }
    this.ctx.drawImage(source, r.x, r.y, r.w, r.h)
  }

  async encode(): Promise<ArrayBuffer> {
    const blob = await this.canvas.convertToBlob({ type: 'image/jpeg', quality: this.settings.quality })
    return blob.arrayBuffer()
  }
}

let encoder: JpegEncoder | null = null
let loop: CaptureLoop<VideoFrame> | null = null
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
  loop = new CaptureLoop<VideoFrame>({
    fps: m.fps,
    release: (frame) => frame.close(),
    process: async (frame, capturedAtUs, seq) => {
      const t0 = performance.now()
      try {
        enc.draw(frame, frame.displayWidth, frame.displayHeight)
      } finally {
        frame.close()
      }
      const jpeg = await enc.encode()
      const encodeMs = performance.now() - t0
      const s = loop?.stats
      const ack = waitForAck()
      post(
        { type: 'frame', seq, capturedAtUs, encodeMs, jpeg, skippedBusy: s?.skippedBusy ?? 0, skippedPace: s?.skippedPace ?? 0 },
        [jpeg]
      )
      await ack
    },
    onError: (e) => post({ type: 'error', message: e instanceof Error ? e.message : String(e) })
  })
  void pump(m.readable)
}

async function encodeBitmap(m: Extract<ToWorker, { type: 'bitmap' }>): Promise<void> {
  const enc = encoder
  if (!enc) {
    m.bitmap.close()
    return
  }
  const t0 = performance.now()
  try {
    enc.draw(m.bitmap, m.bitmap.width, m.bitmap.height)
    m.bitmap.close()
    const jpeg = await enc.encode()
    post(
      { type: 'frame', seq: m.seq, capturedAtUs: m.capturedAtUs, encodeMs: performance.now() - t0, jpeg, skippedBusy: 0, skippedPace: 0 },
      [jpeg]
    )
  } catch (e) {
    m.bitmap.close()
    post({ type: 'failed', seq: m.seq, message: e instanceof Error ? e.message : String(e) })
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
    case 'quality':
      encoder?.setQuality(m.quality)
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
