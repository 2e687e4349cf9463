// Re-encoding a JPEG smaller for adaptive quality when the frames come ready-made (files, folders, standard input):
// the CLI has no encoder of its own to steer, so frames the network cannot carry as they are go through sharp.

import sharp from 'sharp'
import type { EncoderTarget } from '../../shared/status'
import { FramecastError } from '../errors'

/**
 * `jpeg` decoded and encoded again at `target.quality` (1–100) and `target.scale` × its `width` × `height` (sides
 * rounded to even numbers, at least 2). Throws MALFORMED_MESSAGE when `jpeg` cannot be decoded.
 *
 * ```ts
 * const smaller = await reencodeJpeg(frame, { width: 1280, height: 720 }, { quality: 45, scale: 0.75 })  // 960×540
 * ```
 */
export async function reencodeJpeg(
  jpeg: Uint8Array,
  size: { width: number; height: number },
  target: Pick<EncoderTarget, 'quality' | 'scale'>
): Promise<Buffer> {
  const even = (n: number): number => Math.max(2, 2 * Math.round((n * target.scale) / 2))
  try {
    let image = sharp(jpeg, { sequentialRead: true })
    if (target.scale !== 1) image = image.resize(even(size.width), even(size.height), { fit: 'fill' })
    return await image.jpeg({ quality: Math.max(1, Math.min(100, Math.round(target.quality))), mozjpeg: false, chromaSubsampling: '4:2:0' }).toBuffer()
  } catch (e) {
    throw new FramecastError('MALFORMED_MESSAGE', `A frame is not a JPEG that can be re-encoded: ${e instanceof Error ? e.message : String(e)}`, { cause: e })
  }
}
