// DNS-SD TXT attributes (RFC 6763 §6): the strings of a TXT record read as `key=value` pairs. A TXT record comes from
// anyone on the network, so it is read as hostile input: the whole record is size-checked before a single string is
// looked at, every string costs time in its own length only, nothing is thrown, and what RFC 6763 says to ignore
// (empty strings, a missing key, a repeated key) is ignored rather than trusted.

import { FramecastError } from '../errors'

/** An attribute's value: its bytes (`key=value`, possibly empty), or `true` for a key given alone (`key`). */
export type TxtValue = Uint8Array | true

export type TxtAttributes = ReadonlyMap<string, TxtValue>

export type TxtReading = { ok: true; attributes: TxtAttributes } | { ok: false; error: FramecastError }

const EQUALS = 0x3d

/**
 * Read a TXT record's strings (`rdata` as dns-packet decodes it: an array of byte strings) into attributes:
 *
 * - the record, each string counted with its length byte, must fit in `maxBytes` (else `MESSAGE_TOO_LARGE`), and it
 *   must be an array of byte strings of at most 255 bytes each (else `MALFORMED_MESSAGE`);
 * - a string's key is what comes before its first `=`, compared case-insensitively (keys are returned lower-cased);
 *   the rest, after the `=`, is the value, opaque bytes; a string without `=` is a key alone (`true`) (§6.4);
 * - empty strings, strings that start with `=` (no key) and keys with anything but printable ASCII are skipped (§6.4);
 * - a key that appears again is ignored: the first occurrence wins (§6.4).
 *
 * Values are views into the input (no copy). Never throws.
 */
export function parseTxt(record: unknown, maxBytes: number): TxtReading {
  if (!Array.isArray(record)) return malformed('is not a list of strings')
  // Every string costs at least its length byte: a longer list cannot fit, whatever its strings hold.
  if (record.length > maxBytes) return tooLarge(maxBytes)
  let total = 0
  for (const s of record as unknown[]) {
    if (!(s instanceof Uint8Array)) return malformed('holds something that is not a byte string')
    if (s.byteLength > 255) return malformed('holds a string longer than 255 bytes')
    total += 1 + s.byteLength
    if (total > maxBytes) return tooLarge(maxBytes)
  }
  const attributes = new Map<string, TxtValue>()
  for (const s of record as Uint8Array[]) {
    const eq = s.indexOf(EQUALS)
    const keyEnd = eq < 0 ? s.byteLength : eq
    if (keyEnd === 0) continue
    const key = asciiKey(s, keyEnd)
    if (key === null || attributes.has(key)) continue
    attributes.set(key, eq < 0 ? true : s.subarray(eq + 1))
  }
  return { ok: true, attributes }
}

/** The lower-cased key in s[0, end), or null when a byte is not printable US-ASCII (0x20–0x7E). */
function asciiKey(s: Uint8Array, end: number): string | null {
  let key = ''
  for (let i = 0; i < end; i++) {
    const b = s[i]!
    if (b < 0x20 || b > 0x7e) return null
    key += String.fromCharCode(b >= 0x41 && b <= 0x5a ? b + 0x20 : b)
  }
  return key
}

function malformed(what: string): TxtReading {
  return { ok: false, error: new FramecastError('MALFORMED_MESSAGE', `The TXT record ${what}`) }
}

function tooLarge(maxBytes: number): TxtReading {
  return { ok: false, error: new FramecastError('MESSAGE_TOO_LARGE', `The TXT record is longer than ${maxBytes} bytes`) }
}
