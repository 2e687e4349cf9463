import { describe, expect, it } from 'vitest'
import { formatWhen } from '../../../src/renderer/src/lib/format'

const now = Date.UTC(2026, 10, 30, 12, 0, 0)
const MIN = 60_000

describe('formatWhen', () => {
  it('says how long ago, in the largest whole unit up to a week', () => {
    expect(formatWhen(now - 59_999, now)).toBe('just now')
    expect(formatWhen(now - MIN, now)).toBe('1 min ago')
    expect(formatWhen(now - 59 * MIN, now)).toBe('59 min ago')
    expect(formatWhen(now - 60 * MIN, now)).toBe('1 h ago')
    expect(formatWhen(now - 24 * 60 * MIN, now)).toBe('yesterday')
    expect(formatWhen(now - 6 * 24 * 60 * MIN, now)).toBe('6 days ago')
  })

  it('gives the date after a week, and "never" for a time that was not recorded', () => {
    expect(formatWhen(Date.UTC(2026, 10, 3, 12), now)).toBe('3 Nov 2026')
    expect(formatWhen(0, now)).toBe('never')
  })

  it('treats a clock that ran backwards as just now', () => {
    expect(formatWhen(now + 5 * MIN, now)).toBe('just now')
  })
})
