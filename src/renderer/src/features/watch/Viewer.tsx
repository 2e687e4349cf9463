import { useEffect, useRef, useState } from 'react'
import type { WatchFrame, WatchState } from '../../../../shared/ipc'
import { nowUs, type StreamInfo } from '../../../../shared/protocol'
import { api } from '../../lib/api'
import { RateMeter } from '../../../../shared/stats'
import { decodeJpeg } from './decodeJpeg'
import { FrameScheduler } from './frameScheduler'
import { H264Player } from './h264Player'
import { StatsOverlay, type ViewerLocalStats } from './StatsOverlay'
import { useStreamCodec } from './useStreamCodec'

interface Incoming {
  frame: WatchFrame
  /** when this window received it (µs, same clock as capturedAtUs) */
  arrivedAtUs: number
}

/** What paints the frames of one codec on the canvas. */
interface FramePipeline {
  push(frame: Incoming): void
  readonly stats: { painted: number; replacedBeforeDecode: number }
  dispose(): void
}

interface Painted {
  seq: number
}

/** What the viewer says while it has no picture to show (null: nothing). */
export function emptyViewerText(state: WatchState): string | null {
  switch (state) {
    case 'idle':
      return 'The picture appears here.'
    case 'connecting':
    case 'live':
    case 'stalled':
      return 'Waiting for the first picture…'
    case 'pairing':
      return 'Waiting for the pairing code…'
    case 'lost':
    case 'reconnecting':
      return 'Connection lost — reconnecting…'
    case 'error':
      return null
  }
}

/** What the viewer says over the last picture, dimmed, while the stream is interrupted (null: nothing). */
export function interruptedViewerText(state: WatchState): string | null {
  return state === 'lost' || state === 'reconnecting' ? 'Connection lost — reconnecting…' : null
}

/**
 * The picture of a watch: `info` is the stream's description (its codec picks how frames are decoded and painted;
 * null keeps the last one, so a reconnecting stream keeps its picture).
 */
export function Viewer({ state, label, info = null }: { state: WatchState; label: string; info?: StreamInfo | null }) {
  const wrapRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const lastRef = useRef<Painted | null>(null)
  const [local, setLocal] = useState<ViewerLocalStats>({ paintFps: 0, replacedBeforeDecode: 0, frameLatencyMs: null, frameQuality: null, hasPicture: false })
  const [showStats, setShowStats] = useState(true)
  const [cannotShow, setCannotShow] = useState<string | null>(null)
  const stream = useStreamCodec(info)
  // Frames of a codec the current pipeline does not decode: the stream was described anew and the pipeline for it is
  // being built. Kept from their last keyframe (at most STRAY_FRAMES), they are handed to the new pipeline, so its first
  // picture need not wait for another keyframe.
  const strayRef = useRef<Incoming[]>([])

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    const paintRate = new RateMeter(1000)
    let frameLatencyMs: number | null = null
    setCannotShow(null)
    let frameQuality: ViewerLocalStats['frameQuality'] = null

    const size = (width: number, height: number): void => {
      if (canvas.width !== width) canvas.width = width
      if (canvas.height !== height) canvas.height = height
    }
    const painted = (f: Incoming, width: number, height: number): void => {
      const paintedAtUs = nowUs()
      const previous = lastRef.current
      lastRef.current = { seq: f.frame.seq }
      if (!previous) setLocal((l) => (l.hasPicture ? l : { ...l, hasPicture: true }))
      const d = canvas.dataset
      const rect = `0,0,${width},${height}`
      if (d.drawRect !== rect) d.drawRect = rect
      d.seq = String(f.frame.seq)
      d.capturedAtUs = String(f.frame.capturedAtUs)
      d.paintedAtUs = String(paintedAtUs)
      d.frameWidth = String(width)
      d.frameHeight = String(height)
      paintRate.record(0, paintedAtUs / 1000)
      frameLatencyMs = f.frame.latencyMs === null ? null : f.frame.latencyMs + (paintedAtUs - f.arrivedAtUs) / 1000
      if (frameLatencyMs !== null) d.latencyMs = frameLatencyMs.toFixed(1)
      frameQuality = { quality: f.frame.quality, width, height }
      d.quality = String(f.frame.quality)
    }

    const scheduler = stream.codec === 'h264' ? h264Pipeline(canvas, stream.params, size, painted, setCannotShow) : jpegPipeline(canvas, size, painted)
    if (!scheduler) return
    for (const f of strayRef.current.splice(0)) if (f.frame.codec === stream.codec) scheduler.push(f)

    const unsubscribe = api.onWatchFrame((frame) => {
      const f = { frame, arrivedAtUs: nowUs() }
      if (frame.codec === stream.codec) scheduler.push(f)
      else keepStray(strayRef.current, f)
    })

    const timer = setInterval(() => {
      const s = scheduler.stats
      canvas.dataset.painted = String(s.painted)
      canvas.dataset.replacedBeforeDecode = String(s.replacedBeforeDecode)
      setLocal({
        paintFps: paintRate.rate(nowUs() / 1000),
        replacedBeforeDecode: s.replacedBeforeDecode,
        frameLatencyMs,
        frameQuality,
        hasPicture: lastRef.current !== null
      })
    }, 500)

    return () => {
      unsubscribe()
      clearInterval(timer)
      scheduler.dispose()
      lastRef.current = null
    }
  }, [stream])

  useEffect(() => {
    if (state !== 'idle' || !lastRef.current) return
    const canvas = canvasRef.current
    if (!canvas) return
    lastRef.current = null
    // The context the picture was painted with: 'bitmaprenderer' for JPEG, '2d' for H.264.
    const bitmaps = stream.codec === 'jpeg' ? canvas.getContext('bitmaprenderer') : null
    if (bitmaps) bitmaps.transferFromImageBitmap(null)
    else canvas.getContext('2d')?.clearRect(0, 0, canvas.width, canvas.height)
    for (const k of ['seq', 'capturedAtUs', 'paintedAtUs', 'latencyMs', 'drawRect', 'quality']) delete canvas.dataset[k]
    setLocal((l) => (l.hasPicture ? { ...l, hasPicture: false } : l))
  }, [state, stream])

  const message = cannotShow ?? (local.hasPicture ? interruptedViewerText(state) : emptyViewerText(state))

  function fullscreen(): void {
    const wrap = wrapRef.current
    if (!wrap) return
    if (document.fullscreenElement) void document.exitFullscreen()
    else void wrap.requestFullscreen().catch(() => undefined)
  }

  function snapshot(): void {
    // The canvas holds the last picture at its own size: it is the snapshot.
    const canvas = canvasRef.current
    if (!canvas || !lastRef.current) return
    canvas.toBlob((blob) => {
      if (!blob) return
      const url = URL.createObjectURL(blob)
      const a = document.createElement('a')
      const stamp = new Date().toISOString().replace(/[:.]/g, '-')
      a.href = url
      a.download = `framecast-${label.replace(/[^\w.-]+/g, '_')}-${stamp}.png`
      a.click()
      setTimeout(() => URL.revokeObjectURL(url), 10_000)
    }, 'image/png')
  }

  return (
    <div className="viewer" ref={wrapRef} data-state={state}>
      {/* A canvas per codec: a canvas keeps the context type it was first given. */}
      <canvas key={stream.codec} className="viewer__canvas" ref={canvasRef} data-testid="viewer-canvas" data-codec={stream.codec} />
      {message ? (
        <div className={local.hasPicture ? 'viewer__empty viewer__empty--over' : 'viewer__empty'} data-testid="viewer-message">
          {message}
        </div>
      ) : null}
      {showStats && (local.hasPicture || state === 'live' || state === 'stalled') ? <StatsOverlay local={local} /> : null}
      <div className="viewer__tools">
        <button type="button" className="tool" data-testid="viewer-stats-toggle" onClick={() => setShowStats((v) => !v)}>
          {showStats ? 'Hide stats' : 'Stats'}
        </button>
        <button type="button" className="tool" data-testid="viewer-snapshot" disabled={!local.hasPicture} onClick={snapshot}>
          Snapshot
        </button>
        <button type="button" className="tool" data-testid="viewer-fullscreen" onClick={fullscreen}>
          Fullscreen
        </button>
      </div>
    </div>
  )
}

/** Frames kept for a pipeline being built: from the last keyframe on, at most this many. */
const STRAY_FRAMES = 60

function keepStray(stray: Incoming[], f: Incoming): void {
  if (f.frame.keyframe) stray.splice(0, stray.length, f)
  else if (stray.length > 0 && stray.length < STRAY_FRAMES) stray.push(f)
}

/**
 * JPEG: decoded off the page (createImageBitmap) and handed to a 'bitmaprenderer' canvas as is — no copy, no scaling
 * pass on this thread; CSS (object-fit: contain) letterboxes it. Painted as soon as it is decoded: the canvas reaches
 * the screen at the next display refresh.
 */
function jpegPipeline(canvas: HTMLCanvasElement, size: (w: number, h: number) => void, painted: (f: Incoming, w: number, h: number) => void): FramePipeline | null {
  const ctx = canvas.getContext('bitmaprenderer')
  if (!ctx) return null
  return new FrameScheduler<Incoming, ImageBitmap>({
    decode: (f) => decodeJpeg(f.frame.payload),
    discard: (bitmap) => bitmap.close(),
    paint: (bitmap, f) => {
      const { width, height } = bitmap
      size(width, height)
      ctx.transferFromImageBitmap(bitmap)
      painted(f, width, height)
    }
  })
}

/** H.264: every access unit decoded in order, the newest picture painted on a 2D canvas (h264Player.ts). */
function h264Pipeline(
  canvas: HTMLCanvasElement,
  codec: string,
  size: (w: number, h: number) => void,
  painted: (f: Incoming, w: number, h: number) => void,
  cannotShow: (message: string) => void
): FramePipeline | null {
  const ctx = canvas.getContext('2d', { alpha: false })
  if (!ctx) return null
  return new H264Player<Incoming>({
    ctx,
    codec,
    resize: size,
    painted,
    unsupported: cannotShow,
    requestKeyframe: (lastSeq) => void api.requestKeyframe({ lastSeq }).catch(() => undefined)
  })
}
