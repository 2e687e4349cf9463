/// <reference lib="dom" />
// In-page probes for the end-to-end benchmark. Each function runs inside a page (page.evaluate), so it is
// self-contained: no imports, no closures over Node values. Times are epoch milliseconds
// (performance.timeOrigin + now), one clock for every page of the browser.

export interface Centre {
  fx: number
  fy: number
}

/** A camera frame seen by a page: a <video> frame callback, or a paint of the app's viewer canvas. */
export interface ProbeRecord {
  lumas: number[] | null
  /** when the frame callback ran / the attribute changed */
  atMs: number
  /** requestVideoFrameCallback's captureTime (local camera) as epoch ms, when the browser gives one */
  captureMs: number | null
  /** requestVideoFrameCallback's receiveTime (remote WebRTC track) as epoch ms */
  receiveMs: number | null
  /** when the frame had been drawn on the probe's canvas */
  drawnMs: number | null
  /** app viewer only: data-seq, data-captured-at-us (µs), data-painted-at-us (µs) */
  seq?: number
  appCapturedUs?: number
  appPaintedUs?: number
}

/** What the Watch page's window.api handed over for one frame (a second listener next to the app's own). */
export interface ArrivalRecord {
  seq: number
  capturedAtUs: number
  /** capture -> received by the host's watcher, per the protocol's timestamps */
  latencyMs: number | null
  arrivedMs: number
}

export interface VideoProbeOptions {
  name: string
  selector: string
  width: number
  height: number
  centres: Centre[]
  /** Draw every frame in full on a canvas first (what a viewer does), then read the counter from that canvas. */
  paint: boolean
}

/** Record every frame a <video> presents: its counter, capture/receive times, and (with `paint`) when it was drawn. */
export function probeVideo(o: VideoProbeOptions): void {
  const video = document.querySelector<HTMLVideoElement>(o.selector)
  if (!video) throw new Error(`no video at ${o.selector}`)
  const g = window as unknown as { __fcProbe?: Record<string, ProbeRecord[]> }
  const store = (g.__fcProbe ??= {})
  const records: ProbeRecord[] = (store[o.name] = [])
  const epoch = (t: number): number => performance.timeOrigin + t
  // Only the counter strip (top 2 cells' height) is read back, at a quarter of the size, unless painting in full.
  const stripH = Math.min(1, o.centres[0]!.fy * 2)
  const canvas = document.createElement('canvas')
  canvas.width = o.paint ? o.width : Math.round(o.width / 4)
  canvas.height = o.paint ? o.height : Math.max(4, Math.round((o.height * stripH) / 4))
  if (o.paint) {
    canvas.style.width = '640px'
    document.body.appendChild(canvas)
  }
  const ctx = canvas.getContext('2d', { alpha: false, willReadFrequently: !o.paint })
  if (!ctx) throw new Error('no 2d context')
  const onFrame = (now: number, meta: VideoFrameCallbackMetadata): void => {
    const atMs = epoch(performance.now())
    let drawnMs: number | null = null
    if (o.paint) {
      ctx.drawImage(video, 0, 0, canvas.width, canvas.height)
      drawnMs = epoch(performance.now())
    } else {
      ctx.drawImage(video, 0, 0, video.videoWidth, video.videoHeight * stripH, 0, 0, canvas.width, canvas.height)
    }
    const sy = o.paint ? 1 : 1 / stripH
    const lumas = o.centres.map(({ fx, fy }) => {
      const x = Math.round(fx * canvas.width)
      const y = Math.min(canvas.height - 1, Math.round(fy * sy * canvas.height))
      const d = ctx.getImageData(Math.max(0, x - 1), Math.max(0, y - 1), 3, 3).data
      let sum = 0
      for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!
      return sum / (d.length / 4)
    })
    records.push({
      lumas,
      atMs,
      captureMs: typeof meta.captureTime === 'number' ? epoch(meta.captureTime) : null,
      receiveMs: typeof meta.receiveTime === 'number' ? epoch(meta.receiveTime) : null,
      drawnMs
    })
    void now
    video.requestVideoFrameCallback(onFrame)
  }
  video.requestVideoFrameCallback(onFrame)
}

/** Record every paint of the app's viewer canvas, and every frame window.api hands to the page. */
export function probeViewer(o: { centres: Centre[] }): void {
  const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')
  if (!canvas) throw new Error('no viewer canvas')
  const ctx = canvas.getContext('2d')
  if (!ctx) throw new Error('no 2d context on the viewer canvas')
  const g = window as unknown as {
    __fcProbe?: Record<string, ProbeRecord[]>
    __fcArrivals?: ArrivalRecord[]
    api: { onWatchFrame(l: (f: { seq: number; capturedAtUs: number; latencyMs: number | null }) => void): () => void }
  }
  const store = (g.__fcProbe ??= {})
  const records: ProbeRecord[] = (store.viewer = [])
  const arrivals: ArrivalRecord[] = (g.__fcArrivals = [])
  const epochNow = (): number => performance.timeOrigin + performance.now()
  g.api.onWatchFrame((f) => arrivals.push({ seq: f.seq, capturedAtUs: f.capturedAtUs, latencyMs: f.latencyMs, arrivedMs: epochNow() }))
  new MutationObserver(() => {
    const atMs = epochNow()
    const rect = (canvas.dataset.drawRect ?? '').split(',').map(Number)
    let lumas: number[] | null = null
    if (rect.length === 4 && rect.every((n) => Number.isFinite(n))) {
      const [x, y, w, h] = rect as [number, number, number, number]
      lumas = o.centres.map(({ fx, fy }) => {
        const d = ctx.getImageData(Math.round(x + fx * w) - 1, Math.round(y + fy * h) - 1, 3, 3).data
        let sum = 0
        for (let i = 0; i < d.length; i += 4) sum += 0.299 * d[i]! + 0.587 * d[i + 1]! + 0.114 * d[i + 2]!
        return sum / (d.length / 4)
      })
    }
    records.push({
      lumas,
      atMs,
      captureMs: null,
      receiveMs: null,
      drawnMs: Number(canvas.dataset.paintedAtUs) / 1000,
      seq: Number(canvas.dataset.seq),
      appCapturedUs: Number(canvas.dataset.capturedAtUs),
      appPaintedUs: Number(canvas.dataset.paintedAtUs)
    })
  }).observe(canvas, { attributes: true, attributeFilter: ['data-painted-at-us'] })
}

/** Take (and clear) what a probe recorded. */
export function takeRecords(name: string): ProbeRecord[] {
  const g = window as unknown as { __fcProbe?: Record<string, ProbeRecord[]> }
  const list = g.__fcProbe?.[name] ?? []
  return list.splice(0)
}

export function takeArrivals(): ArrivalRecord[] {
  const g = window as unknown as { __fcArrivals?: ArrivalRecord[] }
  return (g.__fcArrivals ?? []).splice(0)
}

/** p95 of encoding the camera's current frame as JPEG on an OffscreenCanvas in this page: the bare encode cost. */
export async function bareEncodeP95(o: { selector: string; width: number; height: number; quality: number; runs: number }): Promise<number> {
  const video = document.querySelector<HTMLVideoElement>(o.selector)
  if (!video) throw new Error(`no video at ${o.selector}`)
  const canvas = new OffscreenCanvas(o.width, o.height)
  const ctx = canvas.getContext('2d', { alpha: false })
  if (!ctx) throw new Error('no 2d context')
  const times: number[] = []
  for (let i = 0; i < o.runs; i++) {
    const t0 = performance.now()
    ctx.drawImage(video, 0, 0, o.width, o.height)
    await canvas.convertToBlob({ type: 'image/jpeg', quality: o.quality })
    times.push(performance.now() - t0)
    await new Promise((r) => setTimeout(r, 33))
  }
  times.sort((a, b) => a - b)
  return times[Math.min(times.length - 1, Math.ceil(0.95 * times.length) - 1)]!
}
