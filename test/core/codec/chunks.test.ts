import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { ChunkQueue } from '../../../src/core/codec/chunks'
import { chunkings } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

describe('ChunkQueue', () => {
  it('gives back exactly the bytes pushed, in order, under any chunking and any sizes taken or discarded', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        chunkings(20),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 80 }), fc.boolean()), { maxLength: 40 }),
        (bytes, chunking, ops) => {
          const q = new ChunkQueue()
          for (const c of chunking(bytes)) q.push(c)
          expect(q.length).toBe(bytes.length)
          let at = 0
          for (const [n0, drop] of ops) {
            const n = Math.min(n0, q.length)
            if (drop) q.discard(n)
            else expect([...q.take(n)]).toEqual([...bytes.subarray(at, at + n)])
            at += n
            expect(q.length).toBe(bytes.length - at)
          }
          expect([...q.take(q.length)]).toEqual([...bytes.subarray(at)])
        }
      ),
      { numRuns: NUM_RUNS }
    )
  })

  it('returns a view, not a copy, when the bytes sit in one chunk', () => {
    const chunk = new Uint8Array([1, 2, 3, 4, 5, 6])
    const q = new ChunkQueue()
    q.push(chunk)
    const got = q.take(4)
    expect(got.buffer).toBe(chunk.buffer)
    expect([...got]).toEqual([1, 2, 3, 4])
  })

  it('joins consecutive views of one buffer without copying and copies chunks from different buffers once', () => {
    const region = new Uint8Array(16).map((_, i) => i)
    const q = new ChunkQueue()
    q.push(region.subarray(0, 5))
    q.push(region.subarray(5, 12))
    const joined = q.take(10)
    expect(joined.buffer).toBe(region.buffer)
    expect([...joined]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])

    q.clear()
    const a = new Uint8Array([1, 2, 3])
    const b = new Uint8Array([4, 5, 6])
    q.push(a)
    q.push(b)
    const copied = q.take(5)
    expect(copied.buffer).not.toBe(a.buffer)
    expect(copied.buffer).not.toBe(b.buffer)
    expect([...copied]).toEqual([1, 2, 3, 4, 5])
  })

  it('stays linear over a long run of one-byte chunks', () => {
    const q = new ChunkQueue()
    const n = 200_000
    for (let i = 0; i < n; i++) q.push(new Uint8Array([i & 0xff]))
    const all = q.take(n)
    expect(all.length).toBe(n)
    expect(all[n - 1]).toBe((n - 1) & 0xff)
    expect(q.length).toBe(0)
  })
})
