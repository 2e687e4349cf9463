// Whether this window can stream H.264: WebCodecs' VideoEncoder must exist and accept the encoder configuration for
// the chosen size and frame rate (Electron's Chromium lacks an H.264 encoder on some platforms). Where it cannot,
// the stream is JPEG and the person is told so in plain words.

import { useEffect, useState } from 'react'
import { h264DefaultBitrate, h264EncoderConfig } from './h264Config'

/** Whether H.264 can be encoded here; when not, a sentence saying why and what happens instead. */
export type H264Support = { supported: true } | { supported: false; reason: string }

export const NO_WEBCODECS = 'Smaller stream (H.264) needs a video encoder this browser engine does not have; the stream is JPEG.'
export const NO_H264_ENCODER = 'This computer has no H.264 encoder for this picture size; the stream is JPEG.'

/** Ask the browser engine whether it encodes H.264 at `width`×`height`, `fps` frames per second. Never rejects. */
export async function h264Support(width: number, height: number, fps: number): Promise<H264Support> {
  if (typeof VideoEncoder !== 'function' || typeof VideoEncoder.isConfigSupported !== 'function') return { supported: false, reason: NO_WEBCODECS }
  try {
    const config = h264EncoderConfig({ width, height, fps, bitrateBps: h264DefaultBitrate(width, height, fps) })
    const { supported } = await VideoEncoder.isConfigSupported(config)
    return supported === true ? { supported: true } : { supported: false, reason: NO_H264_ENCODER }
  } catch {
    return { supported: false, reason: NO_H264_ENCODER }
  }
}

/** h264Support for the chosen size and frame rate, as React state: null while the engine is being asked. */
export function useH264Support(width: number, height: number, fps: number): H264Support | null {
  const [support, setSupport] = useState<H264Support | null>(null)
  useEffect(() => {
    let alive = true
    setSupport(null)
    void h264Support(width, height, fps).then((s) => alive && setSupport(s))
    return () => {
      alive = false
    }
  }, [width, height, fps])
  return support
}
