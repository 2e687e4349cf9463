import { useEffect, useRef, useState } from 'react'
import type { WatchFrame, WatchState } from '../../../../shared/ipc'
import { nowUs } from '../../../../shared/protocol'
import { api } from '../../lib/api'
import { fitRect } from '../../lib/fit'
import { RateMeter } from '../../lib/stats'
import { decodeJpeg, type Picture } from './decodeJpeg'
import { FrameScheduler } from './frameScheduler'
import { StatsOverlay, type ViewerLocalStats } from './StatsOverlay'

interface Incoming {
  frame: WatchFrame
  /** when this window received it (µs, same clock as capturedAtUs) */
  arrivedAtUs: number
}

interface Painted {
  picture: Picture
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
  const [local, setLocal] = useState<ViewerLocalStats>({ paintFps: 0, skipped: 0, frameLatencyMs: null, hasPicture: false })
  const [showStats, setShowStats] = useState(true)

  useEffect(() => {
    const canvas = canvasRef.current
    const wrap = wrapRef.current
    if (!canvas || !wrap) return
    const ctx = canvas.getContext('2d', { alpha: false })
    if (!ctx) return
    const paintRate = new RateMeter(1000)
    let frameLatencyMs: number | null = null

    let lastRect = ''
    const draw = (picture: Picture): void => {
      const r = fitRect(picture.width, picture.height, canvas.width, canvas.height)
      const rect = `${r.x},${r.y},${r.w},${r.h}`
      // The letterbox bars only need painting when the picture's place changes.
      if (rect !== lastRect && (r.x > 0 || r.y > 0)) {
        ctx.fillStyle = '#000'
        ctx.fillRect(0, 0, canvas.width, canvas.height)
      }
      lastRect = rect
      ctx.drawImage(picture.source, r.x, r.y, r.w, r.h)
      if (canvas.dataset.drawRect !== rect) canvas.dataset.drawRect = rect
    }

    // Painted as soon as it is decoded: the canvas reaches the screen at the next display refresh.
    const scheduler = new FrameScheduler<Incoming, Picture>({
      decode: (f) => decodeJpeg(f.frame.jpeg),
      discard: (picture) => picture.close(),
      paint: (picture, f) => {
        draw(picture)
        const paintedAtUs = nowUs()
        const previous = lastRef.current
        if (previous && previous.picture !== picture) previous.picture.close()
        lastRef.current = { picture, seq: f.frame.seq }
        if (!previous) setLocal((l) => (l.hasPicture ? l : { ...l, hasPicture: true }))
        const d = canvas.dataset
        d.seq = String(f.frame.seq)
        d.capturedAtUs = String(f.frame.capturedAtUs)
        d.paintedAtUs = String(paintedAtUs)
        d.frameWidth = String(picture.width)
        d.frameHeight = String(picture.height)
        paintRate.tick(paintedAtUs / 1000)
        frameLatencyMs = f.frame.latencyMs === null ? null : f.frame.latencyMs + (paintedAtUs - f.arrivedAtUs) / 1000
        if (frameLatencyMs !== null) d.latencyMs = frameLatencyMs.toFixed(1)
      }
    })

    const unsubscribe = api.onWatchFrame((frame) => scheduler.push({ frame, arrivedAtUs: nowUs() }))

    const resize = (width: number, height: number): void => {
      const w = Math.max(1, Math.round(width))
      const h = Math.max(1, Math.round(height))
      if (canvas.width === w && canvas.height === h) return
      canvas.width = w
      canvas.height = h
      lastRect = ''
      ctx.fillStyle = '#000'
      ctx.fillRect(0, 0, w, h)
      if (lastRef.current) draw(lastRef.current.picture)
    }
    const observer = new ResizeObserver((entries) => {
      const e = entries[entries.length - 1]
      if (!e) return
      const device = e.devicePixelContentBoxSize?.[0]
      if (device) resize(device.inlineSize, device.blockSize)
      else resize(e.contentRect.width * devicePixelRatio, e.contentRect.height * devicePixelRatio)
    })
    try {
      observer.observe(canvas, { box: 'device-pixel-content-box' })
    } catch {
      observer.observe(canvas)
    }

    const timer = setInterval(() => {
      const s = scheduler.stats
      canvas.dataset.painted = String(s.painted)
      canvas.dataset.skipped = String(s.skipped)
      setLocal({
        paintFps: paintRate.rate(nowUs() / 1000),
        skipped: s.skipped,
        frameLatencyMs,
        hasPicture: lastRef.current !== null
      })
    }, 500)

    return () => {
      unsubscribe()
      observer.disconnect()
      clearInterval(timer)
      scheduler.dispose()
      lastRef.current?.picture.close()
      lastRef.current = null
    }
  }, [])

  useEffect(() => {
    if (state !== 'idle') return
    const canvas = canvasRef.current
    const ctx = canvas?.getContext('2d', { alpha: false })
    if (!canvas || !ctx) return
    lastRef.current?.picture.close()
    lastRef.current = null
    ctx.fillStyle = '#000'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
    for (const k of ['seq', 'capturedAtUs', 'paintedAtUs', 'latencyMs']) delete canvas.dataset[k]
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
    const last = lastRef.current
    if (!last) return
    const c = document.createElement('canvas')
    c.width = last.picture.width
    c.height = last.picture.height
    c.getContext('2d')?.drawImage(last.picture.source, 0, 0)
    c.toBlob((blob) => {
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
