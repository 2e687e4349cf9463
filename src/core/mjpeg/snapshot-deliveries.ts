// /snapshot.jpg responses on their way out. A snapshot holds its frame until the client has taken it, so a client
// that never reads would hold it forever (200 such clients with 6 MB frames held 1.2 GB); the MJPEG server counts the
// deliveries under way against its client limit, and this class ends any that stops moving. The body goes out in
// slices, one at a time, each handed on when the previous one has been taken by the kernel — that is what "moving"
// means: a slow but reading client keeps its snapshot, one that reads nothing for `stallTimeoutMs` is cut off.

import type { ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/** Bytes per slice: large enough that a fast client is never held back, small enough to see progress (256 KiB). */
const SLICE_BYTES = 256 * 1024

interface Delivery {
  res: ServerResponse
  /** When the last slice was taken (ms, performance.now()). */
  movedAt: number
}

/** The snapshot responses under way; `size` of them. */
export class SnapshotDeliveries {
  private readonly underway = new Set<Delivery>()
  private sweep: NodeJS.Timeout | null = null
  /** Deliveries cut off because the client stopped reading. */
  cut = 0

  /** `stallTimeoutMs`: how long a delivery may go without a slice taken before its connection is destroyed. */
  constructor(private readonly stallTimeoutMs: number) {}

  get size(): number {
    return this.underway.size
  }

  /**
   * Send `jpeg` as the body of `res` (whose status and headers the caller has set, Content-Length included), or just
   * end it for HEAD. The delivery counts until the response finishes or its connection closes.
   */
  deliver(res: ServerResponse, jpeg: Uint8Array, head: boolean): void {
    if (head) {
      res.end()
      return
    }
    const d: Delivery = { res, movedAt: performance.now() }
    this.underway.add(d)
    this.watch()
    const done = (): void => {
      this.underway.delete(d)
      if (this.underway.size === 0) this.unwatch()
    }
    res.once('close', done)
    res.once('finish', done)
    const next = (offset: number): void => {
      if (!this.underway.has(d) || res.destroyed) return
      d.movedAt = performance.now()
      const end = Math.min(offset + SLICE_BYTES, jpeg.length)
      if (end === jpeg.length) res.end(jpeg.subarray(offset, end))
      else res.write(jpeg.subarray(offset, end), (err) => (err ? undefined : next(end)))
    }
    next(0)
  }

  /** Whether a delivery is under way on `socket`. */
  answering(socket: Socket): boolean {
    for (const d of this.underway) if (d.res.socket === socket) return true
    return false
  }

  /** Destroy every delivery under way (the server is closing). */
  clear(): void {
    for (const d of this.underway) d.res.destroy()
    this.underway.clear()
    this.unwatch()
  }

  private watch(): void {
    if (this.sweep !== null) return
    this.sweep = setInterval(() => this.cutStalled(), Math.max(50, Math.floor(this.stallTimeoutMs / 4)))
    this.sweep.unref()
  }

  private unwatch(): void {
    if (this.sweep !== null) clearInterval(this.sweep)
    this.sweep = null
  }

  private cutStalled(): void {
    const now = performance.now()
    for (const d of this.underway) {
      if (now - d.movedAt < this.stallTimeoutMs) continue
      this.underway.delete(d)
      this.cut++
      d.res.destroy()
    }
    if (this.underway.size === 0) this.unwatch()
  }
}
