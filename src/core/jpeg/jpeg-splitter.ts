// Splits an MJPEG byte stream (JPEG images back to back, as `ffmpeg -f mjpeg -` or a camera writes them) into single
// JPEGs. It walks the JPEG marker segments instead of searching for FF D9, so an EXIF thumbnail (a whole JPEG inside
// APP1) or FF D9 bytes inside a segment never end a frame early. Garbage between images is skipped; an image larger
// than the limit is dropped and the splitter resynchronises on the next start-of-image marker.

export interface JpegSplitterOptions {
  /** Largest image kept (bytes). Default 8 MiB. */
  maxBytes?: number
}

const enum State {
  /** Looking for FF D8 (start of image). */
  Seek,
  /** At a marker: FF xx [length]. */
  Marker,
  /** Inside entropy-coded data after SOS: looking for a marker that is not FF 00 / RSTn. */
  Entropy
}

/**
 * An MJPEG byte stream in, whole JPEGs out: `push` chunks of any size and get back the images they complete, each a
 * copy. Holds at most one unfinished image (up to `maxBytes`, default 8 MiB); counts the bytes it skipped between
 * images and the images it dropped as too large or corrupt. Never throws on bad input.
 */
export class JpegSplitter {
  readonly maxBytes: number
  private buf: Buffer = Buffer.alloc(0)
  /** Bytes of buf in use. */
  private len = 0
  /** Where the next scan starts. */
  private pos = 0
  private state = State.Seek
  /** Bytes skipped that were not part of any image, and images dropped as too large or corrupt. */
  skippedBytes = 0
  droppedImages = 0

  constructor(options: JpegSplitterOptions = {}) {
    this.maxBytes = options.maxBytes ?? 8 * 1024 * 1024
  }

  /** Feed bytes; returns the complete JPEGs they finish (each its own copy). */
  push(chunk: Uint8Array): Buffer[] {
    const out: Buffer[] = []
    this.append(chunk)
    for (;;) {
      const done = this.step()
      if (done === 'more') break
      if (done !== 'continue') out.push(done)
    }
    return out
  }

  /** Bytes held for an unfinished image. */
  get pendingBytes(): number {
    return this.len
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(this.len + chunk.length, this.buf.length * 2, 64 * 1024))
      this.buf.copy(next, 0, 0, this.len)
      this.buf = next
    }
    this.buf.set(chunk, this.len)
    this.len += chunk.length
  }

  private step(): Buffer | 'continue' | 'more' {
    const b = this.buf
    if (this.state === State.Seek) {
      for (let i = 0; i + 2 < this.len; i++) {
        if (b[i] === 0xff && b[i + 1] === 0xd8 && b[i + 2] === 0xff) {
          this.skippedBytes += i
          b.copy(b, 0, i, this.len)
          this.len -= i
          this.pos = 2
          this.state = State.Marker
          return 'continue'
        }
      }
      // Keep the last two bytes: FF D8 may be split across chunks.
      const keep = Math.min(2, this.len)
      this.skippedBytes += this.len - keep
      b.copy(b, 0, this.len - keep, this.len)
      this.len = keep
      return 'more'
    }
    if (this.pos > this.maxBytes) return this.resync(true)
    if (this.state === State.Entropy) {
      for (let i = this.pos; i + 1 < this.len; i++) {
        if (b[i] !== 0xff) continue
        const m = b[i + 1]!
        if (m === 0x00 || m === 0xff || (m >= 0xd0 && m <= 0xd7)) continue
        this.pos = i
        this.state = State.Marker
        return 'continue'
      }
      this.pos = Math.max(this.pos, this.len - 1)
      return 'more'
    }
    // State.Marker
    let p = this.pos
    while (p < this.len && b[p] === 0xff && p + 1 < this.len && b[p + 1] === 0xff) p++ // fill bytes
    if (p + 2 > this.len) return 'more'
    if (b[p] !== 0xff) return this.resync(true)
    const m = b[p + 1]!
    if (m === 0xd9) {
      const end = p + 2
      const image = Buffer.from(b.subarray(0, end))
      b.copy(b, 0, end, this.len)
      this.len -= end
      this.pos = 0
      this.state = State.Seek
      return image
    }
    if (m === 0xd8 || m === 0x00) return this.resync(true)
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      this.pos = p + 2
      return 'continue'
    }
    if (p + 4 > this.len) return 'more'
    const length = (b[p + 2]! << 8) | b[p + 3]!
    if (length < 2) return this.resync(true)
    if (p + 2 + length > this.maxBytes + 2) return this.resync(true)
    if (p + 2 + length > this.len) {
      this.pos = p
      return 'more'
    }
    this.pos = p + 2 + length
    if (m === 0xda) this.state = State.Entropy
    return 'continue'
  }

  /** Give up on the current image and look for the next start-of-image after its first byte. */
  private resync(dropped: boolean): 'continue' {
    if (dropped) this.droppedImages++
    this.skippedBytes += 1
    this.buf.copy(this.buf, 0, 1, this.len)
    this.len -= 1
    this.pos = 0
    this.state = State.Seek
    return 'continue'
  }
}
