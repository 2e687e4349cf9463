// When the next frame may be written to a reader that cannot acknowledge frames (a classic OpenCV script, an MJPEG
// client), so that what it reads stays recent. Newest-frame-wins above the socket is not enough: the kernel takes
// megabytes before Node sees any back-pressure — our send buffer (autotuned up to tcp_wmem's maximum, 4 MB by
// default; on loopback several MB at once) and the reader's receive buffer, which the reader's kernel grows to half a
// megabyte or more for a reader that takes 100 KB frames in bursts — and a reader that takes 4 frames a second then
// reads frames seconds old. Measured over a 100 Mbit/s veth link: the tutorial receiver's kernel grew its buffer
// from 128 KB to 2.5 MB on its first whole-frame read, and unpaced frames were read 5–10 s old.
//
// What can be observed: Node's own buffer; where the system publishes it (Linux, send-queue.ts) the bytes the kernel
// holds that have not reached the reader's machine; and where it can be read (Linux 6.2+ with iproute2,
// peer-window.ts) the receive window the reader's machine last advertised. From that, these rules:
// - the gate: a frame goes out only while what we can see waiting is at most LOW_WATER_BYTES;
// - behind: the reader's window BEHIND_BYTES or more below the largest it has advertised is its buffer's free space,
//   no longer the window's own growth: the reader holds at least the difference unread. Its kernel grows the buffer
//   well past the largest window it advertises (Linux keeps rcv_ssthresh under it), so this shows a reader half a
//   megabyte or more behind — seconds earlier than the gate, which needs the whole buffer full;
// - the drain rate, from the window: while behind, the window's right edge (acknowledged + window) moves exactly as
//   the reader reads, since its kernel frees what it copies out; the edge's speed over WINDOW_SAMPLE_MS or more of
//   being behind, dated by the ACKs that carried it, is the drain rate r. Until r is known, a reader that is behind
//   gets a frame every MEASURE_INTERVAL_MS, which keeps ACKs (and readings) coming without adding much;
// - the drain rate, without the window: a link drains our queue continuously; a reader that is busy with a frame
//   stops it dead, and when it reads, the gate opens. So a gate that opens after nothing moved for READER_IDLE_MS was
//   opened by the reader, with its buffer full. Between two such openings its buffer was full at both ends, so what
//   passed in between is exactly what it took — if a frame waited at the closed gate all the while (else less was
//   offered than it took): the lowest of the last few of those rates is r (its buffer growing can only make one look
//   faster). Openings more than PAUSE_MS apart span a pause (a model loading, a breakpoint), not a slow reader;
// - the backlog: what waits in the reader's own buffer follows the queue equation
//   B ← max(0, B + bytes that reached it − r·Δt), replayed over the last few seconds whenever r changes, and is at
//   least what the last window reading showed, less what r has drained since. A frame goes out only while B is at
//   most a quarter of a frame (the reader has all but finished the last one, so a new frame waits behind at most
//   one), and at most at PACE_SHARE (0.6) of r on average: so a backlog built up before r was known, or while the
//   reader paused, empties instead of being read seconds late, and then stays empty, even when r was measured up to
//   two thirds too high.
// The start: until the reader is seen behind or first holds the gate up, frames go out as they come (through the
// gate). A reader that keeps up never is and is never paced. A slow start (4 frames a second, doubling each second
// without a sign) was tried and is worse: its reader's kernel kept growing the buffer as it slowly filled (to 2.2 MB),
// the first sign came 3–7 s late, and the backlog then took seconds more to drain. Bytes passing freely are no sign
// of a fast reader, and a gate opening after the link held it up is no sign either. Gate rate samples span at least
// MIN_SAMPLE_MS: the reader's kernel opens its window in steps that need not match its reads, and short samples were
// measured at two and a half times the true rate (the window's edge does not have that fault: it is read at each ACK).
//
// There is deliberately no probing above the measured rate: the first half megabyte or so of a backlog does not show
// in the window, so an overshoot would show only seconds later as seconds of lag. A reader that becomes faster keeps
// the rate it was measured at until it falls behind again; a known limit. Where neither the kernel queue nor the
// window can be read, the gate is Node's buffer, which backs up only once the kernel's buffers are full: the rate,
// and so the bound, come only after that first back-pressure (docs/protocol.md, "Readers that do not acknowledge").

import { type PeerWindowSample, type PeerWindowSource, peerWindows } from './peer-window'
import { kernelSendQueue, type SendQueueSource, type SocketEnds } from './send-queue'

/**
 * A frame may be written while at most this many bytes wait to reach the reader's machine: a little over ten
 * full-size TCP segments, so a fast reader on a slow link gets its next frame just before the last one is through
 * (6.5 ms of a 20 Mbit/s link).
 */
export const LOW_WATER_BYTES = 16 * 1024
/** Frames go out at most at this share of the reader's drain rate, on average. */
export const PACE_SHARE = 0.6
/**
 * The backlog is taken to drain at this share of the measured rate. A rate measured high (by up to a third: the
 * edge moves a frame at a time, and part of the buffer never shows) would otherwise let frames go while the reader
 * still holds seconds of older ones; taken low, the reader only waits a little once, having had frames to read.
 */
export const DRAIN_SHARE = 0.75
/**
 * Once measured, a frame goes out only while the reader's estimated backlog is at most this share of a frame: it has
 * all but finished the last one, so the new frame waits at most about one of its reads, not two.
 */
export const EMPTY_SHARE = 0.25
/** A reader that took longer than this (ms) over one frame was paused, not slow: the interval is not a sample. */
export const PAUSE_MS = 3_000
/** Nothing moving for this long (ms) while a frame waits: the reader, not the link, is holding it up. */
export const READER_IDLE_MS = 20
/** The reader's drain rate is the lowest of its last READER_SAMPLES rate samples, each over at least MIN_SAMPLE_MS. */
const READER_SAMPLES = 5
const MIN_SAMPLE_MS = 400
/** How far back (ms) the backlog is replayed when the rate changes, and at most how many looks are kept for it. */
const HISTORY_MS = 10_000
const MAX_HISTORY = 1_024
/**
 * The reader's advertised window this far (bytes) below the largest it has advertised: its own buffer, not the
 * window's growth, bounds the window, so it holds at least that much unread…
 */
export const BEHIND_BYTES = 64 * 1024
/** …and at least this many of the last frame's size. */
export const BEHIND_FRAMES = 2
/**
 * A rate from the reader's window spans at least this long (ms) and this many of the last frame's size: its reads
 * move the window's edge a frame at a time.
 */
const WINDOW_SAMPLE_MS = 1_000
const EDGE_SAMPLE_FRAMES = 3
/** While the reader is behind and its rate not yet known, a frame goes at most this often (ms), to keep ACKs coming. */
export const MEASURE_INTERVAL_MS = 250
/** The reader's window is read this often (ms) while it matters (the first seconds, while behind or being measured)… */
const WINDOW_LOOK_MS = 100
/** …as often as `ss` may run while an unmeasured reader is new: at 30 fps it takes 300 KB in 100 ms… */
const START_LOOK_MS = 50
/** …and this often otherwise. */
const WINDOW_IDLE_LOOK_MS = 1_000
/** How long (ms) after the first frame a reader is watched closely for falling behind. */
const START_MS = 5_000
/** Checks of a closed gate start this often (ms) and back off, doubling, to MAX_RETRY_MS while nothing changes. */
const MIN_RETRY_MS = 4
const MAX_RETRY_MS = 16

/** The socket as the pacer sees it: its ends (to find its kernel queue) and Node's own write buffer. */
export interface PacedSocket extends SocketEnds {
  readonly writableLength: number
  readonly bytesWritten: number
}

interface Look {
  /** ms */
  at: number
  /** bytes that had reached the reader's machine (or, without a kernel queue to read, the kernel) */
  passed: number
}

/**
 * One connection's pacing. `ready(now)` says whether a frame may be written now; after a no, `retryMs(now)` says when
 * to ask again (a 'drain' event is another good moment); `wrote(bytes, now)` records a write. `progressed()` says
 * whether the reader took bytes since the last call (for stall detection). Times are ms on one monotonic clock;
 * rates bytes per second.
 */
export class ReaderPacer {
  private lastPassed = 0
  private lastClosed = false
  private moved = false
  private retry = MIN_RETRY_MS
  /** Since the last write, a frame waited because the gate was closed; and nothing moved for READER_IDLE_MS meanwhile. */
  private heldByGate = false
  private heldByReader = false
  private lastProgressAt = -Infinity
  /** Since the last opening by the reader, a frame has always been waiting at the closed gate (its buffer stayed full). */
  private keptFull = false
  /** The last time the reader opened the gate, and what had passed then. */
  private readerOpened: { at: number; passed: number } | null = null
  private lastWrite: { at: number; bytes: number } | null = null
  private readonly readerRates: number[] = []
  private rate: number | null = null
  private readonly history: Look[] = []
  private backlog = 0
  private backlogLook: Look | null = null
  private nextAt = -Infinity

  /** From the reader's advertised window (peer-window.ts): the largest seen, the last reading, and where the current
   * spell of being behind began. */
  private windowMax = 0
  private lastWindow: PeerWindowSample | null = null
  private behindFrom: PeerWindowSample | null = null
  /** What the last reading says the reader holds at least (bytes), and when (ms). */
  private windowBacklog = 0
  private windowBacklogAt = 0
  private windowRate: number | null = null
  /** The window's right edge (bytes) and when (ms) it last moved. */
  private edge = 0
  private edgeMovedAt = 0
  /** The last reading that showed the edge where it was (ms). */
  private edgeStillSeenAt = 0
  /** The usual time (ms) between two moves of the edge: a moving average. */
  private edgeStepMs = 250
  private startedAt: number | null = null

  constructor(
    private readonly socket: PacedSocket,
    private readonly source: SendQueueSource = kernelSendQueue,
    private readonly windows: PeerWindowSource = peerWindows
  ) {}

  /** The reader's measured drain rate, bytes per second; null until measured. */
  get drainRate(): number | null {
    return this.rate
  }

  /** Bytes estimated to wait in the reader's own buffer (0 until the drain rate is known). */
  get estimatedBacklog(): number {
    return this.backlog
  }

  /** Whether the gate was closed at the last look (ready()): what waits to reach the reader is over LOW_WATER_BYTES. */
  get gateClosed(): boolean {
    return this.lastClosed
  }

  /** May a frame be written now? (Asked when a frame is ready to go.) */
  ready(now: number): boolean {
    this.startedAt ??= now
    const starting = this.rate === null && now - this.startedAt < START_MS
    const reading = this.windows.latest(this.socket, starting ? START_LOOK_MS : this.watchClosely(now) ? WINDOW_LOOK_MS : WINDOW_IDLE_LOOK_MS)
    if (reading !== null) this.sawWindow(reading)
    const kernel = this.source.queued(this.socket)
    const waiting = this.socket.writableLength + (kernel ?? 0)
    const closed = kernel === null ? this.socket.writableLength > 0 : waiting > LOW_WATER_BYTES
    const wasClosed = this.lastClosed
    this.look(now, this.socket.bytesWritten - waiting, closed)
    if (closed) {
      this.heldByGate = true
      if (now - this.lastProgressAt >= READER_IDLE_MS) this.heldByReader = true
      return false
    }
    const readerOpened = wasClosed && this.heldByGate && this.heldByReader
    if (readerOpened) this.readerOpenedGate(now)
    else this.keptFull = false
    this.heldByGate = false
    this.heldByReader = false
    const go =
      this.rate === null && this.behindFrom !== null
        ? now - (this.lastWrite?.at ?? -Infinity) >= MEASURE_INTERVAL_MS
        : now >= this.nextAt && this.backlogNow(now) <= (this.lastWrite?.bytes ?? Infinity) * EMPTY_SHARE
    // A frame held back with the gate open: the reader's buffer may no longer be full.
    if (!go) this.keptFull = false
    return go
  }

  /** ms until ready() is worth asking again. */
  retryMs(now: number): number {
    if (this.lastClosed) return this.retry
    const frame = this.lastWrite?.bytes ?? 0
    if (this.rate === null && this.behindFrom !== null) return Math.max(1, Math.ceil((this.lastWrite?.at ?? now) + MEASURE_INTERVAL_MS - now))
    const drains = this.rate === null ? 0 : ((this.backlogNow(now) - frame * EMPTY_SHARE) * 1_000) / this.rate
    return Math.min(1_000, Math.max(1, Math.ceil(Math.max(this.nextAt - now, drains))))
  }

  /** A frame of `bytes` went to the socket at `now`. */
  wrote(bytes: number, now: number): void {
    this.heldByGate = false
    this.heldByReader = false
    this.lastProgressAt = now
    this.lastWrite = { at: now, bytes }
    this.retry = MIN_RETRY_MS
    if (this.rate !== null) {
      // Average pacing: at most one frame's worth of credit builds up while nothing is sent.
      const cost = (bytes * 1_000) / (this.rate * PACE_SHARE)
      this.nextAt = Math.max(this.nextAt, now - cost) + cost
      return
    }
    // Not measured yet: as they come, through the gate.
    this.nextAt = -Infinity
  }

  /** True when the reader took bytes since the last call. */
  progressed(): boolean {
    const moved = this.moved
    this.moved = false
    return moved
  }

  /** One look at the connection: what has reached the reader, and whether the gate is closed. */
  private look(now: number, passed: number, closed: boolean): void {
    if (passed > this.lastPassed) {
      this.moved = true
      this.lastProgressAt = now
    }
    this.retry = !closed || passed > this.lastPassed ? MIN_RETRY_MS : Math.min(MAX_RETRY_MS, this.retry * 2)
    this.lastPassed = passed
    this.lastClosed = closed
    const look = { at: now, passed }
    this.history.push(look)
    while (this.history.length > MAX_HISTORY || (this.history.length > 1 && now - this.history[0]!.at > HISTORY_MS)) this.history.shift()
    if (this.rate !== null && this.backlogLook !== null) this.backlog = Math.min(this.backlogCap(), queueStep(this.backlog, this.backlogLook, look, this.rate))
    this.backlogLook = look
  }

  /** Whether the reader's window is worth reading often now. */
  private watchClosely(now: number): boolean {
    return this.behindFrom !== null || now - (this.startedAt ?? now) < START_MS || (this.rate === null && this.lastClosed)
  }

  /**
   * What the reader holds now (bytes): the queue model, and at least what its last window reading showed, less what it
   * has read since at the drain rate.
   */
  private backlogNow(now: number): number {
    if (this.windowBacklog === 0 || this.rate === null) return this.backlog
    return Math.max(this.backlog, this.windowBacklog - (this.rate * DRAIN_SHARE * Math.max(0, now - this.windowBacklogAt)) / 1_000)
  }

  /**
   * A reading of the reader's advertised window. While the window is its buffer's free space (at least BEHIND_BYTES
   * below the largest seen), the window's right edge — acknowledged bytes plus window — advances exactly as the
   * reader reads (its kernel frees what it copies out), so the edge's speed over a spell of being behind is its
   * drain rate, measured from the reader's side rather than from the openings of our send queue.
   */
  private sawWindow(r: PeerWindowSample): void {
    const last = this.lastWindow
    if (last !== null && last.ackAt === r.ackAt && last.acked === r.acked && last.window === r.window) return
    this.lastWindow = r
    this.windowMax = Math.max(this.windowMax, r.window)
    // The edge moving again after standing still for four of its usual steps (at least 1 s, at most PAUSE_MS): the
    // reader paused (a model loading, a breakpoint); a spell of being behind that spans the pause would measure the
    // pause, so a new one starts here.
    // Only stillness seen is a pause: while nothing is sent, no ACK brings news of the edge, however the reader reads.
    const edge = r.acked + r.window
    let paused = false
    if (edge > this.edge) {
      const still = this.edgeStillSeenAt - this.edgeMovedAt
      paused = this.edgeMovedAt > 0 && still > Math.min(PAUSE_MS, Math.max(1_000, 4 * this.edgeStepMs))
      if (this.edgeMovedAt > 0 && !paused) this.edgeStepMs += (r.ackAt - this.edgeMovedAt - this.edgeStepMs) / 8
      this.edge = edge
      this.edgeMovedAt = r.ackAt
    } else if (edge === this.edge) {
      this.edgeStillSeenAt = r.ackAt
    }
    // A frame or two unread is a reader at work on the last one, not one that has fallen behind: its edge would then
    // move only as fast as frames come, and the rate measured would be the pace it was given. A spell starts beyond
    // BEHIND_FRAMES frames and lasts while more than one is unread, so that a backlog hovering at the threshold
    // does not end it at every other reading.
    const frames = this.behindFrom === null ? BEHIND_FRAMES : 1
    const behind = r.window < this.windowMax - Math.max(BEHIND_BYTES, frames * (this.lastWrite?.bytes ?? 0))
    if (!behind) {
      this.behindFrom = null
      this.windowBacklog = 0
      return
    }
    this.windowBacklog = this.windowMax - r.window
    this.windowBacklogAt = r.ackAt
    const from = this.behindFrom
    if (from === null || paused) {
      this.behindFrom = r
      return
    }
    const span = r.ackAt - from.ackAt
    const moved = edge - (from.acked + from.window)
    // Its reads move the edge a frame at a time: a span of fewer frames than EDGE_SAMPLE_FRAMES is mostly one step.
    if (span < WINDOW_SAMPLE_MS || moved < EDGE_SAMPLE_FRAMES * (this.lastWrite?.bytes ?? 0)) return
    const rate = (moved * 1_000) / span
    if (!(rate > 0)) return
    this.windowRate = rate
    this.setRate(rate)
  }

  /**
   * The most the reader can hold (bytes), where its window can be read: its kernel advertises at least about half of
   * its buffer's room (Linux: rcv_ssthresh against the buffer; measured two thirds and more), so twice the largest
   * window — even when a reading shows it not behind, since the part of the buffer it never advertises can still be
   * full. A drain rate measured low would otherwise replay into a backlog larger than any buffer, and a reader would
   * wait seconds for nothing.
   */
  private backlogCap(): number {
    return this.windowMax === 0 ? Infinity : 2 * this.windowMax
  }

  /** A new drain rate: replay the backlog over what is remembered (the reader's buffer taken as empty before that). */
  private setRate(rate: number): void {
    this.rate = rate
    let backlog = 0
    for (let i = 1; i < this.history.length; i++) backlog = queueStep(backlog, this.history[i - 1]!, this.history[i]!, rate)
    this.backlog = Math.min(this.backlogCap(), backlog)
  }

  /** The reader opened the gate: with its buffer full now and at the last such opening, it took what passed since. */
  private readerOpenedGate(now: number): void {
    const before = this.readerOpened
    // Openings closer together than MIN_SAMPLE_MS join the next sample: the reader's kernel opens its window in
    // steps that need not match its reads, so only a span of several reads measures its rate.
    if (before !== null && now - before.at < MIN_SAMPLE_MS && this.keptFull) return
    const full = this.keptFull
    this.readerOpened = { at: now, passed: this.lastPassed }
    this.keptFull = true
    // Only a span over which its buffer stayed full measures what it took: otherwise less was offered than it took.
    if (before === null || now - before.at > PAUSE_MS || !full) return
    this.readerRates.push(((this.lastPassed - before.passed) * 1_000) / (now - before.at))
    if (this.readerRates.length > READER_SAMPLES) this.readerRates.shift()
    // The reader's window, where it can be read, measures the rate better than our queue's openings.
    if (this.windowRate === null) this.setRate(Math.min(...this.readerRates))
  }
}

/** One step of the reader's queue between two looks: it grows by what arrived and drains at `rate` (bytes/s). */
function queueStep(backlog: number, from: Look, to: Look, rate: number): number {
  return Math.max(0, backlog + (to.passed - from.passed) - (rate * DRAIN_SHARE * (to.at - from.at)) / 1_000)
}
