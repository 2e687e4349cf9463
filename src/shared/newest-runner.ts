// A busy consumer fed newest-first: one item is worked on at a time, and what arrives meanwhile waits in a
// NewestSlot, so a slow consumer gets the newest item as soon as it is free and never a backlog (what stream
// libraries call conflation). The windows' decoder, encoder and sender, and the browser host's page sockets, use it.
// Pure TypeScript.

import { NewestSlot } from './newest'

export interface NewestRunnerOptions<T> {
  /**
   * Work on one item; the runner is busy until the returned promise settles. A throw or a rejection goes to
   * `onError`, and the runner goes on with the next item.
   */
  run: (item: T) => Promise<void>
  /** Give back an item that will never be run: replaced while waiting, waiting at close, or offered after close. */
  release?: (item: T) => void
  /** `run` threw or rejected for `item`. */
  onError: (error: unknown, item: T) => void
}

/** What offer did with an item. */
export type Offered = 'started' | 'waiting' | 'closed'

/**
 * Runs items through `run` one at a time, newest first. An item offered while the runner is busy waits; a newer one
 * replaces it (the replaced one is released and counted in `replaced`). When a run ends, the waiting item, if any,
 * starts at once (in a microtask after the run's promise settles).
 *
 * ```ts
 * const decoder = new NewestRunner<Frame>({ run: (f) => decodeAndPaint(f), release: (f) => f.close(), onError })
 * decoder.offer(frame) // 'started', or 'waiting' while a decode runs
 * ```
 */
export class NewestRunner<T> {
  private readonly waiting = new NewestSlot<T>()
  private running = false
  private closed = false

  constructor(private readonly options: NewestRunnerOptions<T>) {}

  /** Items replaced by a newer one while they waited (released, never run), since construction. */
  get replaced(): number {
    return this.waiting.replaced
  }

  /** True while `run` works on an item. */
  get busy(): boolean {
    return this.running
  }

  /** The item waiting for the runner, without taking it. */
  peekWaiting(): T | undefined {
    return this.waiting.peek()
  }

  /** Take the waiting item out (not counted as replaced, not released): the caller now owns it. */
  takeWaiting(): T | undefined {
    return this.waiting.take()
  }

  /**
   * Hand an item over: it starts at once when the runner is idle ('started'), waits while it is busy ('waiting',
   * replacing and releasing what waited), or is released at once after close ('closed').
   */
  offer(item: T): Offered {
    if (this.closed) {
      this.options.release?.(item)
      return 'closed'
    }
    if (this.running) {
      if (this.waiting.full) this.options.release?.(this.waiting.peek() as T)
      this.waiting.offer(item)
      return 'waiting'
    }
    this.start(item)
    return 'started'
  }

  /** Run nothing more: the waiting item is released, and so is every item offered later. A running item finishes. */
  close(): void {
    this.closed = true
    if (!this.waiting.full) return
    const item = this.waiting.clear() as T
    this.options.release?.(item)
  }

  private start(item: T): void {
    this.running = true
    let work: Promise<void>
    try {
      work = this.options.run(item)
    } catch (e) {
      work = Promise.reject(e)
    }
    work.then(
      () => this.next(),
      (e: unknown) => {
        try {
          this.options.onError(e, item)
        } finally {
          this.next()
        }
      }
    )
  }

  private next(): void {
    this.running = false
    if (!this.closed && this.waiting.full) this.start(this.waiting.take() as T)
  }
}
