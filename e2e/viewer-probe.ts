/// <reference lib="dom" />
// Recording the Watch window's paints from inside the page, for the end-to-end specs and the end-to-end benchmark:
// each time the viewer canvas is painted (its data-painted-at-us changes), the fake camera's frame counter is read
// back from the pixels just drawn, next to the viewer's own stamps. The two exported functions run inside the page
// (page.evaluate), so they are self-contained: no imports, no closures over Node values.

/** Where a counter cell's centre is, as a fraction of the picture's width and height (tools/make-y4m cellCentre). */
export interface CellCentre {
  fx: number
  fy: number
}

/** One paint of the viewer canvas. */
export interface ViewerPaint {
  /** data-seq: the frame's sequence number */
  seq: number
  /** the mean luma of a 3×3 patch around each counter cell's centre; null when the canvas holds no picture */
  lumas: number[] | null
  /** when the paint was seen (epoch ms: performance.timeOrigin + now, one clock for every page of the browser) */
  atMs: number
  /** data-captured-at-us and data-painted-at-us: the app's capture and paint stamps (µs since the epoch) */
  capturedAtUs: number
  paintedAtUs: number
}

/** Start recording the viewer canvas's paints under `name` (again under the same name: starts afresh). */
export function recordViewerPaints(o: { name: string; centres: CellCentre[] }): void {
  const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')
  if (!canvas) throw new Error('no viewer canvas')
  // The viewer canvas is a 'bitmaprenderer' canvas (no getImageData): each 3×3 patch around a cell centre is copied
  // onto a small scratch canvas and read there.
  const scratch = document.createElement('canvas')
  scratch.width = 3 * o.centres.length
  scratch.height = 3
  const ctx = scratch.getContext('2d', { willReadFrequently: true })
  if (!ctx) throw new Error('no 2d context for reading the viewer canvas')
  const lumas = (): number[] | null => {
    const rect = (canvas.dataset.drawRect ?? '').split(',').map(Number)
    if (rect.length !== 4 || rect.some((n) => !Number.isFinite(n))) return null
    const [x, y, w, h] = rect as [number, number, number, number]
    o.centres.forEach(({ fx, fy }, i) => ctx.drawImage(canvas, Math.round(x + fx * w) - 1, Math.round(y + fy * h) - 1, 3, 3, 3 * i, 0, 3, 3))
    const d = ctx.getImageData(0, 0, scratch.width, 3).data
    return o.centres.map((_, i) => {
      let sum = 0
      for (let row = 0; row < 3; row++) {
        for (let col = 3 * i; col < 3 * i + 3; col++) {
          const k = (row * scratch.width + col) * 4
          sum += 0.299 * d[k]! + 0.587 * d[k + 1]! + 0.114 * d[k + 2]!
        }
      }
      return sum / 9
    })
  }
  const g = window as unknown as { __fcViewerPaints?: Record<string, { paints: ViewerPaint[]; observer: MutationObserver }> }
  const recordings = (g.__fcViewerPaints ??= {})
  recordings[o.name]?.observer.disconnect()
  const paints: ViewerPaint[] = []
  const observer = new MutationObserver(() => {
    paints.push({
      seq: Number(canvas.dataset.seq),
      lumas: lumas(),
      atMs: performance.timeOrigin + performance.now(),
      capturedAtUs: Number(canvas.dataset.capturedAtUs),
      paintedAtUs: Number(canvas.dataset.paintedAtUs)
    })
  })
  observer.observe(canvas, { attributes: true, attributeFilter: ['data-painted-at-us'] })
  recordings[o.name] = { paints, observer }
}

/** Take (and clear) the paints recorded under `name` so far; with `stop`, stop recording. Empty when none. */
export function takeViewerPaints(o: { name: string; stop?: boolean }): ViewerPaint[] {
  const g = window as unknown as { __fcViewerPaints?: Record<string, { paints: ViewerPaint[]; observer: MutationObserver }> }
  const recording = g.__fcViewerPaints?.[o.name]
  if (!recording) return []
  if (o.stop) {
    recording.observer.disconnect()
    delete g.__fcViewerPaints![o.name]
  }
  return recording.paints.splice(0)
}
