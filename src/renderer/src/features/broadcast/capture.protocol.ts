// Messages between the Broadcast window and its capture worker.

import type { CodecName } from '../../../../shared/protocol'

export interface EncodeSettings {
  width: number
  height: number
  fps: number
  /** JPEG quality 0..1 (the stream's, or the compatibility JPEG's while the stream is H.264) */
  quality: number
  /** What the stream is encoded as. */
  codec: CodecName
  /** H.264 target bitrate, bits per second */
  bitrateBps: number
}

/** The capture pipeline's counters, as the worker reports them with every frame. */
export interface PipelineCounters {
  /** CaptureLoopStats.skippedBusy: frames replaced while waiting for the encoder or for main */
  skippedBusy: number
  /** CaptureLoopStats.skippedPace: frames left out to keep to the frame rate */
  skippedPace: number
}

/** One encoded picture of the stream. */
export interface EncodedPicture {
  codec: CodecName
  /** One JPEG, or one H.264 access unit in Annex B form. */
  payload: ArrayBuffer
  /** Decodable on its own (every JPEG; H.264 IDR pictures). */
  keyframe: boolean
  /** FRAME's quality byte: JPEG quality 1–100, or H.264's share of its default bitrate in percent. */
  quality: number
  encodeMs: number
}

/** What main wants of the next pictures, as it answered the last frame (ResponseMap['broadcast:frame']). */
export interface Wants {
  /** Make the next stream picture a keyframe (a viewer joined, asked for one, or missed a frame). */
  keyframe: boolean
  /** Also encode the next picture as JPEG for the compatibility servers (MJPEG) while the stream is H.264. */
  jpeg: boolean
}

export type ToWorker =
  /** Frames come as a stream of VideoFrames (MediaStreamTrackProcessor): the worker paces, guards and encodes. */
  | ({ type: 'start-stream'; readable: ReadableStream<VideoFrame> } & EncodeSettings)
  /** Frames come one by one from the window (ImageBitmaps): the window paces and guards, the worker encodes. */
  | ({ type: 'start-bitmaps' } & EncodeSettings)
  | { type: 'bitmap'; bitmap: ImageBitmap; id: number; timestampUs: number }
  /** Main took the last frame; the next may go, made as main wants it. */
  | ({ type: 'ack' } & Wants)
  /** What main answered to a compatibility JPEG: it may want something of the next pictures too. */
  | ({ type: 'want' } & Wants)
  /** What to encode JPEG at from now on: quality 0..1, picture size as a share of width and height (EncoderTarget). */
  | { type: 'target'; quality: number; scale: number }
  /** H.264: encode at this bitrate (bits per second) from the next frame on. */
  | { type: 'bitrate'; bitrateBps: number }
  | { type: 'stop' }

export type FromWorker =
  /** Stream mode: a picture for main; the worker sends no other until it gets an 'ack'. */
  | ({ type: 'frame'; seq: number; capturedAtUs: number } & EncodedPicture & PipelineCounters)
  /** Bitmap mode: the picture for the bitmap with this id (null: the encoder dropped it). */
  | { type: 'encoded'; id: number; picture: EncodedPicture | null }
  /** Bitmap mode: the bitmap with this id could not be encoded. */
  | { type: 'failed'; id: number; message: string }
  /** A JPEG of the latest picture, for the compatibility servers (MJPEG), while the stream is H.264. */
  | { type: 'compat-jpeg'; capturedAtUs: number; jpeg: ArrayBuffer }
  /** The H.264 encoder failed: the worker encodes JPEG from now on. */
  | { type: 'codec-failed'; message: string }
  | { type: 'ended' }
  | { type: 'error'; message: string }
