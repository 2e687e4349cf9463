// Byte streams cut into chunks, for the decoder and parser tests: each parser here must give the same result however
// TCP happens to cut what it reads, so the tests hand it the same bytes cut in many ways — at generated points, one
// byte at a time, in fixed sizes, or whole.

import fc from 'fast-check'

/** Cut points for splitAt: up to `maxCuts` numbers, each taken modulo (length + 1) of whatever is split. */
export function cutPoints(maxCuts = 40): fc.Arbitrary<number[]> {
  return fc.array(fc.nat(), { maxLength: maxCuts })
}

/**
 * `bytes` cut at `points` (each taken modulo `bytes.length + 1`; repeats count once): chunks that join back to
 * `bytes`, in order, with an empty chunk where a cut falls on either end. The chunks are views into `bytes`, or copies
 * with `copy` (each in its own buffer, for code that treats views of one buffer specially).
 */
export function splitAt<T extends Uint8Array>(bytes: T, points: readonly number[], options: { copy?: boolean } = {}): T[] {
  const cuts = [...new Set(points.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b)
  const chunks: T[] = []
  let from = 0
  for (const to of [...cuts, bytes.length]) {
    chunks.push((options.copy ? Uint8Array.prototype.slice.call(bytes, from, to) : bytes.subarray(from, to)) as T)
    from = to
  }
  return chunks
}

/** `bytes` cut into chunks of `size` bytes (the last may be shorter), as views. Throws RangeError when size < 1. */
export function chunksOf<T extends Uint8Array>(bytes: T, size: number): T[] {
  if (!(size >= 1)) throw new RangeError(`chunk size must be at least 1, not ${size}`)
  const chunks: T[] = []
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size) as T)
  return chunks
}

/** `bytes` one byte per chunk (each its own buffer). */
export function oneByteAtATime(bytes: Uint8Array): Uint8Array[] {
  return Array.from(bytes, (b) => Uint8Array.of(b))
}

/** A way of delivering a stream: returns the chunks `bytes` arrive in. Prints as what it does in a counterexample. */
export type Chunking = (bytes: Uint8Array) => Uint8Array[]

function named(description: string, chunking: Chunking): Chunking {
  return Object.assign(chunking, { [fc.toStringMethod]: () => description })
}

/**
 * Any chunking of a stream: cuts at up to `maxCuts` generated points (views or copies), one byte at a time, or the
 * whole stream in one chunk. Generated cuts come first and most often; fast-check shrinks towards fewer cuts.
 */
export function chunkings(maxCuts = 40): fc.Arbitrary<Chunking> {
  const cuts = fc
    .record({ points: cutPoints(maxCuts), copy: fc.boolean() })
    .map(({ points, copy }) => named(`splitAt(${JSON.stringify(points)}${copy ? ', copies' : ''})`, (b) => splitAt(b, points, { copy })))
  return fc.oneof(
    { arbitrary: cuts, weight: 6 },
    { arbitrary: fc.constant(named('oneByteAtATime', oneByteAtATime)), weight: 1 },
    { arbitrary: fc.constant(named('whole', (b) => [b])), weight: 1 }
  )
}
