// Protocol 0's text arguments, decoded as CPython decodes them: each decoder is compared with Python itself on many
// generated lines (one Python run for all of them), and checked on the cases that matter by hand.

import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decodeInteger, decodeRawUnicodeEscape, decodeStringLiteral, type Decoded } from '../../../src/core/classic/pickle-text'
import { PYTHON } from '../../support/python'
import { NUM_RUNS } from '../../support/runs'

const text = (s: string): Uint8Array => Buffer.from(s, 'latin1')
const hex = (d: Decoded<Uint8Array>): string => ('value' in d ? Buffer.from(d.value).toString('hex') : 'error')

/** "\u00" and two characters that are mostly hex digits: the escape protocol 0 writes for NUL, CR, LF, "\\" and ^Z. */
const latin1Escape = fc.tuple(fc.constantFrom(...'09afAFg\\'.split('')), fc.constantFrom(...'09afAFg\\'.split(''))).map(([a, b]) => `\\u00${a}${b}`)

/** Lines rich in what the decoders treat specially: backslashes, u/U/x, hex and octal digits, quotes. */
const line = fc
  .array(
    fc.oneof(
      { arbitrary: fc.constantFrom(...'\\\\\\uUx0179afAF\'"nrtvab'.split('')), weight: 3 },
      { arbitrary: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), weight: 1 },
      { arbitrary: latin1Escape, weight: 1 }
    ),
    { maxLength: 24 }
  )
  .map((cs) => cs.join('').replace(/\n/g, ' '))

/** Python's answers for each line: [raw_unicode_escape as latin-1 hex, escape_decode of the quoted line as hex]. */
function python(lines: string[]): Array<[string, string]> {
  const script = [
    'import codecs, json, sys, warnings',
    'warnings.simplefilter("ignore")',
    'out = []',
    'for h in json.load(sys.stdin):',
    '    b = bytes.fromhex(h)',
    '    try:',
    '        s = codecs.raw_unicode_escape_decode(b)[0]',
    '        r = s.encode("latin-1").hex()',
    '    except (UnicodeError, ValueError):',
    '        r = "error"',
    '    try:',
    '        e = codecs.escape_decode(b)[0].hex()',
    '    except ValueError:',
    '        e = "error"',
    '    out.append([r, e])',
    'print(json.dumps(out))'
  ].join('\n')
  const r = spawnSync(PYTHON, ['-c', script], { input: JSON.stringify(lines.map((l) => Buffer.from(l, 'latin1').toString('hex'))), encoding: 'utf8' })
  expect(r.status, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as Array<[string, string]>
}

describe('protocol 0 text arguments', () => {
  it('decode raw-unicode-escape text and quoted literals exactly as CPython does', () => {
    const lines = fc.sample(line, { numRuns: Math.max(NUM_RUNS, 500), seed: 13 })
    const want = python(lines)
    lines.forEach((l, i) => {
      expect(hex(decodeRawUnicodeEscape(text(l))), `raw-unicode-escape ${JSON.stringify(l)}`).toBe(want[i]![0])
      expect(hex(decodeStringLiteral(text(`'${l}'`))), `escape_decode ${JSON.stringify(l)}`).toBe(want[i]![1])
    })
  })

  it('reads a backslash only as the start of an escape after an odd run of them', () => {
    expect(hex(decodeRawUnicodeEscape(text('\\u005c')))).toBe('5c')
    expect(hex(decodeRawUnicodeEscape(text('\\\\u0041')))).toBe('5c5c7530303431')
    expect(hex(decodeRawUnicodeEscape(text('\\\\\\u0041')))).toBe('5c5c41')
    expect(decodeRawUnicodeEscape(text('\\u20ac'))).toEqual({ problem: 'the text holds U+20AC, which is not latin-1' })
    expect(decodeRawUnicodeEscape(text('\\u00'))).toEqual({ problem: 'a \\u escape is cut short' })
  })

  it('refuses a STRING argument without matching quotes', () => {
    expect('problem' in decodeStringLiteral(text("'abc"))).toBe(true)
    expect('problem' in decodeStringLiteral(text('\'abc"'))).toBe(true)
    expect(hex(decodeStringLiteral(text('"\\x41\\101"')))).toBe('4141')
  })

  it('reads INT and LONG arguments, with protocol 0’s booleans, and refuses what is not a small decimal', () => {
    expect(decodeInteger(text('00'), false)).toEqual({ value: false })
    expect(decodeInteger(text('01'), false)).toEqual({ value: true })
    expect(decodeInteger(text('01'), true)).toEqual({ value: 1 })
    expect(decodeInteger(text('-1'), false)).toEqual({ value: -1 })
    expect(decodeInteger(text('631L'), true)).toEqual({ value: 631 })
    for (const bad of ['', '0x10', '1e3', '12345678901234567', ' 1']) expect('problem' in decodeInteger(text(bad), false), bad).toBe(true)
  })
})
