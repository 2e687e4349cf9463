// The Watch window's H.264 path: every access unit goes to a WebCodecs VideoDecoder in order (optimizeForLatency:
// measured at 1280×720, ~1.4 ms a frame with it, and one frame late — ~34 ms — without), and the newest decoded
// picture is painted on a 2D canvas with copyTo + putImageData (VideoFramePainter, the cheapest path measured).
//
// A viewer never decodes garbage: a frame that does not continue the chain (a jump in seq), a decode error, or a
// decoder falling behind breaks the chain (KeyframeChain); nothing but a keyframe is decoded after that, and a
// keyframe is asked for (at most once per KEYFRAME_REQUEST_MIN_MS). A keyframe that comes while the decoder is behind
// resets it, dropping what it still had queued, so the picture catches up at once.

import { KeyframeChain } from '../../../../shared/keyframe-chain'
import type { WatchFrame } from '../../../../shared/ipc'
import { NewestRunner } from '../../../../shared/newest-runner'
import { NO_SEQ } from '../../../../shared/protocol'
import { VideoFramePainter } from '../../lib/videoFramePainter'

/** Frames the decoder may hold queued before the window counts as behind (about 100 ms at 30 fps). */
export const MAX_DECODE_QUEUE = 3

/** What the Watch window hands the player: a frame from main, and when it arrived (µs, nowUs()). */
export interface PlayerFrame {
  frame: WatchFrame
  arrivedAtUs: number
}

/** The decoder the player drives: WebCodecs' VideoDecoder, or a stand-in with the same surface in tests. */
export type DecoderFactory = (init: VideoDecoderInit) => Pick<VideoDecoder, 'configure' | 'decode' | 'reset' | 'close' | 'state' | 'decodeQueueSize'>

export interface H264PlayerOptions<F extends PlayerFrame> {
  /** The 2D context pictures are painted on (the caller sizes the canvas in `painted`). */
  ctx: CanvasRenderingContext2D
  /** INFO's params: the WebCodecs codec string ("avc1.42E01F"). */
  codec: string
  /** A picture of `frame` was painted at `width`×`height`. */
  painted: (frame: F, width: number, height: number) => void
  /** Ask the broadcaster for a keyframe; `lastSeq` is the last frame decoded (NO_SEQ: none). */
  requestKeyframe: (lastSeq: number) => void
  /** This engine cannot decode the stream (`message` says so in words); the player stops. */
  unsupported: (message: string) => void
  /** Sizes the canvas before a picture is painted. */
  resize: (width: number, height: number) => void
  /** Default: WebCodecs' VideoDecoder. */
  createDecoder?: DecoderFactory
  /** Monotonic clock in ms for rate-limiting keyframe requests. Default performance.now. */
  now?: () => number
}

export const CANNOT_DECODE_H264 =
  'This computer cannot show this stream: its browser engine has no H.264 decoder. Ask the broadcaster to turn off “Smaller stream (H.264)”.'

interface Decoded<F> {
  picture: VideoFrame
  frame: F
}

/**
 * Plays one H.264 stream on a canvas. push() every frame in order; stats counts what was painted and what was dropped
 * before it could be (`replacedBeforeDecode`: frames not decoded because the chain was broken or the decoder was
 * behind, and decoded pictures replaced by a newer one before they were painted). dispose() closes the decoder.
 */
export class H264Player<F extends PlayerFrame> {
  private decoder: ReturnType<DecoderFactory> | null = null
  private readonly chain = new KeyframeChain()
  /** Frames given to the decoder, by the timestamp they were given under. */
  private readonly inFlight = new Map<number, F>()
  private nextTimestamp = 0
  private lastDecodedSeq: number | null = null
  private readonly painter: VideoFramePainter
  private readonly paints: NewestRunner<Decoded<F>>
  private readonly counters = { painted: 0, dropped: 0, failed: 0 }
  private disposed = false
  private stopped = false
  private readonly now: () => number
  private readonly createDecoder: DecoderFactory

  constructor(private readonly o: H264PlayerOptions<F>) {
    this.painter = new VideoFramePainter(o.ctx)
    this.now = o.now ?? (() => performance.now())
    this.createDecoder = o.createDecoder ?? ((init) => new VideoDecoder(init))
    this.paints = new NewestRunner<Decoded<F>>({
      run: (d) => this.paint(d),
      release: (d) => d.picture.close(),
      onError: () => {
        this.counters.failed++
      }
    })
    // Set up the decoder now: its start-up (tens to hundreds of ms) is then over before the first keyframe comes.
    this.ready(false)
  }

  get stats(): { painted: number; replacedBeforeDecode: number; failed: number } {
    return { painted: this.counters.painted, replacedBeforeDecode: this.counters.dropped + this.paints.replaced, failed: this.counters.failed }
  }

  push(f: F): void {
    if (this.disposed || this.stopped || f.frame.codec !== 'h264') return
    const { seq, keyframe, payload } = f.frame
    const behind = this.decoder !== null && this.decoder.decodeQueueSize >= MAX_DECODE_QUEUE
    if (behind && !keyframe) this.chain.break()
    if (!this.chain.take(keyframe, seq)) {
      this.counters.dropped++
      if (this.chain.shouldRequest(this.now())) this.o.requestKeyframe(this.lastDecodedSeq ?? NO_SEQ)
      return
    }
    const decoder = this.ready(behind)
    if (decoder === null) return
    const timestamp = this.nextTimestamp++
    this.inFlight.set(timestamp, f)
    try {
      decoder.decode(new EncodedVideoChunk({ type: keyframe ? 'key' : 'delta', timestamp, data: payload }))
    } catch (e) {
      this.inFlight.delete(timestamp)
      this.failed(e)
    }
  }

  dispose(): void {
    this.disposed = true
    this.paints.close()
    this.closeDecoder()
  }

  /** A configured decoder, made anew after an error; `flush`: drop what the old one still has queued. */
  private ready(flush: boolean): ReturnType<DecoderFactory> | null {
    if (this.decoder !== null && this.decoder.state === 'configured') {
      if (flush) this.restart()
      else return this.decoder
    }
    this.closeDecoder()
    let decoder: ReturnType<DecoderFactory>
    try {
      decoder = this.createDecoder({ output: (picture) => this.output(decoder, picture), error: (e) => this.decoderError(decoder, e) })
      decoder.configure({ codec: this.o.codec, optimizeForLatency: true, hardwareAcceleration: 'no-preference' })
    } catch (e) {
      // An unknown codec string or a missing VideoDecoder: nothing to be done until the stream changes.
      this.stop(e)
      return null
    }
    this.decoder = decoder
    return decoder
  }

  /** Drop what the decoder has queued: the frames are too old to show. */
  private restart(): void {
    this.counters.dropped += this.inFlight.size
    this.closeDecoder()
  }

  private closeDecoder(): void {
    const d = this.decoder
    this.decoder = null
    this.inFlight.clear()
    if (d !== null && d.state !== 'closed') d.close()
  }

  private output(decoder: ReturnType<DecoderFactory>, picture: VideoFrame): void {
    const frame = this.inFlight.get(picture.timestamp)
    if (decoder !== this.decoder || this.disposed || frame === undefined) {
      picture.close()
      return
    }
    // Decoders output in order: whatever was given before this one is done (or was dropped by the decoder).
    for (const t of this.inFlight.keys()) {
      if (t > picture.timestamp) break
      this.inFlight.delete(t)
    }
    this.lastDecodedSeq = frame.frame.seq
    this.paints.offer({ picture, frame })
  }

  private decoderError(decoder: ReturnType<DecoderFactory>, e: DOMException): void {
    if (decoder !== this.decoder || this.disposed) return
    if (e.name === 'NotSupportedError') {
      this.stop(e)
      return
    }
    this.failed(e)
  }

  /** A frame could not be decoded: everything after it would be garbage until the next keyframe. */
  private failed(_e: unknown): void {
    this.counters.failed++
    this.closeDecoder()
    this.chain.break()
    if (this.chain.shouldRequest(this.now())) this.o.requestKeyframe(this.lastDecodedSeq ?? NO_SEQ)
  }

  private stop(_e: unknown): void {
    this.stopped = true
    this.closeDecoder()
    this.o.unsupported(CANNOT_DECODE_H264)
  }

  private async paint({ picture, frame }: Decoded<F>): Promise<void> {
    try {
      if (this.disposed) return
      const width = picture.displayWidth
      const height = picture.displayHeight
      this.o.resize(width, height)
      await this.painter.paint(picture)
      this.counters.painted++
      this.o.painted(frame, width, height)
    } finally {
      picture.close()
    }
  }
}
