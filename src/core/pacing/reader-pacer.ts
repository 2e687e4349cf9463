// When the next frame may be written to a reader that cannot acknowledge frames (a classic OpenCV script, an MJPEG
// client), so that what it reads stays recent. Newest-frame-wins above the socket is not enough: the kernel takes
// megabytes into its send buffer (autotuned up to tcp_wmem's maximum, 4 MB by default; on loopback several MB at once)
// before Node sees any back-pressure, and a reader that takes 4 frames a second then reads frames seconds old.
//
// So a frame goes out only when the connection's kernel send queue is nearly empty (at most LOW_WATER_BYTES not yet
// acknowledged by the reader's machine): what stands between a new frame and the reader is then at most the reader's
// own receive buffer, about one or two frames. The queue is read where the system publishes it (Linux:
// send-queue.ts). Elsewhere the pacer measures the rate the reader drains our backlog at whenever Node's own buffer
// backs up, and from then on writes below that rate, so the backlog in the kernel empties instead of growing: a
// weaker bound, reached only after the first back-pressure (docs/protocol.md, "Readers that do not acknowledge").

import { kernelSendQueue, type SendQueueSource, type SocketEnds } from './send-queue'

/**
 * A frame may be written while the kernel holds at most this many unacknowledged bytes for the connection: a little
 * over ten full-size TCP segments, so a fast reader on a slow link gets its next frame just before the last one is
 * through (6.5 ms of a 20 Mbit/s link), and a slow reader finds at most this beyond its receive buffer.
 */
export const LOW_WATER_BYTES = 16 * 1024
/** Checks of a full queue start this often (ms) and back off, doubling, to MAX_RETRY_MS while nothing changes. */
const MIN_RETRY_MS = 4
const MAX_RETRY_MS = 64
/** Without a kernel queue to read: writes go at this fraction of the measured drain rate. */
const PACE_SHARE = 0.9
/** Without a kernel queue to read: the pace grows this much per second while no back-pressure is seen (probing). */
const PACE_GROWTH_PER_S = 0.05

/** The socket as the pacer sees it: its ends (to find its kernel queue) and Node's own write buffer. */
export interface PacedSocket extends SocketEnds {
  readonly writableLength: number
  readonly bytesWritten: number
}

/**
 * One connection's pacing. `ready(now)` says whether a frame may be written now; after a no, `retryMs()` says when
 * to ask again (a 'drain' event is another good moment); `wrote(bytes, now)` records a write. `progressed()` says
 * whether the reader took bytes since the last call (stall detection). Times are ms on one monotonic clock.
 */
export class ReaderPacer {
  private lastQueued: number | null = null
  private lastAccepted = 0
  private moved = false
  private retry = MIN_RETRY_MS
  // Fallback (no kernel queue): the drain rate measured while Node's buffer was backed up, and the pace it sets.
  private backlogSince: number | null = null
  private backlogAcceptedAt = 0
  private paceBytesPerS: number | null = null
  private paceSetAt = 0
  private nextAt = -Infinity

  constructor(
    private readonly socket: PacedSocket,
    private readonly source: SendQueueSource = kernelSendQueue
  ) {}

  /** The rate the reader drained a backlog at, bytes per second; null until one was measured (fallback only). */
  get drainRate(): number | null {
    return this.paceBytesPerS === null ? null : this.paceBytesPerS / PACE_SHARE
  }

  /** May a frame be written now? */
  ready(now: number): boolean {
    const accepted = this.socket.bytesWritten - this.socket.writableLength
    if (accepted !== this.lastAccepted) this.moved = true
    this.lastAccepted = accepted
    this.watchBacklog(now, accepted)
    if (this.socket.writableLength > 0) return false
    const queued = this.source.queued(this.socket)
    if (queued !== null) {
      if (this.lastQueued !== null && queued < this.lastQueued) this.moved = true
      this.retry = queued === this.lastQueued ? Math.min(MAX_RETRY_MS, this.retry * 2) : MIN_RETRY_MS
      this.lastQueued = queued
      return queued <= LOW_WATER_BYTES
    }
    return now >= this.nextAt
  }

  /** ms until ready() is worth asking again. */
  retryMs(now: number): number {
    if (this.lastQueued === null && this.socket.writableLength === 0) return Math.max(1, Math.ceil(this.nextAt - now))
    return this.retry
  }

  /** A frame of `bytes` went to the socket at `now`. */
  wrote(bytes: number, now: number): void {
    this.lastQueued = null
    this.retry = MIN_RETRY_MS
    const pace = this.currentPace(now)
    if (pace !== null) this.nextAt = Math.max(this.nextAt, now - 1_000 / 30) + (bytes * 1_000) / pace
  }

  /** True when the reader took bytes since the last call (its queue shrank, or Node's buffer drained). */
  progressed(): boolean {
    const moved = this.moved
    this.moved = false
    return moved
  }

  /** Fallback: measure how fast a backlog in Node's buffer drains, which is how fast the reader reads. */
  private watchBacklog(now: number, accepted: number): void {
    const backed = this.socket.writableLength > 0
    if (backed && this.backlogSince === null) {
      this.backlogSince = now
      this.backlogAcceptedAt = accepted
    } else if (!backed && this.backlogSince !== null) {
      const ms = now - this.backlogSince
      const drained = accepted - this.backlogAcceptedAt
      this.backlogSince = null
      if (ms >= 50 && drained > 0) {
        this.paceBytesPerS = ((drained * 1_000) / ms) * PACE_SHARE
        this.paceSetAt = now
        // Let what the kernel took before the back-pressure drain before the next frame: it is at least one frame.
        this.nextAt = now + (drained * 1_000) / this.paceBytesPerS
      }
    }
  }

  private currentPace(now: number): number | null {
    if (this.paceBytesPerS === null) return null
    return this.paceBytesPerS * (1 + PACE_GROWTH_PER_S) ** ((now - this.paceSetAt) / 1_000)
  }
}
