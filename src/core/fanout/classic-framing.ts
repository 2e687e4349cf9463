// The classic OpenCV-script format as a fan-out framing ("Classic" in docs/protocol.md), so an unmodified receiver
// script shows our camera: no handshake (a connection is a viewer as it connects), each frame a length prefix — the
// tutorial's 8-byte little-endian one, or the one the receiver unpacks ("<L", "!Q", "H", …) — and the payload, no
// control messages at all (no INFO, no BYE, nothing before a refusal: a viewer beyond the limit is simply closed),
// incoming bytes read and dropped, and so no idle cut-off. The message limit is the classic one of
// src/shared/classic.ts (32 MiB by default), and never more than the prefix can carry.
//
// Two payloads: 'classic-jpeg' sends our JPEG frames as they are (receivers that call cv2.imdecode);
// 'classic-pickle' sends a pickled uint8 (H, W, 3) BGR array (the original receivers that call pickle.loads), each
// JPEG decoded straight into the pickle's pixel bytes.

import { CLASSIC_DEFAULT_MAX_MESSAGE_BYTES, type ClassicPrefix, DEFAULT_CLASSIC_PREFIX, PREFIX_LAYOUTS } from '../../shared/classic'
import { encodeClassicHeader } from '../classic/framing'
import { NDARRAY_PICKLE_TAIL, ndarrayPickleHead } from '../classic/pickle'
import { FramecastError } from '../errors'
import { jpegToBgr } from '../jpeg/jpeg'
import type { Framing, ViewerTalk } from './framing'
import { READER_STALL_TIMEOUT_MS } from './stall'

/** A classic receiver has nothing to say: whatever it sends is read and dropped. */
const NOT_LISTENING: ViewerTalk = { receive: () => [], beforeRefusal: () => null }

/** The classic framings by payload and prefix, each made once (framings are stateless). */
const made = new Map<string, Framing>()

/**
 * The classic framing `name` ('classic-jpeg': our JPEG frames as they are; 'classic-pickle': each decoded to a pickled
 * BGR array, the protocol 3 pickle in docs/protocol.md) with each message's length written as `prefix` lays it out.
 * Throws INVALID_ARGUMENT for an unknown prefix.
 */
export function classicFraming(name: 'classic-jpeg' | 'classic-pickle', prefix: ClassicPrefix = DEFAULT_CLASSIC_PREFIX): Framing {
  const key = `${name} ${prefix}`
  let framing = made.get(key)
  if (framing === undefined) {
    if (!Object.prototype.hasOwnProperty.call(PREFIX_LAYOUTS, prefix)) throw new FramecastError('INVALID_ARGUMENT', `${String(prefix)} is not a length prefix`)
    const prefixMax = PREFIX_LAYOUTS[prefix].max
    framing = {
      name,
      handshake: false,
      idleTimeout: false,
      acknowledges: false,
      defaultStallTimeoutMs: READER_STALL_TIMEOUT_MS,
      defaultMaxMessageBytes: CLASSIC_DEFAULT_MAX_MESSAGE_BYTES,
      maxPayloadBytes: (maxMessageBytes) => Math.min(maxMessageBytes, prefixMax),
      greeting: () => null,
      describe: () => null,
      frameHead: (_seq, _capturedAtUs, payloadLength) => encodeClassicHeader(payloadLength, prefix),
      goodbye: () => null,
      refusal: () => null,
      listen: () => NOT_LISTENING,
      ...(name === 'classic-pickle' ? { convert: jpegToPickle } : {})
    }
    made.set(key, framing)
  }
  return framing
}

/** Classic framing with our JPEG frames as the payload, after the tutorial's "Q" prefix. */
export const classicJpegFraming: Framing = classicFraming('classic-jpeg')

/** Classic framing with each JPEG frame decoded to a pickled BGR array, after the tutorial's "Q" prefix. */
export const classicPickleFraming: Framing = classicFraming('classic-pickle')

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
