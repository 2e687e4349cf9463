// Frames for the LAN agents: JPEGs that carry their capture time, so a reader that gets no timestamp from its format
// (a classic script, an MJPEG client) can still tell a frame's age; and a stand-in camera encoder that makes a
// camera-like 1280×720 picture at any JPEG quality and size step, so adaptive quality has something real to steer.
// Sender and readers run on one machine (in two network namespaces), so they share the wall clock.

import sharp from 'sharp'
import { nowUs } from '../../../src/shared/protocol'

/** FF D8 (SOI), then a COM segment (FF FE, length 10) holding the capture time as a float64, little-endian µs. */
const STAMP_BYTES = 2 + 4 + 8

/** A JPEG that carries `capturedAtUs` in a comment segment right after its start marker; still a valid JPEG. */
export function stamped(jpeg: Uint8Array, capturedAtUs = nowUs()): Buffer {
  const out = Buffer.allocUnsafe(STAMP_BYTES + jpeg.length - 2)
  out[0] = 0xff
  out[1] = 0xd8
  out[2] = 0xff
  out[3] = 0xfe
  out.writeUInt16BE(10, 4)
  out.writeDoubleLE(capturedAtUs, 6)
  out.set(jpeg.subarray(2), STAMP_BYTES)
  return out
}

/** The capture time (µs) a stamped() JPEG carries, or null. */
export function stampOf(payload: Uint8Array): number | null {
  if (payload.length < STAMP_BYTES || payload[2] !== 0xff || payload[3] !== 0xfe) return null
  return Buffer.from(payload.buffer, payload.byteOffset, payload.length).readDoubleLE(6)
}

/** A JPEG-looking payload of exactly `bytes` bytes (SOI, filler, EOI): for transport tests that never decode. */
export function sizedJpeg(bytes: number): Buffer {
  const b = Buffer.alloc(bytes, 0x55)
  b[0] = 0xff
  b[1] = 0xd8
  b[bytes - 2] = 0xff
  b[bytes - 1] = 0xd9
  return b
}

export const PICTURE_WIDTH = 1280
export const PICTURE_HEIGHT = 720

/**
 * A stand-in for the capture worker's encoder: one camera-like 1280×720 picture (gradients with sensor-like noise:
 * about 100 KB at quality 70, 150 KB at 80) encoded by sharp at the quality and size step asked for. Encodings are
 * made on first use and kept; until one is ready the nearest ready one stands in, so the caller never waits.
 */
export class TestEncoder {
  private readonly raw: Buffer
  private readonly made = new Map<string, Buffer>()
  private readonly making = new Set<string>()

  constructor() {
    const w = PICTURE_WIDTH
    const h = PICTURE_HEIGHT
    this.raw = Buffer.alloc(w * h * 3)
    let seed = 1
    const noise = (): number => ((((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff) % 24) - 12
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const i = (y * w + x) * 3
        const n = noise()
        this.raw[i] = clamp((x * 255) / w + n)
        this.raw[i + 1] = clamp((y * 255) / h + n)
        this.raw[i + 2] = clamp(((x + y) % 256) + n)
      }
    }
  }

  /** Make the encoding for (quality, scale) now; resolves when it is ready. */
  async prepare(quality: number, scale: number): Promise<Buffer> {
    const key = keyOf(quality, scale)
    const ready = this.made.get(key)
    if (ready) return ready
    this.making.add(key)
    let image = sharp(this.raw, { raw: { width: PICTURE_WIDTH, height: PICTURE_HEIGHT, channels: 3 } })
    if (scale !== 1) image = image.resize(Math.round(PICTURE_WIDTH * scale), Math.round(PICTURE_HEIGHT * scale))
    const jpeg = await image.jpeg({ quality: Math.round(quality) }).toBuffer()
    this.made.set(key, jpeg)
    this.making.delete(key)
    return jpeg
  }

  /** The picture at (quality, scale) if made, else the nearest made one (and that one is started). */
  frame(quality: number, scale: number): { jpeg: Buffer; quality: number; scale: number } {
    const q = Math.round(quality)
    const key = keyOf(q, scale)
    const ready = this.made.get(key)
    if (ready) return { jpeg: ready, quality: q, scale }
    if (!this.making.has(key)) void this.prepare(q, scale)
    let best: { jpeg: Buffer; quality: number; scale: number } | null = null
    for (const [k, jpeg] of this.made) {
      const [kq, ks] = k.split('@').map(Number) as [number, number]
      if (ks !== scale && best !== null) continue
      if (best === null || (ks === scale && (best.scale !== scale || Math.abs(kq - q) < Math.abs(best.quality - q)))) best = { jpeg, quality: kq, scale: ks }
    }
    if (best === null) throw new Error('prepare() at least one encoding first')
    return best
  }
}

function keyOf(quality: number, scale: number): string {
  return `${Math.round(quality)}@${scale}`
}

function clamp(v: number): number {
  return Math.max(0, Math.min(255, v | 0))
}
