// A broadcast's codec, as the session service handles it: the stream description a start request asks for (JPEG,
// or H.264 with its WebCodecs codec string), where each picture from the Broadcast window goes, and what the window's
// encoder is asked to make next with each answer (FrameAnswer): a keyframe when the fan-out wants one for a viewer,
// and — while the stream is H.264 and the MJPEG endpoint runs — a JPEG of the next picture for it.
//
// The compatibility servers stay JPEG whatever the stream is: classic mode replaces Framecast on the broadcast port,
// so it cannot be H.264 at all (the request is refused); the MJPEG endpoint is fed JPEGs the window makes besides its
// H.264, at most COMPAT_JPEG_FPS a second while it has clients, and one a second while it has none (so
// /snapshot.jpg stays fresh), never one the window did not have to make.

import { FramecastError } from '../core/errors'
import type { BroadcastPicture, FrameAnswer, ValidRequestOf } from '../shared/ipc'
import type { CodecName, StreamInfo } from '../shared/protocol'

/** Compatibility JPEGs per second while the stream is H.264 and MJPEG clients watch. */
export const COMPAT_JPEG_FPS = 15
/** A compatibility JPEG at least this often (ms) while the MJPEG endpoint runs without clients, for /snapshot.jpg. */
export const SNAPSHOT_JPEG_INTERVAL_MS = 1_000

/**
 * The stream description for a start request. Throws INVALID_ARGUMENT for H.264 without its codec string, a codec
 * string without H.264, or H.264 in a classic mode (the classic scripts read JPEG).
 */
export function streamInfoFor(req: ValidRequestOf<'broadcast:start'>): StreamInfo {
  const base = { width: req.width, height: req.height, fps: req.fps, name: req.name }
  if (req.codec === 'jpeg') {
    if (req.codecParams !== undefined) throw new FramecastError('INVALID_ARGUMENT', 'codecParams: a JPEG stream has no codec parameters')
    return { codec: 'jpeg', ...base }
  }
  if (req.codecParams === undefined) throw new FramecastError('INVALID_ARGUMENT', 'codecParams: an H.264 stream needs its codec string (avc1.…)')
  if (req.classic !== 'off') {
    throw new FramecastError('INVALID_ARGUMENT', 'codec: the classic scripts read JPEG, so a classic broadcast cannot be H.264')
  }
  return { codec: 'h264', params: req.codecParams, ...base }
}

/** Where a picture goes: to the viewers when it is in the stream's codec, to the compatibility servers when it is JPEG. */
export function routePicture(picture: BroadcastPicture, stream: CodecName): { toViewers: boolean; toCompat: boolean } {
  if (picture.codec !== stream && picture.codec !== 'jpeg') {
    throw new FramecastError('INVALID_ARGUMENT', `This broadcast is ${stream === 'jpeg' ? 'JPEG' : 'H.264'}: an ${picture.codec} frame has no place in it`)
  }
  return { toViewers: picture.codec === stream, toCompat: picture.codec === 'jpeg' }
}

/**
 * What one broadcast asks of the window's encoder. keyframeWanted() when the fan-out asks for a keyframe;
 * jpegArrived() when a JPEG came; answer() makes each FrameAnswer (a keyframe is asked for once, in the next answer).
 */
export class EncoderWants {
  private keyframe = false
  /** When a JPEG was last asked for or came, whichever is later (monotonic ms). */
  private lastJpegAtMs = -Infinity

  constructor(private codec: CodecName) {}

  /** The stream's codec changed (a new start request on the same address). */
  setCodec(codec: CodecName): void {
    this.codec = codec
    this.keyframe = false
  }

  keyframeWanted(): void {
    if (this.codec === 'h264') this.keyframe = true
  }

  /** A JPEG reached the compatibility servers at `nowMs` (monotonic ms). */
  jpegArrived(nowMs: number): void {
    this.lastJpegAtMs = Math.max(this.lastJpegAtMs, nowMs)
  }

  /**
   * The answer to a picture (`sent`: it reached someone). `compatClients`: the MJPEG endpoint's stream clients, null
   * when it does not run; `nowMs` monotonic.
   */
  answer(sent: boolean, compatClients: number | null, nowMs: number): Omit<FrameAnswer, 'target'> {
    const wantKeyframe = this.keyframe
    this.keyframe = false
    let wantJpeg = false
    if (this.codec === 'h264' && compatClients !== null) {
      const interval = compatClients > 0 ? 1_000 / COMPAT_JPEG_FPS : SNAPSHOT_JPEG_INTERVAL_MS
      wantJpeg = nowMs - this.lastJpegAtMs >= interval
      // Asked once: the next answers do not ask again before the interval, whether or not the JPEG has come yet.
      if (wantJpeg) this.lastJpegAtMs = nowMs
    }
    return { sent, wantKeyframe, wantJpeg }
  }
}
