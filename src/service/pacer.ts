// How often a window hears about one thing that keeps changing. A broadcast's status changes with every connection
// refused (10 000 refused connections in 5 s once made 9 543 status pushes, each with an interface lookup) and a
// watch's state with every description a peer sends (a broadcaster repeating INFO made 3.7 million state events in
// 5 s); a person reads neither faster than a few times a second. A Pacer turns any number of "something changed" into
// a few events a second, lets a short burst of real transitions (connecting, live, lost, reconnecting) through as they
// happen, and always ends on the newest state.

/** Sustained events a second a window hears on one channel. */
export const WINDOW_EVENTS_PER_SECOND = 4
/** Events a window may hear at once after a quiet spell, before the sustained rate applies. */
export const WINDOW_EVENT_BURST = 4

/**
 * Rate-limits calls of `fire` (which sends the current state, read when it runs) with a token bucket: `burst` fires
 * may run back to back, refilled at `perSecond`. request() fires at once while a token is left; otherwise one fire is
 * scheduled for when the next token comes, and every request until then merges into it. So over any span of t seconds
 * fire runs at most burst + perSecond × t times, a request is never answered later than 1/perSecond s, and the last
 * fire always follows the last request. close() drops a scheduled fire; later requests do nothing.
 */
export class Pacer {
  private tokens: number
  private refilledAt = performance.now()
  private timer: NodeJS.Timeout | null = null
  private closed = false
  /** How many times fire ran. */
  fired = 0

  constructor(
    private readonly fire: () => void,
    private readonly perSecond: number = WINDOW_EVENTS_PER_SECOND,
    private readonly burst: number = WINDOW_EVENT_BURST
  ) {
    this.tokens = burst
  }

  request(): void {
    if (this.closed || this.timer !== null) return
    this.refill()
    if (this.tokens >= 1) return this.run()
    const waitMs = ((1 - this.tokens) / this.perSecond) * 1000
    this.timer = setTimeout(() => {
      this.timer = null
      this.refill()
      this.run()
    }, Math.ceil(waitMs))
    this.timer.unref()
  }

  close(): void {
    this.closed = true
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private refill(): void {
    const now = performance.now()
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.perSecond)
    this.refilledAt = now
  }

  private run(): void {
    if (this.closed) return
    this.tokens = Math.max(0, this.tokens - 1)
    this.fired++
    this.fire()
  }
}
