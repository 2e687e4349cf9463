// Text cut to a byte budget of UTF-8 at a character boundary: the wire caps names and messages in bytes
// (docs/protocol.md: "Senders cut text at a character boundary so it fits its cap"). Pure TypeScript (TextEncoder):
// the codec and the windows both use it.

const encoder = new TextEncoder()

/**
 * The UTF-8 bytes of the longest prefix of `text` that fits in `maxBytes`: never more than `maxBytes` bytes, never
 * part of a character (a code point; a combining mark may be parted from its letter). An unpaired surrogate is
 * written as U+FFFD, as TextEncoder writes it. Throws RangeError when `maxBytes` is not a whole number ≥ 0.
 */
export function utf8Prefix(text: string, maxBytes: number): Uint8Array {
  return encodePrefix(text, maxBytes).bytes
}

/** The same cut as utf8Prefix, as text: the longest prefix of `text` whose UTF-8 fits in `maxBytes` bytes. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const { read } = encodePrefix(text, maxBytes)
  return read === text.length ? text : text.slice(0, read)
}

// TextEncoder.encodeInto writes whole code points only and stops at the first that does not fit: the longest
// prefix, in one pass over at most `maxBytes` bytes, without encoding the rest of a long text.
function encodePrefix(text: string, maxBytes: number): { bytes: Uint8Array; read: number } {
  if (!Number.isInteger(maxBytes) || maxBytes < 0) throw new RangeError(`maxBytes must be a whole number ≥ 0, not ${maxBytes}`)
  const out = new Uint8Array(Math.min(maxBytes, text.length * 3))
  const { read, written } = encoder.encodeInto(text, out)
  return { bytes: out.subarray(0, written), read }
}
