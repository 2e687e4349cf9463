import { afterEach, describe, expect, it } from 'vitest'
import { CODE_LIFETIME_MS, GUESSES_PER_ADDRESS, isPairingCode, MAX_GUESSES_PER_CODE, PairingCodes, RATE_WINDOW_MS } from '../../../src/core/secure/pairing-code'

const open: PairingCodes[] = []
afterEach(() => open.splice(0).forEach((c) => c.close()))

function codes(clock: { now: number }): PairingCodes {
  const c = new PairingCodes(() => clock.now)
  open.push(c)
  return c
}

describe('PairingCodes', () => {
  it('shows 6 digits and replaces them once they are 10 minutes old', () => {
    const clock = { now: 1_000_000 }
    const c = codes(clock)
    const first = c.state
    expect(isPairingCode(first.code)).toBe(true)
    expect(first.expiresAt).toBe(clock.now + CODE_LIFETIME_MS)
    clock.now += CODE_LIFETIME_MS - 1
    expect(c.state.code).toBe(first.code)
    const ticket = c.ticket()
    clock.now += 1
    expect(c.state.expiresAt).toBe(clock.now + CODE_LIFETIME_MS)
    expect(c.guess('a', ticket)).toBe('CODE_EXPIRED')
  })

  it('lets a code serve three unconfirmed guesses, then replaces it', () => {
    const clock = { now: 0 }
    const c = codes(clock)
    const changed: string[] = []
    c.on('changed', (s) => changed.push(s.code))
    const ticket = c.ticket()
    for (let i = 0; i < MAX_GUESSES_PER_CODE; i++) expect(c.guess(`10.0.0.${i}`, ticket)).toBeNull()
    expect(c.guess('10.0.0.9', ticket)).toBe('CODE_EXPIRED')
    expect(changed).toHaveLength(1)
    expect(c.guess('10.0.0.9', c.ticket())).toBeNull()
  })

  it('limits one address to five guesses a minute, gives back a confirmed one, and forgets old ones', () => {
    const clock = { now: 0 }
    const c = codes(clock)
    for (let i = 0; i < GUESSES_PER_ADDRESS; i++) {
      expect(c.guess('10.0.0.1', c.ticket())).toBeNull()
      c.rotate()
    }
    expect(c.limited('10.0.0.1')).toBe(true)
    expect(c.guess('10.0.0.1', c.ticket())).toBe('RATE_LIMITED')
    expect(c.guess('10.0.0.2', c.ticket()), 'another address is not held back').toBeNull()
    const ticket = c.ticket()
    c.confirmed(ticket, '10.0.0.1')
    expect(c.limited('10.0.0.1')).toBe(false)
    expect(c.state.code === ticket.code && c.ticket().generation === ticket.generation).toBe(false)
    clock.now += RATE_WINDOW_MS + 1
    expect(c.limited('10.0.0.1')).toBe(false)
  })
})
