// The TXT attribute reader (RFC 6763 §6) on records as anyone on the network may send them: well-formed ones,
// oversized ones, wrong types, repeated and broken keys, and generated garbage.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseTxt, type TxtAttributes } from '../../../src/core/discovery/txt'
import { FramecastError } from '../../../src/core/errors'
import { NUM_RUNS } from '../../support/runs'

const params = { numRuns: NUM_RUNS }
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const text = (v: Uint8Array | true | undefined): string | boolean | undefined => (v instanceof Uint8Array ? new TextDecoder().decode(v) : v)

function read(strings: unknown, max = 1300): TxtAttributes {
  const r = parseTxt(strings, max)
  if (!r.ok) throw r.error
  return r.attributes
}

function refusal(strings: unknown, max = 1300): FramecastError {
  const r = parseTxt(strings, max)
  expect(r.ok).toBe(false)
  return (r as { error: FramecastError }).error
}

describe('parseTxt', () => {
  it('reads key=value pairs, keys alone and empty values', () => {
    const a = read([bytes('name=Studio cam'), bytes('pair'), bytes('fp='), bytes('path=/a=b')])
    expect(text(a.get('name'))).toBe('Studio cam')
    expect(a.get('pair')).toBe(true)
    expect(text(a.get('fp'))).toBe('')
    expect(text(a.get('path'))).toBe('/a=b')
    expect([...a.keys()]).toEqual(['name', 'pair', 'fp', 'path'])
  })

  it('compares keys without case and keeps the first of a repeated key', () => {
    const a = read([bytes('PROTO=2'), bytes('proto=9'), bytes('Proto'), bytes('codec=jpeg')])
    expect(text(a.get('proto'))).toBe('2')
    expect(a.size).toBe(2)
  })

  it('skips empty strings, strings without a key and keys that are not printable ASCII', () => {
    const a = read([new Uint8Array(0), bytes('=orphan'), Uint8Array.of(0x6e, 0x00, 0x3d, 0x31), bytes('nämé=x'), Uint8Array.of(0x7f, 0x3d), bytes('ok=1')])
    expect([...a.keys()]).toEqual(['ok'])
  })

  it('keeps values as opaque bytes, invalid UTF-8 included', () => {
    const a = read([Uint8Array.of(0x6e, 0x3d, 0xff, 0xfe, 0x00)])
    expect([...(a.get('n') as Uint8Array)]).toEqual([0xff, 0xfe, 0x00])
  })

  it('reports MESSAGE_TOO_LARGE for a record over its cap, counting each string with its length byte', () => {
    const fits = [new Uint8Array(99), new Uint8Array(99)]
    expect(parseTxt(fits, 200).ok).toBe(true)
    expect(refusal([new Uint8Array(99), new Uint8Array(100)], 200).code).toBe('MESSAGE_TOO_LARGE')
    // A list of more strings than the cap has bytes cannot fit, whatever the strings are: refused before a look at them.
    expect(refusal(new Array(1_000_000).fill(0), 1300).code).toBe('MESSAGE_TOO_LARGE')
  })

  it.each([
    ['a string', 'name=x'],
    ['a single buffer', bytes('name=x')],
    ['null', null],
    ['an object', { name: 'x' }],
    ['a list with text in it', [bytes('a=1'), 'b=2']],
    ['a list with a number in it', [7]],
    ['a list with a string over 255 bytes', [new Uint8Array(256)]]
  ])('reports MALFORMED_MESSAGE for %s', (_what, record) => {
    const e = refusal(record)
    expect(e).toBeInstanceOf(FramecastError)
    expect(e.code).toBe('MALFORMED_MESSAGE')
    expect(e.message).toMatch(/^The TXT record /)
  })

  it('never throws, and refuses only with a coded error, whatever it is given', () => {
    const strings = fc.array(fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.anything()), { maxLength: 40 })
    fc.assert(
      fc.property(fc.oneof(strings, fc.anything()), fc.integer({ min: 0, max: 2000 }), (record, max) => {
        const r = parseTxt(record, max)
        if (!r.ok) expect(['MALFORMED_MESSAGE', 'MESSAGE_TOO_LARGE']).toContain(r.error.code)
      }),
      params
    )
  })

  it('returns, for every key, the value of its first string, and only printable lower-case keys', () => {
    const key = fc.stringMatching(/^[A-Za-z0-9 _-]{0,6}$/)
    const entry = fc.oneof(
      fc.tuple(key, fc.uint8Array({ maxLength: 20 })).map(([k, v]) => Uint8Array.from([...bytes(k), 0x3d, ...v])),
      key.map(bytes),
      fc.uint8Array({ maxLength: 20 })
    )
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 30 }), (record) => {
        const a = read(record, 100_000)
        for (const [k, value] of a) {
          expect(k).toMatch(/^[\x20-\x3c\x3e-\x40\x5b-\x7e]+$/)
          const first = record.find((s) => {
            const eq = s.indexOf(0x3d)
            const end = eq < 0 ? s.length : eq
            return end > 0 && new TextDecoder().decode(s.subarray(0, end)).toLowerCase() === k
          })!
          const eq = first.indexOf(0x3d)
          expect(value === true ? eq : [...value]).toEqual(eq < 0 ? -1 : [...first.subarray(eq + 1)])
        }
      }),
      params
    )
  })

  it('reads a corrupted record without throwing', () => {
    const good = [bytes('name=Studio'), bytes('dev=studio-pc'), bytes('proto=2'), bytes('codec=jpeg'), bytes('pair=1')]
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(4), fc.nat(40), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }), (flips) => {
        const record = good.map((s) => s.slice())
        for (const [i, at, b] of flips) if (record[i]!.length > 0) record[i]![at % record[i]!.length] = b
        const r = parseTxt(record, 1300)
        expect(r.ok).toBe(true)
      }),
      params
    )
  })
})
