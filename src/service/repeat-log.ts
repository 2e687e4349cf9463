// A log that a flood cannot flood: the same complaint (same key) is written at most once a second, and the next one
// written says how many were left out. Both shells' session services and the browser host log through it, so a peer
// that sends garbage in a loop costs a counter, not a line per message.

/** The same keyed line is written at most this often. */
export const LOG_REPEAT_MS = 1_000
/** Keys remembered at most; past this the memory is cleared (a flood of distinct keys costs one line per key). */
const MAX_KEYS = 1_000

/** Writes log lines through `write`, holding back keyed repeats (see log()). */
export class RepeatLimitedLog {
  private readonly repeats = new Map<string, { at: number; suppressed: number }>()

  constructor(
    private readonly write: (line: string) => void,
    private readonly repeatMs = LOG_REPEAT_MS
  ) {}

  /** Write `line`; with a `key`, repeats within repeatMs of the last one written are counted instead, and the count is
   * appended to the next line written for that key ("(and 41 more like it)"). */
  log(line: string, key?: string): void {
    if (key === undefined) return this.write(line)
    const now = Date.now()
    const seen = this.repeats.get(key)
    if (seen && now - seen.at < this.repeatMs) {
      seen.suppressed++
      return
    }
    const more = seen && seen.suppressed > 0 ? ` (and ${seen.suppressed} more like it)` : ''
    this.repeats.set(key, { at: now, suppressed: 0 })
    if (this.repeats.size > MAX_KEYS) this.repeats.clear()
    this.write(line + more)
  }
}
