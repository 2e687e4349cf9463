import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { truncateUtf8, utf8Prefix } from '../../src/shared/utf8'
import { NUM_RUNS } from '../support/runs'

const strict = new TextDecoder('utf-8', { fatal: true })
const utf8Length = (s: string): number => new TextEncoder().encode(s).length

/** Text of every width: 1-byte ASCII, 2-byte é, 3-byte €, 4-byte emoji, combining marks, anything in Unicode. */
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.array(fc.constantFrom('a', 'é', '€', '😀', 'e\u0301', '\u{10FFFF}'), { maxLength: 40 }).map((parts) => parts.join(''))
)
const cap = fc.integer({ min: 0, max: 300 })

describe('utf8Prefix and truncateUtf8', () => {
  it('never splits a character, never exceeds the cap, and keeps the longest prefix that fits', () => {
    fc.assert(
      fc.property(text, cap, (s, max) => {
        const bytes = utf8Prefix(s, max)
        expect(bytes.length).toBeLessThanOrEqual(max)
        const kept = strict.decode(bytes)
        expect(s.startsWith(kept)).toBe(true)
        if (kept.length < s.length) {
          // The next character would not have fitted in what was left.
          const next = String.fromCodePoint(s.codePointAt(kept.length)!)
          expect(bytes.length + utf8Length(next)).toBeGreaterThan(max)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('gives the same cut as text and as bytes', () => {
    fc.assert(
      fc.property(text, cap, (s, max) => {
        const cut = truncateUtf8(s, max)
        expect(cut).toBe(strict.decode(utf8Prefix(s, max)))
        expect(utf8Length(cut)).toBeLessThanOrEqual(max)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('keeps text that already fits unchanged', () => {
    fc.assert(
      fc.property(text, (s) => {
        expect(truncateUtf8(s, utf8Length(s))).toBe(s)
        expect([...utf8Prefix(s, utf8Length(s) + 5)]).toEqual([...new TextEncoder().encode(s)])
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('cuts stream names to the protocol’s 64 bytes on character boundaries', () => {
    expect(truncateUtf8('Integrated Camera', 64)).toBe('Integrated Camera')
    expect(truncateUtf8('é'.repeat(40), 64)).toBe('é'.repeat(32))
    expect(truncateUtf8('📷'.repeat(20), 63)).toBe('📷'.repeat(15))
    expect(truncateUtf8('a€', 3)).toBe('a')
    expect(utf8Prefix('', 0)).toHaveLength(0)
  })

  it('writes an unpaired surrogate as U+FFFD and counts it as three bytes', () => {
    expect([...utf8Prefix('a\uD800b', 10)]).toEqual([0x61, 0xef, 0xbf, 0xbd, 0x62])
    expect(utf8Prefix('a\uD800b', 3)).toEqual(Uint8Array.of(0x61))
    expect(truncateUtf8('a\uD800b', 4)).toBe('a\uD800')
  })

  it('refuses a cap that is negative or not a whole number', () => {
    expect(() => utf8Prefix('abc', -1)).toThrow(RangeError)
    expect(() => truncateUtf8('abc', 1.5)).toThrow(RangeError)
    expect(() => utf8Prefix('abc', Number.NaN)).toThrow(RangeError)
  })
})
