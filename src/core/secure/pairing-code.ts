// The broadcaster's pairing code (docs/protocol.md "The pairing code, proven with CPace"): 6 decimal digits, good for
// 10 minutes, replaced after 3 guesses that were not confirmed and after every successful pairing (so a code seen over
// a shoulder is worth nothing later), and at most 5 guesses a minute from one source address. A guess is counted
// when the viewer's PAKE_SHARE arrives, before our confirmation goes out: a viewer that disconnects instead of
// confirming has still used one.

import { randomInt } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { ErrorCode } from '../../shared/protocol'

export const PAIRING_CODE_DIGITS = 6
/** A code is replaced after this many unconfirmed guesses. */
export const MAX_GUESSES_PER_CODE = 3
export const CODE_LIFETIME_MS = 10 * 60_000
/** Guesses one source address may make per RATE_WINDOW_MS. */
export const GUESSES_PER_ADDRESS = 5
export const RATE_WINDOW_MS = 60_000
/** Addresses whose recent guesses are remembered, at most (the oldest is forgotten beyond). */
const MAX_TRACKED_ADDRESSES = 4096

/** The code on show and when it runs out (ms since epoch). */
export interface PairingCodeState {
  code: string
  expiresAt: number
}

/** Which code a pairing was offered with: attempts with a replaced one get CODE_EXPIRED. */
export interface CodeTicket {
  readonly code: string
  readonly generation: number
}

export function isPairingCode(s: string): boolean {
  return /^\d{6}$/.test(s)
}

/**
 * The code a private broadcaster shows, and the guesses made against it. Emits 'changed' with the new state whenever
 * the code is replaced (expiry, guesses, success, rotate()). `now` is injectable for tests (ms since epoch).
 */
export class PairingCodes extends EventEmitter<{ changed: [PairingCodeState] }> {
  private code = ''
  private generation = 0
  private expiresAt = 0
  private guesses = 0
  private readonly recent = new Map<string, number[]>()
  private timer: NodeJS.Timeout | null = null

  constructor(private readonly now: () => number = Date.now) {
    super()
    this.replace(false)
  }

  /** The code on show (replaced first if it has run out). */
  get state(): PairingCodeState {
    if (this.now() >= this.expiresAt) this.replace()
    return { code: this.code, expiresAt: this.expiresAt }
  }

  /** The code a PAIR_REQUEST offers now. */
  ticket(): CodeTicket {
    const { code } = this.state
    return { code, generation: this.generation }
  }

  /** True when `address` has no guess left this minute (RATE_LIMITED before it is even asked for a code). */
  limited(address: string): boolean {
    return this.recentGuesses(address).length >= GUESSES_PER_ADDRESS
  }

  /**
   * A guess arrives from `address` for the code of `ticket`: null when it may go ahead (and it is counted), else the
   * refusal: RATE_LIMITED, or CODE_EXPIRED when the code was replaced since the ticket (or this guess would be one
   * too many for it, which replaces it now).
   */
  guess(address: string, ticket: CodeTicket): ErrorCode | null {
    if (this.limited(address)) return 'RATE_LIMITED'
    if (ticket.generation !== this.generation || this.now() >= this.expiresAt) return 'CODE_EXPIRED'
    if (this.guesses >= MAX_GUESSES_PER_CODE) {
      this.replace()
      return 'CODE_EXPIRED'
    }
    this.guesses++
    const times = this.recentGuesses(address)
    times.push(this.now())
    this.recent.delete(address)
    this.recent.set(address, times)
    if (this.recent.size > MAX_TRACKED_ADDRESSES) this.recent.delete(this.recent.keys().next().value!)
    return null
  }

  /**
   * A guess from `address` made with `ticket` was confirmed: the code has done its job and is replaced, and the guess
   * no longer counts against the address (a right code is not an attack; pairing several devices in a row is fine).
   */
  confirmed(ticket: CodeTicket, address: string): void {
    const times = this.recent.get(address)
    if (times !== undefined && times.length > 0) times.pop()
    if (ticket.generation === this.generation) this.replace()
  }

  /** Show a new code now (the person asked for one). */
  rotate(): void {
    this.replace()
  }

  /** Stop the expiry timer. */
  close(): void {
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = null
  }

  private recentGuesses(address: string): number[] {
    const since = this.now() - RATE_WINDOW_MS
    return (this.recent.get(address) ?? []).filter((t) => t > since)
  }

  private replace(announce = true): void {
    this.code = String(randomInt(0, 10 ** PAIRING_CODE_DIGITS)).padStart(PAIRING_CODE_DIGITS, '0')
    this.generation++
    this.guesses = 0
    this.expiresAt = this.now() + CODE_LIFETIME_MS
    if (this.timer !== null) clearTimeout(this.timer)
    this.timer = setTimeout(() => this.replace(), CODE_LIFETIME_MS)
    this.timer.unref()
    if (announce) this.emit('changed', { code: this.code, expiresAt: this.expiresAt })
  }
}
