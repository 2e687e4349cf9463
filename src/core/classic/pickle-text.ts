// The text arguments of protocol 0 pickles (pickle.dumps(x, 0), seen in gists that send cv2.imencode buffers): each
// is one line ending in "\n". Integers are decimal; Python 3 str is raw-unicode-escape text (UNICODE, "V"); Python 2
// str is a quoted literal with backslash escapes (STRING, "S"). Decoded exactly as CPython's Lib/pickle.py does
// (load_int, load_long, load_unicode, load_string), for the few values an image pickle holds; anything else is
// reported as a problem, never thrown.

/** A decoded argument, or why it is not one (a sentence for the refusal). */
export type Decoded<T> = { value: T } | { problem: string }

const BACKSLASH = 0x5c

/** The value of each byte as a hex digit, -1 for bytes that are not one: one lookup in the escape loops. */
const HEX = new Int8Array(256).fill(-1)
for (let c = 0; c < 10; c++) HEX[0x30 + c] = c
for (let c = 0; c < 6; c++) HEX[0x61 + c] = HEX[0x41 + c] = 10 + c

function hexDigit(c: number): number {
  return HEX[c]!
}

/**
 * An INT ("I") or LONG ("L") argument: decimal digits with an optional sign (LONG: and a trailing "L"); INT's "00" and
 * "01" are False and True (protocol 0 has no boolean opcodes). Integers beyond ±2^53 are refused.
 */
export function decodeInteger(line: Uint8Array, long: boolean): Decoded<number | boolean> {
  let text = String.fromCharCode(...line)
  if (!long && text === '00') return { value: false }
  if (!long && text === '01') return { value: true }
  if (long && text.endsWith('L')) text = text.slice(0, -1)
  if (!/^[+-]?\d{1,16}$/.test(text)) return { problem: `"${text.slice(0, 24)}" is not an integer Framecast reads` }
  return { value: Number(text) }
}

/** True when `raw` holds a backslash: only then can decoding change it. */
export function hasBackslash(raw: Uint8Array): boolean {
  return raw.includes(BACKSLASH)
}

/**
 * Python's raw-unicode-escape decoding of a UNICODE argument, for text whose characters all fit in latin-1 (every
 * str an image pickle holds: names, and bytes carried as _codecs.encode(text, 'latin1')). Bytes stand for the
 * characters of the same number; "\uXXXX" and "\UXXXXXXXX" are escapes only after an odd run of backslashes (CPython's
 * rule). Returns the latin-1 bytes (no longer than `raw`; a new array), or a problem for a bad or non-latin-1 escape.
 */
export function decodeRawUnicodeEscape(raw: Uint8Array): Decoded<Uint8Array> {
  const out = new Uint8Array(raw.length)
  let o = 0
  let i = 0
  while (i < raw.length) {
    if (raw[i] !== BACKSLASH) {
      // Everything up to the next backslash stands for itself: copied as a block (escapes are rare in pixel data).
      const next = raw.indexOf(BACKSLASH, i)
      const plain = next < 0 ? raw.length : next
      out.set(raw.subarray(i, plain), o)
      o += plain - i
      i = plain
      continue
    }
    // The escape protocol 0 writes for every NUL, CR, LF, backslash and ^Z of the text ("\u00XX", six bytes for one:
    // the whole text of a black picture) decoded in one step: a lone backslash before "u00" and two hex digits.
    if (raw[i + 1] === 0x75 && raw[i + 2] === 0x30 && raw[i + 3] === 0x30 && i + 5 < raw.length) {
      const hi = HEX[raw[i + 4]!]!
      const lo = HEX[raw[i + 5]!]!
      if ((hi | lo) >= 0) {
        out[o++] = (hi << 4) | lo
        i += 6
        continue
      }
    }
    let j = i
    while (j < raw.length && raw[j] === BACKSLASH) j++
    const run = j - i
    const escape = run % 2 === 1 && j < raw.length && (raw[j] === 0x75 || raw[j] === 0x55)
    const literal = escape ? run - 1 : run
    out.fill(BACKSLASH, o, o + literal)
    o += literal
    i = j
    if (!escape) continue
    const digits = raw[j] === 0x75 ? 4 : 8
    i = j + 1
    if (raw.length - i < digits) return { problem: 'a \\u escape is cut short' }
    let cp = 0
    for (let k = 0; k < digits; k++) {
      const h = hexDigit(raw[i + k]!)
      if (h < 0) return { problem: 'a \\u escape holds a character that is not a hex digit' }
      cp = cp * 16 + h
    }
    if (cp > 0xff) return { problem: `the text holds U+${cp.toString(16).toUpperCase().padStart(4, '0')}, which is not latin-1` }
    out[o++] = cp
    i += digits
  }
  return { value: out.subarray(0, o) }
}

const SIMPLE_ESCAPES: Readonly<Record<number, number>> = {
  0x5c: 0x5c, // \\
  0x27: 0x27, // \'
  0x22: 0x22, // \"
  0x61: 0x07, // \a
  0x62: 0x08, // \b
  0x66: 0x0c, // \f
  0x6e: 0x0a, // \n
  0x72: 0x0d, // \r
  0x74: 0x09, // \t
  0x76: 0x0b // \v
}

/**
 * A STRING argument: a Python 2 str literal in matching single or double quotes, decoded as codecs.escape_decode does
 * (\\ \' \" \a \b \f \n \r \t \v, \ooo octal, \xhh; any other backslash stays as it is). Returns the bytes (a new
 * array, no longer than `line`), or a problem: unquoted, a bad \x escape, a trailing backslash.
 */
export function decodeStringLiteral(line: Uint8Array): Decoded<Uint8Array> {
  const q = line[0]
  if (line.length < 2 || (q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q) {
    return { problem: 'a STRING argument is not quoted' }
  }
  const raw = line.subarray(1, line.length - 1)
  const out = new Uint8Array(raw.length)
  let o = 0
  for (let i = 0; i < raw.length; ) {
    const c = raw[i++]!
    if (c !== BACKSLASH) {
      out[o++] = c
      continue
    }
    if (i >= raw.length) return { problem: 'a STRING argument ends with a backslash' }
    const e = raw[i++]!
    const simple = SIMPLE_ESCAPES[e]
    if (simple !== undefined) {
      out[o++] = simple
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30
      for (let k = 0; k < 2 && i < raw.length && raw[i]! >= 0x30 && raw[i]! <= 0x37; k++) v = v * 8 + (raw[i++]! - 0x30)
      out[o++] = v & 0xff
    } else if (e === 0x78) {
      const hi = i < raw.length ? hexDigit(raw[i]!) : -1
      const lo = i + 1 < raw.length ? hexDigit(raw[i + 1]!) : -1
      if (hi < 0 || lo < 0) return { problem: 'a STRING argument has an invalid \\x escape' }
      out[o++] = hi * 16 + lo
      i += 2
    } else {
      out[o++] = BACKSLASH
      out[o++] = e
    }
  }
  return { value: out.subarray(0, o) }
}
