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
  /** the picture's size in bytes (one JPEG, or one H.264 access unit) */
  bytes: number
  keyframe: boolean
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

export interface CameraProbeOptions {
  name: string
  /** the <video> showing the camera (its track is cloned; its frame callbacks give the capture times) */
  selector: string
  centres: Centre[]
}

/**
 * Record every camera frame without converting it to RGB: a clone of the camera track feeds a
 * MediaStreamTrackProcessor, and the counter is read from the luma plane of the counter strip alone
 * (VideoFrame.copyTo with a rect), so the probe costs the page under test next to nothing. Capture times come from the
 * <video>'s frame callbacks (captureTime): VideoFrame.timestamp is the capture instant on the monotonic clock, so
 * captureTime - timestamp is one constant, found from frames seen by both; takeRecords applies it.
 * Falls back to probeVideo where MediaStreamTrackProcessor is missing.
 */
export function probeCamera(o: CameraProbeOptions): void {
  const video = document.querySelector<HTMLVideoElement>(o.selector)
  if (!video) throw new Error(`no video at ${o.selector}`)
  const stream = video.srcObject as MediaStream | null
  const track = stream?.getVideoTracks()[0]
  const Processor = (globalThis as { MediaStreamTrackProcessor?: new (i: { track: MediaStreamTrack }) => { readable: ReadableStream<VideoFrame> } })
    .MediaStreamTrackProcessor
  const g = window as unknown as {
    __fcProbe?: Record<string, ProbeRecord[]>
    __fcCamera?: Record<string, { frames: { tsUs: number; atMs: number; lumas: number[] }[]; captures: number[]; stop: () => void }>
  }
  if (!track || !Processor) throw new Error('probeCamera needs a camera track and MediaStreamTrackProcessor')
  const epoch = (t: number): number => performance.timeOrigin + t
  const state = { frames: [] as { tsUs: number; atMs: number; lumas: number[] }[], captures: [] as number[], stop: () => undefined as void }
  ;(g.__fcCamera ??= {})[o.name] = state
  ;(g.__fcProbe ??= {})[o.name] = []
  const onFrame = (_now: number, meta: VideoFrameCallbackMetadata): void => {
    if (typeof meta.captureTime === 'number') state.captures.push(epoch(meta.captureTime))
    video.requestVideoFrameCallback(onFrame)
  }
  video.requestVideoFrameCallback(onFrame)
  const clone = track.clone()
  const reader = new Processor({ track: clone }).readable.getReader()
  let stopped = false
  state.stop = () => {
    stopped = true
    clone.stop()
  }
  void (async () => {
    let buf: Uint8Array | null = null
    while (!stopped) {
      const { value: frame, done } = await reader.read()
      if (done || !frame) break
      const atMs = epoch(performance.now())
      try {
        const w = frame.codedWidth & ~1
        const stripH = Math.min(frame.codedHeight, (Math.ceil(o.centres[0]!.fy * 2 * frame.codedHeight) + 1) & ~1)
        const rect = { x: 0, y: 0, width: w, height: stripH }
        const size = frame.allocationSize({ rect })
        if (!buf || buf.byteLength < size) buf = new Uint8Array(size)
        const layout = await frame.copyTo(buf, { rect })
        const { offset, stride } = layout[0]!
        const lumas = o.centres.map(({ fx, fy }) => {
          const cx = Math.round(fx * frame.codedWidth)
          const cy = Math.min(stripH - 2, Math.round(fy * frame.codedHeight))
          let sum = 0
          for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += buf![offset + (cy + dy) * stride + cx + dx]!
          return sum / 9
        })
        state.frames.push({ tsUs: frame.timestamp, atMs, lumas })
      } finally {
        frame.close()
      }
    }
  })()
}

/** Take (and clear) what probeCamera recorded, with capture times on the epoch clock. */
export function takeCameraRecords(name: string): ProbeRecord[] {
  const g = window as unknown as {
    __fcCamera?: Record<string, { frames: { tsUs: number; atMs: number; lumas: number[] }[]; captures: number[]; stop: () => void }>
  }
  const state = g.__fcCamera?.[name]
  if (!state) return []
  state.stop()
  const frames = state.frames.splice(0)
  // The constant captureTime - timestamp: a real pair gives the same value (to a few µs) for every frame, so the
  // value shared by most (frame, capture) pairs close in time is the one.
  const votes = new Map<number, number>()
  for (const c of state.captures) {
    for (const f of frames) {
      const d = c - f.tsUs / 1000
      if (Math.abs(c - f.atMs) > 200) continue
      const key = Math.round(d * 10)
      votes.set(key, (votes.get(key) ?? 0) + 1)
    }
  }
  let best: number | null = null
  let bestVotes = 0
  for (const [key, n] of votes) {
    if (n > bestVotes) {
      best = key
      bestVotes = n
    }
  }
  const enough = best !== null && bestVotes >= Math.min(10, frames.length / 4)
  return frames.map((f) => ({
    lumas: f.lumas,
    atMs: f.atMs,
    captureMs: enough ? f.tsUs / 1000 + best! / 10 : null,
    receiveMs: null,
    drawnMs: null
  }))
}

/**
 * Record every frame the Watch page's window.api hands over (a second listener next to the app's own); the paints
 * themselves are recorded by recordViewerPaints (e2e/viewer-probe.ts).
 */
export function probeArrivals(): void {
  const g = window as unknown as {
    __fcArrivals?: ArrivalRecord[]
    api: {
      onWatchFrame(l: (f: { seq: number; capturedAtUs: number; latencyMs: number | null; keyframe: boolean; payload: Uint8Array }) => void): () => void
    }
  }
  const arrivals: ArrivalRecord[] = (g.__fcArrivals = [])
  g.api.onWatchFrame((f) =>
    arrivals.push({
      seq: f.seq,
      capturedAtUs: f.capturedAtUs,
      latencyMs: f.latencyMs,
      arrivedMs: performance.timeOrigin + performance.now(),
      bytes: f.payload.byteLength,
      keyframe: f.keyframe
    })
  )
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

/** The picture on the Watch page's viewer canvas as BT.601 luma (limited range, like the camera's Y plane). */
export interface ViewerLuma {
  width: number
  height: number
  /** the counter cells' mean luma (3×3 around each centre), for telling which camera frame it is */
  lumas: number[]
  /** width × height luma bytes, base64 */
  luma: string
}

/** Read the whole picture the viewer canvas shows now (null when it shows none). */
export function viewerLuma(centres: Centre[]): ViewerLuma | null {
  const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')
  const rect = (canvas?.dataset.drawRect ?? '').split(',').map(Number)
  if (!canvas || rect.length !== 4) return null
  const [x, y, width, height] = rect as [number, number, number, number]
  const scratch = document.createElement('canvas')
  scratch.width = width
  scratch.height = height
  const ctx = scratch.getContext('2d', { willReadFrequently: true })
  if (!ctx) return null
  ctx.drawImage(canvas, x, y, width, height, 0, 0, width, height)
  const rgba = ctx.getImageData(0, 0, width, height).data
  const luma = new Uint8Array(width * height)
  for (let i = 0, j = 0; j < luma.length; i += 4, j++) {
    luma[j] = Math.round(16 + (219 * (0.299 * rgba[i]! + 0.587 * rgba[i + 1]! + 0.114 * rgba[i + 2]!)) / 255)
  }
  const lumas = centres.map(({ fx, fy }) => {
    const cx = Math.round(fx * width)
    const cy = Math.round(fy * height)
    let sum = 0
    for (let dy = -1; dy <= 1; dy++) for (let dx = -1; dx <= 1; dx++) sum += luma[(cy + dy) * width + cx + dx]!
    return sum / 9
  })
  let binary = ''
  for (let i = 0; i < luma.length; i += 0x8000) binary += String.fromCharCode(...luma.subarray(i, i + 0x8000))
  return { width, height, lumas, luma: btoa(binary) }
}
