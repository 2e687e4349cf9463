// @vitest-environment jsdom
import { act, cleanup, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { WatchFrame, WatchState } from '../../../src/shared/ipc'
import { emptyViewerText, interruptedViewerText, Viewer } from '../../../src/renderer/src/features/watch/Viewer'

let frameListeners: ((f: WatchFrame) => void)[] = []
const drawn: unknown[] = []

beforeEach(() => {
  frameListeners = []
  drawn.length = 0
  vi.stubGlobal('createImageBitmap', async () => ({ width: 640, height: 480, close() {} }))
  HTMLCanvasElement.prototype.getContext = ((kind: string) =>
    kind === 'bitmaprenderer' ? { transferFromImageBitmap: (bitmap: unknown) => drawn.push(bitmap) } : null) as never
  ;(window as unknown as { api: unknown }).api = {
    onWatchFrame: (l: (f: WatchFrame) => void) => {
      frameListeners.push(l)
      return () => (frameListeners = frameListeners.filter((x) => x !== l))
    }
  }
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  delete (window as { api?: unknown }).api
})

const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xd9])

describe('viewer', () => {
  it('says the connection is lost, not that it waits for a first picture, when a stream drops', () => {
    expect(emptyViewerText('idle')).toBe('The picture appears here.')
    expect(emptyViewerText('connecting')).toBe('Waiting for the first picture…')
    for (const state of ['lost', 'reconnecting'] as WatchState[]) {
      expect(emptyViewerText(state)).toBe('Connection lost — reconnecting…')
      expect(interruptedViewerText(state)).toBe('Connection lost — reconnecting…')
    }
    expect(interruptedViewerText('live')).toBeNull()
    expect(interruptedViewerText('stalled')).toBeNull()
  })

  it('paints a frame as soon as it is decoded and stamps the paint on the canvas', async () => {
    render(<Viewer state="live" label="x" />)
    expect(screen.getByTestId('viewer-message').textContent).toBe('Waiting for the first picture…')
    act(() => frameListeners.forEach((l) => l({ seq: 7, capturedAtUs: 1_000, latencyMs: 3, quality: 70, codec: 'jpeg', keyframe: true, payload: jpeg })))
    const canvas = screen.getByTestId('viewer-canvas')
    await waitFor(() => expect(canvas.dataset.seq).toBe('7'))
    expect(Number(canvas.dataset.paintedAtUs)).toBeGreaterThan(0)
    expect(drawn).toHaveLength(1)
    // The canvas holds the picture at its own size; CSS letterboxes it.
    expect([canvas.getAttribute('width'), canvas.getAttribute('height')]).toEqual(['640', '480'])
    expect(canvas.dataset.drawRect).toBe('0,0,640,480')
    expect(canvas.dataset.quality).toBe('70')
    // The overlay shows the quality the broadcaster encoded this picture at, and its size.
    await waitFor(() => expect(screen.getByTestId('viewer-stats').querySelector('[data-stat="quality"] dd')?.textContent).toBe('70 % · 640 × 480'))
    // The picture is there at once: no "waiting" text over it.
    await waitFor(() => expect(screen.queryByTestId('viewer-message')).toBeNull())
  })

  it('writes "Connection lost — reconnecting…" over the last picture when the stream drops', async () => {
    const { rerender } = render(<Viewer state="live" label="x" />)
    act(() => frameListeners.forEach((l) => l({ seq: 1, capturedAtUs: 1_000, latencyMs: null, quality: 0, codec: 'jpeg', keyframe: true, payload: jpeg })))
    await waitFor(() => expect(screen.queryByTestId('viewer-message')).toBeNull())
    rerender(<Viewer state="reconnecting" label="x" />)
    expect(screen.getByTestId('viewer-message').textContent).toBe('Connection lost — reconnecting…')
    rerender(<Viewer state="live" label="x" />)
    expect(screen.queryByTestId('viewer-message')).toBeNull()
  })

  it('clears the picture and its stamps when the window goes back to idle', async () => {
    const { rerender } = render(<Viewer state="live" label="x" />)
    act(() => frameListeners.forEach((l) => l({ seq: 3, capturedAtUs: 1_000, latencyMs: null, quality: 0, codec: 'jpeg', keyframe: true, payload: jpeg })))
    const canvas = screen.getByTestId('viewer-canvas')
    await waitFor(() => expect(canvas.dataset.seq).toBe('3'))
    rerender(<Viewer state="idle" label="x" />)
    expect(drawn.at(-1)).toBeNull()
    expect(canvas.dataset.seq).toBeUndefined()
    expect(canvas.dataset.drawRect).toBeUndefined()
    expect(screen.getByTestId('viewer-message').textContent).toBe('The picture appears here.')
  })
})
