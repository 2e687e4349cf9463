// Capture worker: encodes camera frames at the chosen size (JPEG or H.264, pictureEncoder.ts), off the UI thread.
// In stream mode the encoder and the hand-over to main overlap (CaptureLoop): while one picture is on its way to
// main, the next camera frame is already being encoded, and each stage keeps only the newest frame waiting.

import { nowUs } from '../../../../shared/protocol'
import type { EncodedPicture, EncodeSettings, FromWorker, ToWorker } from './capture.protocol'
import { CaptureLoop } from './captureLoop'
import { PictureEncoder } from './pictureEncoder'

const scope = self as unknown as DedicatedWorkerGlobalScope

function post(message: FromWorker, transfer: Transferable[] = []): void {
  scope.postMessage(message, transfer)
}

let encoder: PictureEncoder | null = null
let loop: CaptureLoop<VideoFrame, EncodedPicture> | null = null
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

function startEncoder(settings: EncodeSettings): PictureEncoder {
  encoder?.close()
  encoder = new PictureEncoder(settings, {
    compatJpeg: (jpeg) => post({ type: 'compat-jpeg', capturedAtUs: nowUs(), jpeg }, [jpeg]),
    codecFailed: (message) => post({ type: 'codec-failed', message })
  })
  return encoder
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
  const enc = startEncoder(m)
  const current: CaptureLoop<VideoFrame, EncodedPicture> = new CaptureLoop<VideoFrame, EncodedPicture>({
    fps: m.fps,
    // Stamped the moment the frame reaches this worker, on the clock the Watch window stamps paints with
    // (performance.timeOrigin + now(), as µs since the epoch).
    now: nowUs,
    timestampUs: (frame) => frame.timestamp,
    release: (frame) => frame.close(),
    encode: (frame) => enc.encode(frame, frame.timestamp),
    // An H.264 delta refers to the picture before it: it never replaces one still waiting for main.
    mayReplace: (picture) => picture.keyframe,
    send: async (picture, { seq, capturedAtUs }) => {
      const s = current.stats
      const ack = waitForAck()
      post({ type: 'frame', seq, capturedAtUs, ...picture, skippedBusy: s.skippedBusy, skippedPace: s.skippedPace }, [picture.payload])
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
  try {
    const picture = await enc.encode(m.bitmap, m.timestampUs)
    post({ type: 'encoded', id: m.id, picture }, picture ? [picture.payload] : [])
  } catch (e) {
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
      startEncoder(m)
      break
    case 'bitmap':
      void encodeBitmap(m)
      break
    case 'ack':
      encoder?.want(m)
      releaseAck()
      break
    case 'want':
      encoder?.want(m)
      break
    case 'target':
      encoder?.setTarget(m.quality, m.scale)
      break
    case 'bitrate':
      encoder?.setBitrate(m.bitrateBps)
      break
    case 'stop':
      loop?.stop()
      loop = null
      releaseAck()
      void reader?.cancel().catch(() => undefined)
      reader = null
      encoder?.close()
      encoder = null
      break
  }
}
