import { useEffect, useRef, useState } from 'react'
import type { WatchFrame, WatchState } from '../../../../shared/ipc'
import { nowUs } from '../../../../shared/protocol'
import { api } from '../../lib/api'
import { RateMeter } from '../../../../shared/stats'
import { decodeJpeg } from './decodeJpeg'
import { FrameScheduler } from './frameScheduler'
import { StatsOverlay, type ViewerLocalStats } from './StatsOverlay'

interface Incoming {
  frame: WatchFrame
  /** when this window received it (µs, same clock as capturedAtUs) */
  arrivedAtUs: number
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

export function Viewer({ state, label }: { state: WatchState; label: string }) {
  const wrapRef = useRef<HTMLDivElement>(null)
  const canvasRef = useRef<HTMLCanvasElement>(null)
  const lastRef = useRef<Painted | null>(null)
  const [local, setLocal] = useState<ViewerLocalStats>({ paintFps: 0, replacedBeforeDecode: 0, frameLatencyMs: null, frameQuality: null, hasPicture: false })
  const [showStats, setShowStats] = useState(true)

  useEffect(() => {
    const canvas = canvasRef.current
    if (!canvas) return
    // The canvas holds each picture 1:1 and CSS (object-fit: contain) letterboxes it: handing a decoded bitmap over
    // costs no copy and no scaling pass on this thread.
    const ctx = canvas.getContext('bitmaprenderer')
    if (!ctx) return
    const paintRate = new RateMeter(1000)
    let frameLatencyMs: number | null = null
    let frameQuality: ViewerLocalStats['frameQuality'] = null

    // Painted as soon as it is decoded: the canvas reaches the screen at the next display refresh.
    const scheduler = new FrameScheduler<Incoming, ImageBitmap>({
      decode: (f) => decodeJpeg(f.frame.jpeg),
      discard: (bitmap) => bitmap.close(),
      paint: (bitmap, f) => {
        const { width, height } = bitmap
        if (canvas.width !== width) canvas.width = width
        if (canvas.height !== height) canvas.height = height
        ctx.transferFromImageBitmap(bitmap)
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
    })

    const unsubscribe = api.onWatchFrame((frame) => scheduler.push({ frame, arrivedAtUs: nowUs() }))

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
  }, [])

  useEffect(() => {
    if (state !== 'idle' || !lastRef.current) return
    const canvas = canvasRef.current
    const ctx = canvas?.getContext('bitmaprenderer')
    if (!canvas || !ctx) return
    lastRef.current = null
    ctx.transferFromImageBitmap(null)
    for (const k of ['seq', 'capturedAtUs', 'paintedAtUs', 'latencyMs', 'drawRect', 'quality']) delete canvas.dataset[k]
    setLocal((l) => (l.hasPicture ? { ...l, hasPicture: false } : l))
  }, [state])

  const message = local.hasPicture ? interruptedViewerText(state) : emptyViewerText(state)

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
      <canvas className="viewer__canvas" ref={canvasRef} data-testid="viewer-canvas" />
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
