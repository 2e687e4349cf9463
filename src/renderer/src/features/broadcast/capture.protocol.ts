// Messages between the Broadcast window and its capture worker.

export interface EncodeSettings {
  width: number
  height: number
  fps: number
  /** JPEG quality 0..1 */
  quality: number
}

export type ToWorker =
  /** Frames come as a stream of VideoFrames (MediaStreamTrackProcessor): the worker paces, guards and encodes. */
  | ({ type: 'start-stream'; readable: ReadableStream<VideoFrame> } & EncodeSettings)
  /** Frames come one by one from the window (ImageBitmaps): the window paces and guards. */
  | ({ type: 'start-bitmaps' } & EncodeSettings)
  | { type: 'bitmap'; bitmap: ImageBitmap; capturedAtUs: number; seq: number }
  /** Main took the last frame; the next may go. */
  | { type: 'ack' }
  | { type: 'quality'; quality: number }
  | { type: 'stop' }

export type FromWorker =
  | {
      type: 'frame'
      seq: number
      capturedAtUs: number
      encodeMs: number
      jpeg: ArrayBuffer
      skippedBusy: number
      skippedPace: number
    }
  /** A bitmap-mode frame could not be encoded; the window may send the next. */
  | { type: 'failed'; seq: number; message: string }
  | { type: 'ended' }
  | { type: 'error'; message: string }
