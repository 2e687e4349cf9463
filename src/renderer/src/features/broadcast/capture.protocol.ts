// Messages between the Broadcast window and its capture worker.

export interface EncodeSettings {
  width: number
  height: number
  fps: number
  /** JPEG quality 0..1 */
  quality: number
}

/** The capture pipeline's counters, as the worker reports them with every frame. */
export interface PipelineCounters {
  /** CaptureLoopStats.skippedBusy: frames replaced while waiting for the encoder or for main */
  skippedBusy: number
  /** CaptureLoopStats.skippedPace: frames left out to keep to the frame rate */
  skippedPace: number
}

export type ToWorker =
  /** Frames come as a stream of VideoFrames (MediaStreamTrackProcessor): the worker paces, guards and encodes. */
  | ({ type: 'start-stream'; readable: ReadableStream<VideoFrame> } & EncodeSettings)
  /** Frames come one by one from the window (ImageBitmaps): the window paces and guards, the worker encodes. */
  | ({ type: 'start-bitmaps' } & EncodeSettings)
  | { type: 'bitmap'; bitmap: ImageBitmap; id: number }
  /** Main took the last frame; the next may go. */
  | { type: 'ack' }
  /** What to encode at from now on: JPEG quality 0..1, picture size as a share of width × height (EncoderTarget). */
  | { type: 'target'; quality: number; scale: number }
  | { type: 'stop' }

export type FromWorker =
  /** Stream mode: a JPEG for main; the worker sends no other until it gets an 'ack'. */
  | ({
      type: 'frame'
      seq: number
      capturedAtUs: number
      encodeMs: number
      jpeg: ArrayBuffer
      /** the JPEG quality it was encoded at, 1–100 */
      quality: number
    } & PipelineCounters)
  /** Bitmap mode: the JPEG for the bitmap with this id. */
  | { type: 'encoded'; id: number; encodeMs: number; jpeg: ArrayBuffer; quality: number }
  /** Bitmap mode: the bitmap with this id could not be encoded. */
  | { type: 'failed'; id: number; message: string }
  | { type: 'ended' }
  | { type: 'error'; message: string }
