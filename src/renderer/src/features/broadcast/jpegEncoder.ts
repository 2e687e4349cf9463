// The capture worker's JPEG encoder: the camera frame put on a FrameCanvas at the preset size, then the canvas
// encoded with convertToBlob at the set quality (Chromium's libjpeg-turbo; WASM encoders, mozjpeg and libjpeg-turbo
// builds alike, even fed I420 directly, were all slower than this here).

import { type CaptureSource, FrameCanvas, type PaintPath } from './frameCanvas'

/** One encoded picture. */
export interface JpegPicture {
  jpeg: ArrayBuffer
  /** How the frame reached the canvas. */
  path: PaintPath
}

/**
 * JPEG at `quality` (0..1) of each frame at `width`×`height` pixels, or at a share of that size (setTarget's scale:
 * adaptive quality's size step).
 */
export class JpegEncoder {
  private canvas: FrameCanvas
  private scale = 1

  constructor(
    private readonly width: number,
    private readonly height: number,
    private quality: number
  ) {
    this.canvas = new FrameCanvas(width, height)
  }

  /** Encode from the next frame on at `quality` (0..1). */
  setQuality(quality: number): void {
    this.quality = quality
  }

  /**
   * Encode from the next frame on at `quality` (0..1) and `scale` times the preset width and height (1, 0.75, 0.5 …;
   * even sides, at least 2 pixels).
   */
  setTarget(quality: number, scale: number): void {
    this.quality = quality
    if (scale === this.scale) return
    this.scale = scale
    const side = (n: number): number => Math.max(2, 2 * Math.round((n * scale) / 2))
    this.canvas = new FrameCanvas(side(this.width), side(this.height))
  }

  /** JPEG quality in percent (1–100), as FRAME's quality byte carries it. */
  get qualityPercent(): number {
    return Math.max(1, Math.min(100, Math.round(this.quality * 100)))
  }

  /**
   * Encode `source`, which this takes over: it is closed as soon as it is on the canvas, before the JPEG is made, so
   * the camera has its buffer back early. Rejects when the frame cannot be drawn or encoded.
   */
  async encode(source: CaptureSource): Promise<JpegPicture> {
    let path: PaintPath
    try {
      path = await this.canvas.paint(source)
    } finally {
      source.close()
    }
    const blob = await this.canvas.canvas.convertToBlob({ type: 'image/jpeg', quality: this.quality })
    return { jpeg: await blob.arrayBuffer(), path }
  }
}
