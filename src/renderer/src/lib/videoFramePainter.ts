// Putting a VideoFrame on a 2D canvas the cheapest way measured: VideoFrame.copyTo into an RGBA buffer, then
// putImageData. At 1280×720 in headless Chromium (software), copyTo(RGBA) took ~1.0 ms and putImageData ~0.2 ms;
// drawImage(VideoFrame) took 4.5 ms on an OffscreenCanvas and 22–33 ms (p50) on a page canvas, and
// createImageBitmap(VideoFrame) for a 'bitmaprenderer' canvas 37–64 ms, or 24–40 ms through copyTo and
// createImageBitmap(ImageData). drawImage stays as the fallback for engines whose copyTo takes no pixel format.

/** How a frame reached the canvas: 'copy' (copyTo + putImageData) or 'draw' (drawImage). */
export type PaintPath = 'copy' | 'draw'

type Context2D = CanvasRenderingContext2D | OffscreenCanvasRenderingContext2D

/**
 * Paints VideoFrames 1:1 at the top left of a 2D context, at the frame's visible size. The caller keeps the frame
 * and closes it once paint() has resolved.
 */
export class VideoFramePainter {
  private rgba: ImageData | null = null
  /** false once copyTo with a pixel format has failed: this engine cannot, and drawImage does it from then on. */
  private copyWorks = true

  constructor(private readonly ctx: Context2D) {}

  /** Paint `frame`; resolves with the path taken, rejects when painting fails. */
  async paint(frame: VideoFrame): Promise<PaintPath> {
    const width = frame.visibleRect?.width ?? frame.displayWidth
    const height = frame.visibleRect?.height ?? frame.displayHeight
    if (this.copyWorks && width === frame.displayWidth && height === frame.displayHeight) {
      if (this.rgba?.width !== width || this.rgba.height !== height) this.rgba = new ImageData(width, height)
      try {
        await frame.copyTo(this.rgba.data, { format: 'RGBA', colorSpace: 'srgb' })
        this.ctx.putImageData(this.rgba, 0, 0)
        return 'copy'
      } catch (e) {
        // Older engines refuse a format (TypeError / NotSupportedError); anything else is a real failure.
        if (!(e instanceof TypeError) && !(e instanceof DOMException && e.name === 'NotSupportedError')) throw e
        this.copyWorks = false
        this.rgba = null
      }
    }
    this.ctx.drawImage(frame, 0, 0)
    return 'draw'
  }
}
