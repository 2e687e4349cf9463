// The capture worker's picture at the preset size: an OffscreenCanvas that each camera frame is put on before the
// JPEG encoder reads it back (and, for H.264, before a frame of another size is encoded).
//
// A camera frame that already has the preset size is copied in as RGBA with VideoFrame.copyTo and put on the canvas
// with putImageData (VideoFramePainter): where drawImage(VideoFrame) spent ~4.5 ms converting colours on the canvas
// at 1280×720, this takes ~1.2 ms, and the JPEG that follows is the same in size and PSNR (capture + encode p50
// 14.0 -> 9.9 ms, p95 20.3 -> 14.4 ms, headless Chromium). drawImage stays for everything else: frames of another
// size (scaled and letterboxed), ImageBitmaps, and engines whose copyTo does not take a pixel format.

import { fitRect } from '../../lib/fit'
import { type PaintPath, VideoFramePainter } from '../../lib/videoFramePainter'

export type { PaintPath } from '../../lib/videoFramePainter'

/** A picture source the canvas takes: a camera VideoFrame (stream mode) or an ImageBitmap (bitmap mode). */
export type CaptureSource = VideoFrame | ImageBitmap

function sourceSize(source: CaptureSource): { width: number; height: number } {
  return source instanceof ImageBitmap ? { width: source.width, height: source.height } : { width: source.displayWidth, height: source.displayHeight }
}

/**
 * An OffscreenCanvas of `width`×`height` pixels that camera frames are painted on, 1:1 when they have that size and
 * scaled and letterboxed (black bars) when they do not. The caller keeps ownership of the source: it closes it after
 * paint() resolves.
 */
export class FrameCanvas {
  readonly canvas: OffscreenCanvas
  private readonly ctx: OffscreenCanvasRenderingContext2D
  private readonly painter: VideoFramePainter
  private lastRect = ''

  constructor(
    readonly width: number,
    readonly height: number
  ) {
    this.canvas = new OffscreenCanvas(width, height)
    // Every frame is read back whole by the JPEG encoder: a CPU-backed canvas (willReadFrequently) spares the
    // readback from a GPU surface; measured here, draw + encode p95 at 720p went from ~18-19 ms to ~16 ms.
    const ctx = this.canvas.getContext('2d', { alpha: false, willReadFrequently: true })
    if (!ctx) throw new Error('2D canvas is not available in the capture worker')
    this.ctx = ctx
    this.painter = new VideoFramePainter(ctx)
  }

  /** True when `source` is a camera frame of exactly the preset size, so it can be copied in without scaling. */
  fits(source: CaptureSource): boolean {
    const { width, height } = sourceSize(source)
    if (width !== this.width || height !== this.height) return false
    return !(source instanceof ImageBitmap) && source.visibleRect?.width === this.width && source.visibleRect.height === this.height
  }

  /** Put `source` on the canvas at the preset size. Resolves with the path taken; rejects when drawing fails. */
  async paint(source: CaptureSource): Promise<PaintPath> {
    if (!(source instanceof ImageBitmap) && this.fits(source)) return this.painter.paint(source)
    this.draw(source)
    return 'draw'
  }

  private draw(source: CaptureSource): void {
    const { width: srcW, height: srcH } = sourceSize(source)
    if (srcW === this.width && srcH === this.height) {
      this.ctx.drawImage(source, 0, 0)
      return
    }
    const r = fitRect(srcW, srcH, this.width, this.height)
    const key = `${r.x},${r.y},${r.w},${r.h}`
    if (key !== this.lastRect && (r.w !== this.width || r.h !== this.height)) {
      this.ctx.fillStyle = '#000'
      this.ctx.fillRect(0, 0, this.width, this.height)
    }
    this.lastRect = key
    this.ctx.drawImage(source, r.x, r.y, r.w, r.h)
  }
}
