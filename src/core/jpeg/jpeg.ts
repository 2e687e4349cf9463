// JPEG <-> raw BGR pixels for the classic OpenCV interop, on sharp (libvips with libjpeg-turbo/mozjpeg, off the main
// thread). OpenCV images are BGR; sharp speaks RGB, so the channel order is swapped here while the bytes are copied
// anyway.

import sharp, { type OutputInfo } from 'sharp'
import type { ImageChannels, NdarrayImage } from '../classic/pickle'
import { FramecastError } from '../errors'

export const DEFAULT_JPEG_QUALITY = 80

/** A decoded frame: height × width × channels bytes, BGR (or grey, or BGRA) in C order. */
export type RawImage = Pick<NdarrayImage, 'height' | 'width' | 'channels' | 'data'>

export interface DecodeOptions {
  /** Refuse pictures with more pixels than this (checked from the JPEG header before decoding). */
  maxPixels?: number
  /**
   * Where to put the pixels: called with the decoded size, returns a buffer and the offset at which to write
   * height × width × 3 bytes. Lets a caller decode straight into a larger message (the pixels of a pickle).
   */
  into?: (height: number, width: number) => { buffer: Uint8Array; offset: number }
}

const DEFAULT_MAX_PIXELS = 7680 * 4320

function badJpeg(e: unknown): FramecastError {
  return new FramecastError('MALFORMED_MESSAGE', `A frame is not a JPEG that can be decoded: ${e instanceof Error ? e.message : String(e)}`, {
    cause: e
  })
}

/** Decode a JPEG into 3-channel BGR pixels. */
export async function jpegToBgr(jpeg: Uint8Array, options: DecodeOptions = {}): Promise<RawImage & { buffer: Uint8Array; offset: number }> {
  let rgb: { data: Buffer; info: OutputInfo }
  try {
    rgb = await sharp(jpeg, { limitInputPixels: options.maxPixels ?? DEFAULT_MAX_PIXELS, sequentialRead: true })
      .toColourspace('srgb')
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true })
  } catch (e) {
    throw badJpeg(e)
  }
  const { width, height, channels } = rgb.info
  if (channels !== 3) throw badJpeg(new Error(`decoded to ${channels} channels`))
  const target = options.into?.(height, width) ?? { buffer: Buffer.allocUnsafe(height * width * 3), offset: 0 }
  swapRB3(rgb.data, target.buffer, target.offset, height * width)
  return { height, width, channels: 3, data: target.buffer.subarray(target.offset, target.offset + height * width * 3), ...target }
}

/** Encode raw pixels (BGR, grey or BGRA as cv2 holds them) to JPEG. */
export async function bgrToJpeg(image: RawImage, quality = DEFAULT_JPEG_QUALITY): Promise<Buffer> {
  const { height, width, channels, data } = image
  if (data.length !== height * width * channels) {
    throw new FramecastError('INVALID_ARGUMENT', `${height}×${width}×${channels} needs ${height * width * channels} bytes, got ${data.length}`)
  }
  let pixels: Uint8Array = data
  if (channels >= 3) {
    pixels = Buffer.allocUnsafe(data.length)
    if (channels === 3) swapRB3(data, pixels, 0, height * width)
    else swapRB4(data, pixels, height * width)
  }
  try {
    const s = sharp(pixels, { raw: { width, height, channels: channels as ImageChannels } })
    // No Huffman optimisation (sharp's default): its second pass dominated — a 3840×2160 test picture at quality 80
    // took a median 187 ms with it and 31 ms without, for a JPEG 20% larger (318 KB, not 264) that only goes to a
    // window on this machine.
    return await (channels === 4 ? s.removeAlpha() : s).jpeg({ quality, mozjpeg: false, chromaSubsampling: '4:2:0', optimiseCoding: false }).toBuffer()
  } catch (e) {
    throw new FramecastError('INTERNAL', `JPEG encoding failed: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}

/** Copy `pixels` 3-byte pixels from src to dst at offset, swapping bytes 0 and 2 (RGB <-> BGR). */
export function swapRB3(src: Uint8Array, dst: Uint8Array, offset: number, pixels: number): void {
  // A block copy then an in-place swap runs about three times faster under V8 than a byte-by-byte copy-and-swap.
  const end = offset + pixels * 3
  if (src !== dst || offset !== 0) dst.set(src.subarray(0, pixels * 3), offset)
  for (let i = offset; i < end; i += 3) {
    const r = dst[i]!
    dst[i] = dst[i + 2]!
    dst[i + 2] = r
  }
}

function swapRB4(src: Uint8Array, dst: Uint8Array, pixels: number): void {
  for (let i = 0; i < pixels * 4; i += 4) {
    dst[i] = src[i + 2]!
    dst[i + 1] = src[i + 1]!
    dst[i + 2] = src[i]!
    dst[i + 3] = src[i + 3]!
  }
}

/**
 * Width and height from a JPEG's start-of-frame segment (SOF0–SOF15 except DHT/JPG/DAC), walking the marker
 * segments from the start; undefined when the bytes are not a JPEG or end before the frame header.
 */
export function jpegSize(jpeg: Uint8Array): { width: number; height: number } | undefined {
  if (jpeg.length < 4 || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return undefined
  let p = 2
  while (p + 4 <= jpeg.length) {
    if (jpeg[p] !== 0xff) return undefined
    const m = jpeg[p + 1]!
    if (m === 0xff) {
      p++
      continue
    }
    if (m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2
      continue
    }
    if (m === 0xd9 || m === 0xda) return undefined
    const length = (jpeg[p + 2]! << 8) | jpeg[p + 3]!
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
      if (p + 9 > jpeg.length) return undefined
      const height = (jpeg[p + 5]! << 8) | jpeg[p + 6]!
      const width = (jpeg[p + 7]! << 8) | jpeg[p + 8]!
      return width > 0 && height > 0 ? { width, height } : undefined
    }
    if (length < 2) return undefined
    p += 2 + length
  }
  return undefined
}
