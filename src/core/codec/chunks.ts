// The byte queue under both stream decoders (native codec and classic framing): received chunks are kept as they
// came, and exactly the bytes a message needs are taken from the front — a view when they sit in one chunk (or in
// consecutive views of one ArrayBuffer), one copy when they span chunks. Nothing is ever concatenated wholesale, so
// decoding is linear in the bytes received whatever the chunking.

/**
 * Received chunks, front first, read by exact byte counts: `push` what arrives, `take(n)` or `discard(n)` from the
 * front (n ≤ length, which the decoders check first), `length` bytes held. Taken bytes are a view when possible and
 * must be copied by the caller if kept beyond the next push.
 */
export class ChunkQueue {
  private chunks: Uint8Array[] = []
  private head = 0
  private total = 0

  /** Bytes held. */
  get length(): number {
    return this.total
  }

  /** Append a received chunk as it is (not copied; an empty chunk is ignored). */
  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return
    this.chunks.push(chunk)
    this.total += chunk.length
  }

  /** Forget every byte held. */
  clear(): void {
    this.chunks = []
    this.head = 0
    this.total = 0
  }

  /** Take exactly n bytes (n ≤ length) from the front. */
  take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0)
    this.total -= n
    const first = this.chunks[this.head]!
    if (first.length >= n) {
      if (first.length === n) this.advance()
      else this.chunks[this.head] = first.subarray(n)
      return first.subarray(0, n)
    }
    // Chunks that are consecutive views of one ArrayBuffer (a receiver reading into one region) join without a copy.
    const adjacent = this.adjacent(n)
    const out = adjacent ? Buffer.from(first.buffer, first.byteOffset, n) : Buffer.allocUnsafe(n)
    let off = 0
    while (off < n) {
      const c = this.chunks[this.head]!
      const take = Math.min(c.length, n - off)
      if (!adjacent) out.set(take === c.length ? c : c.subarray(0, take), off)
      off += take
      if (take === c.length) this.advance()
      else this.chunks[this.head] = c.subarray(take)
    }
    return out
  }

  /** Drop n bytes (n ≤ length) from the front without copying them. */
  discard(n: number): void {
    this.total -= n
    while (n > 0) {
      const c = this.chunks[this.head]!
      if (c.length <= n) {
        n -= c.length
        this.advance()
      } else {
        this.chunks[this.head] = c.subarray(n)
        n = 0
      }
    }
  }

  /** Whether the next n bytes lie back to back in the first chunk's ArrayBuffer. */
  private adjacent(n: number): boolean {
    const first = this.chunks[this.head]!
    let end = first.byteOffset + first.length
    let have = first.length
    for (let i = this.head + 1; have < n; i++) {
      const c = this.chunks[i]!
      if (c.buffer !== first.buffer || c.byteOffset !== end) return false
      end += c.length
      have += c.length
    }
    return true
  }

  /** Move past the front chunk; the array is compacted now and then so a long run of tiny chunks stays linear. */
  private advance(): void {
    this.head++
    if (this.head === this.chunks.length) {
      this.chunks = []
      this.head = 0
    } else if (this.head >= 1024 && this.head * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.head)
      this.head = 0
    }
  }
}
