// Classic broadcaster mode: the Broadcaster's own fan-out (newest frame wins per viewer, viewer limit, stall cut-off)
// with classic framing, so an unmodified OpenCV receiver script shows our camera. Payloads are either our JPEG frames
// as they are ('jpeg', for receivers that call cv2.imdecode) or a pickled uint8 (H, W, 3) BGR array ('pickle', for
// the original receivers that call pickle.loads). In pickle mode each JPEG is decoded straight into the pickle's
// pixel bytes; while one decode runs only the newest frame waits, and nothing is decoded while no one watches.

import { Broadcaster, type BroadcastFrame, type BroadcasterOptions } from '../fanout/broadcaster'
import { FramecastError } from '../errors'
import { jpegToBgr } from '../jpeg/jpeg'
import { NDARRAY_PICKLE_TAIL, ndarrayPickleHead } from './pickle'

export type ClassicPayload = 'pickle' | 'jpeg'

/** Default size limit of a pickled frame: a 4096×2160 BGR picture with room to spare. */
export const PICKLE_MAX_MESSAGE_BYTES = 32 * 1024 * 1024

export interface ClassicBroadcasterOptions extends BroadcasterOptions {
  payload: ClassicPayload
}

export class ClassicBroadcaster {
  readonly payload: ClassicPayload
  /** Frames not decoded because a newer one arrived during a decode. */
  skipped = 0
  private busy = false
  private waiting: BroadcastFrame | null = null
  private closed = false

  private constructor(
    /** The fan-out itself: viewers(), stats(), events. */
    readonly net: Broadcaster,
    payload: ClassicPayload
  ) {
    this.payload = payload
  }

  static async listen(options: ClassicBroadcasterOptions): Promise<ClassicBroadcaster> {
    const { payload, ...rest } = options
    if (payload !== 'pickle' && payload !== 'jpeg') throw new FramecastError('INVALID_ARGUMENT', `Classic payload ${String(payload)} is not pickle or jpeg`)
    // Unpacked pixels are far larger than the JPEG they come from: 4K BGR is 25 MB.
    const maxMessageBytes = rest.maxMessageBytes ?? (payload === 'pickle' ? PICKLE_MAX_MESSAGE_BYTES : undefined)
    return new ClassicBroadcaster(
      await Broadcaster.listen({ ...rest, ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}), framing: 'classic' }),
      payload
    )
  }

  get port(): number {
    return this.net.port
  }

  get host(): string {
    return this.net.host
  }

  /**
   * Hand a JPEG frame to the classic viewers. Returns how many viewers it will reach (0 when no one watches); in
   * pickle mode the frame reaches them once decoded.
   */
  send(frame: BroadcastFrame): number {
    if (this.closed) return 0
    const viewers = this.net.viewers().length
    if (this.payload === 'jpeg') return this.net.send(frame)
    if (viewers === 0) return 0
    if (this.busy || !this.net.wantsFrame) {
      // Decoding now would only replace a frame every viewer still has waiting: keep the JPEG, decode it later.
      if (this.waiting !== null) this.skipped++
      this.waiting = frame
      return viewers
    }
    if (this.waiting !== null) this.skipped++
    this.waiting = null
    this.decode(frame)
    return viewers
  }

  close(...args: Parameters<Broadcaster['close']>): Promise<void> {
    this.closed = true
    this.waiting = null
    return this.net.close(...args)
  }

  private decode(frame: BroadcastFrame): void {
    this.busy = true
    let pickle: Buffer | null = null
    let headLength = 0
    jpegToBgr(frame.payload, {
      into: (height, width) => {
        const head = ndarrayPickleHead(height, width, 3)
        headLength = head.length
        pickle = Buffer.allocUnsafe(head.length + height * width * 3 + NDARRAY_PICKLE_TAIL.length)
        head.copy(pickle, 0)
        NDARRAY_PICKLE_TAIL.copy(pickle, pickle.length - NDARRAY_PICKLE_TAIL.length)
        return { buffer: pickle, offset: headLength }
      }
    }).then(
      () => {
        this.busy = false
        if (!this.closed && pickle !== null) {
          try {
            this.net.send({ ...frame, payload: pickle })
          } catch (e) {
            // A frame too large for the limit once unpacked: skip it, as the native mode refuses oversized frames.
            if (!(e instanceof FramecastError)) throw e
            this.skipped++
          }
        }
        this.next()
      },
      () => {
        // A JPEG that cannot be decoded is skipped; the next one may be fine.
        this.busy = false
        this.skipped++
        this.next()
      }
    )
  }

  private next(): void {
    const w = this.waiting
    if (w === null || this.closed || !this.net.wantsFrame) return
    this.waiting = null
    this.decode(w)
  }
}
