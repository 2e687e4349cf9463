// The first bytes of a connection, gathered across however many chunks they arrive in: enough (SNIFF_BYTES) to tell a
// Framecast broadcaster from a classic OpenCV sender, to choose an adapter ('auto') or to explain a mismatch.

import { SNIFF_BYTES, sniffStream, type StreamFormat } from '../classic/framing'
import type { FramecastError } from '../errors'

/**
 * Keeps a copy of the first SNIFF_BYTES (11) bytes pushed through it and judges them with `sniffStream` — with no
 * size limit of its own: a classic stream of frames too large for the limit in force is still a classic stream, and
 * is refused as too large by the adapter that reads it.
 */
export class FirstBytes {
  private kept: Buffer = Buffer.alloc(0)

  /** The bytes kept so far (at most SNIFF_BYTES). */
  get bytes(): Buffer {
    return this.kept
  }

  /** Keep what `chunk` adds to the first bytes. Returns false once they were already complete (nothing kept). */
  add(chunk: Uint8Array): boolean {
    const before = this.kept.length
    if (before >= SNIFF_BYTES) return false
    this.kept = Buffer.concat([this.kept, chunk.subarray(0, SNIFF_BYTES - before)])
    return true
  }

  /** `sniffStream` of the bytes kept: the format, undefined while more are needed, or why they are neither. */
  verdict(): StreamFormat | FramecastError | undefined {
    return sniffStream(this.kept)
  }
}
