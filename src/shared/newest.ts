// Newest wins: the one place where an item waits for a busy consumer (a socket that must drain, an encoder or decoder
// still working, a window that has not taken the last frame). Offering a new item replaces the waiting one, so what
// waits never grows beyond one item, whatever the producer does. Pure TypeScript: the core, the services and the
// windows all use it.

/**
 * A slot holding at most one waiting item; a newer offer replaces it.
 *
 * ```ts
 * const slot = new NewestSlot<Frame>()
 * const old = slot.offer(frame)   // the frame it replaced, if any (release it: VideoFrame.close(), …)
 * const next = slot.take()        // the newest waiting frame, or undefined; the slot is empty afterwards
 * ```
 */
export class NewestSlot<T> {
  private item: T | undefined = undefined
  private holding = false
  private replacedCount = 0

  /** Items replaced by a newer one before anyone took them, since construction. */
  get replaced(): number {
    return this.replacedCount
  }

  /** True while an item waits. */
  get full(): boolean {
    return this.holding
  }

  /** The waiting item without taking it. */
  peek(): T | undefined {
    return this.item
  }

  /** Put `item` in the slot. Returns the item it replaced (counted in `replaced`), or undefined when it was empty. */
  offer(item: T): T | undefined {
    const previous = this.holding ? this.item : undefined
    if (this.holding) this.replacedCount++
    this.item = item
    this.holding = true
    return previous
  }

  /** Take the waiting item, leaving the slot empty; undefined when nothing waits. */
  take(): T | undefined {
    const item = this.item
    this.item = undefined
    this.holding = false
    return item
  }

  /** Empty the slot without counting a replacement; returns what was waiting (to release it), if anything. */
  clear(): T | undefined {
    return this.take()
  }
}
