// Payload conversion ahead of the fan-out, for framings whose payload is not our JPEG (classic pickle: each JPEG
// decoded into pickled pixels). One conversion runs at a time; while it runs, or while every viewer still has a
// frame waiting, only the newest frame waits (a NewestSlot), so a slow decode never builds a queue; and nothing is
// converted while no one watches. A frame that cannot be converted, or whose result does not fit, is skipped and
// counted; the next one may be fine.

import { NewestSlot } from '../../shared/newest'
import { FramecastError } from '../errors'

/** Where converted frames go: the fan-out, seen from the conversion. */
export interface ConversionTarget<F> {
  /** Viewers served now. */
  viewerCount(): number
  /** True when some viewer has no frame waiting, so a converted frame would not merely replace one. */
  wantsFrame(): boolean
  /** Fan a converted frame out; throws a FramecastError when it does not fit. */
  deliver(frame: F): void
}

/**
 * Converts the payload of the newest frame worth converting and hands it to a ConversionTarget.
 *
 * ```ts
 * const stage = new ConversionStage((jpeg) => jpegToPickle(jpeg), fanout)
 * stage.offer(frame)      // viewers it will reach once converted (0 when no one watches)
 * stage.close()           // drops the waiting frame; a conversion under way is not delivered
 * ```
 */
export class ConversionStage<F extends { payload: Uint8Array }> {
  private readonly waiting = new NewestSlot<F>()
  private busy = false
  private closed = false
  private failures = 0

  constructor(
    private readonly convert: (payload: Uint8Array) => Promise<Uint8Array>,
    private readonly target: ConversionTarget<F>
  ) {}

  /** Frames never converted because a newer one arrived while they waited (a conversion ran, or no viewer was free). */
  get skippedWhileConverting(): number {
    return this.waiting.replaced
  }

  /** Frames that could not be converted (undecodable) or whose result was too large to send. */
  get conversionFailures(): number {
    return this.failures
  }

  /** Take a frame to convert. Returns how many viewers it will reach once converted: 0 when no one watches. */
  offer(frame: F): number {
    if (this.closed) return 0
    const viewers = this.target.viewerCount()
    if (viewers === 0) return 0
    this.waiting.offer(frame)
    this.next()
    return viewers
  }

  /** Stop: the waiting frame is dropped and a conversion still running is not delivered. Idempotent. */
  close(): void {
    this.closed = true
    this.waiting.clear()
  }

  private next(): void {
    if (this.busy || this.closed || !this.waiting.full || !this.target.wantsFrame()) return
    const frame = this.waiting.take()!
    this.busy = true
    let converting: Promise<Uint8Array>
    try {
      converting = this.convert(frame.payload)
    } catch (e) {
      // A converter that throws instead of rejecting must not leave the stage busy for good.
      converting = Promise.reject(e)
    }
    converting.then(
      (payload) => {
        this.busy = false
        if (!this.closed) this.deliver({ ...frame, payload })
        this.next()
      },
      () => {
        this.busy = false
        this.failures++
        this.next()
      }
    )
  }

  private deliver(frame: F): void {
    try {
      this.target.deliver(frame)
    } catch (e) {
      if (!(e instanceof FramecastError)) throw e
      this.failures++
    }
  }
}
