// The chunk splitters the parser tests rely on: if they lost or reordered bytes, every "under any split" property
// would prove nothing.

import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { chunkings, chunksOf, oneByteAtATime, splitAt } from './chunks'
import { NUM_RUNS } from './runs'

const joined = (chunks: Uint8Array[]): number[] => chunks.flatMap((c) => [...c])

describe('test chunk splitters', () => {
  it('give back every byte, in order, however they cut', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), chunkings(), (bytes, chunking) => {
        expect(joined(chunking(bytes))).toEqual([...bytes])
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('cut at the points given, modulo the length, with views or copies as asked', () => {
    const bytes = Uint8Array.of(0, 1, 2, 3, 4, 5)
    const views = splitAt(bytes, [4, 2, 10, 2])
    expect(views.map((c) => [...c])).toEqual([[0, 1], [2], [3], [4, 5]])
    expect(views.every((c) => c.buffer === bytes.buffer)).toBe(true)
    const copies = splitAt(bytes, [0, 6], { copy: true })
    expect(copies.map((c) => [...c])).toEqual([[], [0, 1, 2, 3, 4, 5], []])
    expect(copies.some((c) => c.buffer === bytes.buffer)).toBe(false)
    expect(Buffer.isBuffer(splitAt(Buffer.from('abc'), [1])[0])).toBe(true)
  })

  it('cut in fixed sizes and one byte at a time', () => {
    expect(chunksOf(Uint8Array.of(1, 2, 3, 4, 5), 2).map((c) => [...c])).toEqual([[1, 2], [3, 4], [5]])
    expect(() => chunksOf(Uint8Array.of(1), 0)).toThrow(RangeError)
    expect(oneByteAtATime(Uint8Array.of(7, 8)).map((c) => [...c])).toEqual([[7], [8]])
  })
})
