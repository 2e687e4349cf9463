// What `framecast broadcast` does with a ready-made frame (file, folder, standard input) and the broadcaster's
// EncoderTarget: frames go out as they are while they fit; when adaptive quality asks for less than the frames carry
// — or --quality sets a quality — they are re-encoded with sharp at the target's quality and size.

import { jpegSize } from '../core/jpeg/jpeg'
import { reencodeJpeg } from '../core/jpeg/reencode'
import type { EncoderTarget } from '../shared/status'

/** A frame ready to send: its bytes and the quality it was encoded at (1–100; 0 when not known: sent as read). */
export interface ShapedFrame {
  payload: Buffer
  quality: number
}

/**
 * The frame to send for `jpeg` under `target`. `fixedQuality` is --quality (undefined: the frames' own). Sent as read
 * when no --quality is set and the target asks for the full picture (quality 100 at scale 1, which adaptation asks
 * while the network keeps up), or when the re-encoded frame would come out no smaller. Throws MALFORMED_MESSAGE when
 * a frame that has to be re-encoded is not a decodable JPEG.
 */
export async function shapeFrame(jpeg: Buffer, target: EncoderTarget, fixedQuality: number | undefined): Promise<ShapedFrame> {
  const quality = Math.min(target.quality, fixedQuality ?? 100)
  if (fixedQuality === undefined && quality >= 100 && target.scale === 1) return { payload: jpeg, quality: 0 }
  const size = jpegSize(jpeg)
  if (size === undefined) return { payload: jpeg, quality: 0 }
  const payload = await reencodeJpeg(jpeg, size, { quality, scale: target.scale })
  // Re-encoding at a quality above the frames' own makes them larger: the original serves better then.
  if (fixedQuality === undefined && payload.length >= jpeg.length) return { payload: jpeg, quality: 0 }
  return { payload, quality }
}
