// The classic OpenCV-script format as a fan-out framing ("Classic" in docs/protocol.md), so an unmodified receiver
// script shows our camera: no handshake (a connection is a viewer as it connects), each frame an 8-byte little-endian
// length and the payload, no control messages at all (no INFO, no BYE, nothing before a refusal: a viewer beyond
// the limit is simply closed), incoming bytes read and dropped, and so no idle cut-off.
//
// Two payloads: 'classic-jpeg' sends our JPEG frames as they are (receivers that call cv2.imdecode);
// 'classic-pickle' sends a pickled uint8 (H, W, 3) BGR array (the original receivers that call pickle.loads), each
// JPEG decoded straight into the pickle's pixel bytes.

import { DEFAULT_MAX_MESSAGE_BYTES } from '../../shared/protocol'
import { encodeClassicHeader } from '../classic/framing'
import { NDARRAY_PICKLE_TAIL, ndarrayPickleHead } from '../classic/pickle'
import { FramecastError } from '../errors'
import { jpegToBgr } from '../jpeg/jpeg'
import type { Framing, ViewerTalk } from './framing'
import { READER_STALL_TIMEOUT_MS } from './stall'

/** Default size limit of a pickled frame: a 4096×2160 BGR picture with room to spare (unpacked 4K BGR is 25 MB). */
export const PICKLE_MAX_MESSAGE_BYTES = 32 * 1024 * 1024

/** A classic receiver has nothing to say: whatever it sends is read and dropped. */
const NOT_LISTENING: ViewerTalk = { receive: () => [], beforeRefusal: () => null }

const classic: Omit<Framing, 'name' | 'defaultMaxMessageBytes'> = {
  handshake: false,
  idleTimeout: false,
  acknowledges: false,
  defaultStallTimeoutMs: READER_STALL_TIMEOUT_MS,
  maxPayloadBytes: (maxMessageBytes) => maxMessageBytes,
  greeting: () => null,
  describe: () => null,
  frameHead: (_seq, _capturedAtUs, payloadLength) => encodeClassicHeader(payloadLength),
  goodbye: () => null,
  refusal: () => null,
  listen: () => NOT_LISTENING
}

/** Classic framing with our JPEG frames as the payload. */
export const classicJpegFraming: Framing = { ...classic, name: 'classic-jpeg', defaultMaxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES }

/** Classic framing with each JPEG frame decoded to a pickled BGR array (the protocol 3 pickle in docs/protocol.md). */
export const classicPickleFraming: Framing = {
  ...classic,
  name: 'classic-pickle',
  defaultMaxMessageBytes: PICKLE_MAX_MESSAGE_BYTES,
  convert: jpegToPickle
}

/**
 * Decode a JPEG into the pixels of a numpy (H, W, 3) uint8 pickle, allocated once at its final size. Rejects with
 * MALFORMED_MESSAGE for a JPEG that cannot be decoded, and with MESSAGE_TOO_LARGE, before allocating, when the pickle
 * would exceed `maxBytes`.
 */
async function jpegToPickle(jpeg: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const { buffer } = await jpegToBgr(jpeg, {
    into: (height, width) => {
      const head = ndarrayPickleHead(height, width, 3)
      const length = head.length + height * width * 3 + NDARRAY_PICKLE_TAIL.length
      if (length > maxBytes) {
        throw new FramecastError('MESSAGE_TOO_LARGE', `a ${width}×${height} picture pickles to ${length} bytes; the limit is ${maxBytes}`)
      }
      const pickle = Buffer.allocUnsafe(length)
      head.copy(pickle, 0)
      NDARRAY_PICKLE_TAIL.copy(pickle, length - NDARRAY_PICKLE_TAIL.length)
      return { buffer: pickle, offset: head.length }
    }
  })
  return buffer
}
