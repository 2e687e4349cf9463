// One viewer's delivery window ("Delivery window" in docs/protocol.md): the FRAMEs written to it and not yet
// acknowledged (in flight), the delivery rate and round-trip time measured from its ACKs, and the window that decides
// whether the next FRAME may go out now or must wait in the viewer's newest-frame slot. Queueing toward a viewer is
// bounded by this window, not by the kernel's socket buffers, which Node can neither see nor size.
//
// The measurements follow BBR (Cardwell, Cheng, Gunn, Hassas Yeganeh, Jacobson, "BBR: Congestion-Based Congestion
// Control", ACM Queue 14(5), 2016) and its delivery-rate estimation (draft-cheng-iccrg-delivery-rate-estimation-02),
// with a whole FRAME as the unit of data: the bottleneck rate is the windowed maximum of delivery-rate samples, the
// RTT the windowed minimum of RTT samples, and the window their product plus a small queueing target.

import { WindowedFilter } from './windowed-filter'

/** The queueing a FRAME may meet behind earlier ones toward the same viewer, beyond the path's own round trip (ms). */
export const TARGET_QUEUE_MS = 30
/** Delivery-rate samples are remembered this long (the windowed maximum), ms: about 60 frames at 30 fps. */
export const RATE_WINDOW_MS = 2_000
/** RTT samples are remembered this long (the windowed minimum), ms; BBR's min_rtt window. */
export const RTT_WINDOW_MS = 10_000
/** FRAMEs in flight to one viewer, whatever the window says: 2 s at 16 fps is more than any LAN needs. */
export const MAX_FRAMES_IN_FLIGHT = 32
/** A viewer's own span is a rate sample only when the frame took at least this long to arrive (µs). */
const MIN_SPAN_US = 1_000

interface InFlight {
  seq: number
  /** wire bytes of the FRAME */
  bytes: number
  /** when it was written, ms */
  sentAt: number
  /** bytes delivered (acknowledged) when it was written */
  delivered: number
  /** when the most recent delivery before it was written was acknowledged (or its own write time), ms */
  deliveredAt: number
  /** when the first FRAME of the flight it belongs to was written, ms */
  firstSentAt: number
}

/** What an ACK taught: its RTT and delivery-rate samples (for tests and statistics). */
export interface AckSample {
  /** ms: ACK arrival minus write time minus the frame's own arrival span; null when negative (clock coarseness) */
  rttMs: number | null
  /** bytes per second */
  deliveryRate: number | null
}

/**
 * Per-viewer in-flight accounting and window. The broadcaster calls `sent` after writing a FRAME and `acked` for each
 * ACK; `canSend(bytes)` says whether a FRAME of that many wire bytes may be written now: always when nothing is in
 * flight (the window is never below one frame), otherwise while what is in flight plus the new frame fits
 *
 *     window = bottleneck rate × (min RTT + TARGET_QUEUE_MS)
 *
 * and fewer than MAX_FRAMES_IN_FLIGHT are out. Before the first ACK the window is one frame. Times are ms on one
 * monotonic clock (monoMs()); rates bytes per second.
 *
 * Samples, per ACK of FRAME P (BBR's delivery-rate estimation with P as the packet):
 * - delivery rate = (delivered now − delivered when P was written) / max(send interval, ACK interval);
 * - the viewer's own: P's bytes / `spanUs` (its bytes arrived back to back, so this measures the path even while the
 *   stream uses only part of it), when the span is at least 1 ms;
 * - RTT = ACK arrival − P's write time − `spanUs`: the path's round trip plus any queueing before P's first byte.
 */
export class DeliveryWindow {
  private readonly flight: InFlight[] = []
  private bytesInFlight = 0
  private deliveredBytes = 0
  private deliveredAt = 0
  private firstSentAt = 0
  private readonly rate = new WindowedFilter('max', RATE_WINDOW_MS)
  private readonly rtt = new WindowedFilter('min', RTT_WINDOW_MS)

  /** Wire bytes written and not yet acknowledged. */
  get inFlightBytes(): number {
    return this.bytesInFlight
  }

  /** FRAMEs written and not yet acknowledged. */
  get inFlightFrames(): number {
    return this.flight.length
  }

  /** Wire bytes acknowledged since the viewer joined. */
  get delivered(): number {
    return this.deliveredBytes
  }

  /** The bottleneck delivery rate, bytes per second (windowed maximum); null before the first sample. */
  get deliveryRate(): number | null {
    return this.rate.best
  }

  /** The smallest recent RTT sample, ms; null before the first. */
  get minRttMs(): number | null {
    return this.rtt.best
  }

  /** The window in bytes; 0 until both the rate and the RTT are measured (then one frame is the window). */
  get windowBytes(): number {
    const rate = this.rate.best
    const rtt = this.rtt.best
    if (rate === null || rtt === null) return 0
    return (rate * (rtt + TARGET_QUEUE_MS)) / 1_000
  }

  /** May a FRAME of `bytes` wire bytes be written now? */
  canSend(bytes: number): boolean {
    if (this.flight.length === 0) return true
    if (this.flight.length >= MAX_FRAMES_IN_FLIGHT) return false
    return this.bytesInFlight + bytes <= this.windowBytes
  }

  /** A FRAME numbered `seq` of `bytes` wire bytes was written at `now` (ms). */
  sent(seq: number, bytes: number, now: number): void {
    if (this.flight.length === 0) {
      // Nothing in flight: this FRAME starts a new flight, and the intervals it is measured over start with it.
      this.firstSentAt = now
      this.deliveredAt = now
    }
    this.flight.push({ seq, bytes, sentAt: now, delivered: this.deliveredBytes, deliveredAt: this.deliveredAt, firstSentAt: this.firstSentAt })
    this.bytesInFlight += bytes
  }

  /**
   * The viewer acknowledged FRAME `seq` at `now` (ms), its bytes having taken `spanUs` µs to arrive. FRAMEs written
   * before it that were not acknowledged are taken as delivered too (TCP delivers in order). Returns the samples it
   * gave, or null when `seq` is not in flight (ignored, as docs/protocol.md says).
   */
  acked(seq: number, spanUs: number, now: number): AckSample | null {
    const at = this.flight.findIndex((f) => f.seq === seq)
    if (at < 0) return null
    const p = this.flight[at]!
    let bytes = 0
    for (const f of this.flight.splice(0, at + 1)) bytes += f.bytes
    this.bytesInFlight -= bytes
    this.deliveredBytes += bytes
    this.deliveredAt = now
    this.firstSentAt = p.sentAt

    const sendElapsed = p.sentAt - p.firstSentAt
    const ackElapsed = now - p.deliveredAt
    const interval = Math.max(sendElapsed, ackElapsed)
    const deliveryRate = interval > 0 ? ((this.deliveredBytes - p.delivered) * 1_000) / interval : null
    if (deliveryRate !== null) this.rate.update(now, deliveryRate)
    if (spanUs >= MIN_SPAN_US) this.rate.update(now, (p.bytes * 1e6) / spanUs)

    const rttMs = now - p.sentAt - spanUs / 1_000
    if (rttMs >= 0) this.rtt.update(now, rttMs)
    return { rttMs: rttMs >= 0 ? rttMs : null, deliveryRate }
  }
}
