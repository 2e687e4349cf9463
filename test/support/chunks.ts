// Chunk splitters for parser properties: any byte stream cut into the chunks TCP might deliver it in.

import fc from 'fast-check'

/** Cut points as fractions of the stream length, so they fit any stream. */
export const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 40 })

/** `bytes` cut at the given fractions of its length (empty chunks included, as a socket may deliver them). */
export function split(bytes: Uint8Array, fractions: number[]): Uint8Array[] {
  return splitAt(bytes, fractions.map((f) => Math.floor(f * bytes.length)))
}

/** `bytes` cut at the given offsets (0 … bytes.length, any order, repeats ignored); the chunks are views. */
export function splitAt(bytes: Uint8Array, offsets: number[]): Uint8Array[] {
  const points = [...new Set(offsets)].sort((a, b) => a - b)
  const chunks: Uint8Array[] = []
  let from = 0
  for (const p of [...points, bytes.length]) {
    chunks.push(bytes.subarray(from, p))
    from = p
  }
  return chunks
}
