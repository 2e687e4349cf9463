/// <reference lib="dom" />
// Playwright fixtures and helpers for driving Framecast's real UI in Chromium through the browser host.

import { join } from 'node:path'
import { test as base, type Browser, type BrowserContext, expect, type Page } from '@playwright/test'
import type { WindowRole } from '../src/shared/ipc'
import { cellCentre, type ClipSpec, COUNTER_CELLS, counterFromLumas } from '../tools/make-y4m'
import { ARTIFACT_DIR, CLIP_480P } from './camera'
import { freePort, type HostProcess, launchHost } from './host'

export { freePort }

/** The settings key the renderer persists under (src/renderer/src/store/index.ts). */
const SETTINGS_KEY = 'framecast.settings'

export interface OpenOptions {
  /** Remembered settings the window starts with (as if chosen in an earlier run). */
  settings?: Record<string, unknown>
}

export class App {
  private readonly contexts: BrowserContext[] = []
  constructor(
    private readonly browser: Browser,
    readonly host: HostProcess
  ) {}

  /** Open a window of the app (its own browser context: its own storage, like a separate app window). */
  async open(role: WindowRole, options: OpenOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1280, height: 800 } })
    this.contexts.push(context)
    if (options.settings) {
      await context.addInitScript(
        ([key, value]) => {
          if (localStorage.getItem(key) === null) localStorage.setItem(key, value)
        },
        [SETTINGS_KEY, JSON.stringify({ state: { settings: options.settings }, version: 1 })] as const
      )
    }
    const page = await context.newPage()
    page.on('pageerror', (e) => console.error(`[${role} page] ${e.message}`))
    await page.goto(this.host.pageUrl(role))
    return page
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.contexts.splice(0).map((c) => c.close()))
  }
}

export const test = base.extend<{ app: App }, { host: HostProcess }>({
  host: [
    // eslint-disable-next-line no-empty-pattern
    async ({}, use) => {
      const host = await launchHost()
      await use(host)
      await host.stop()
    },
    { scope: 'worker' }
  ],
  app: async ({ browser, host }, use) => {
    const app = new App(browser, host)
    await use(app)
    await app.closeAll()
  }
})

export { expect }

/** A TCP port nothing listens on right now (on 127.0.0.1). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACT_DIR, `${name}.png`), fullPage: true })
}

// ---------------------------------------------------------------------------------------------------------------
// Broadcast window
// ---------------------------------------------------------------------------------------------------------------

/** What the interface list says for "listen on this computer only". */
export const LOOPBACK_CHOICE = 'This computer only (127.0.0.1)'

/**
 * Choose the resolution, the port and "This computer only (127.0.0.1)" in the form — tests never listen beyond
 * loopback — then press Start; returns the address the window tells the partner to type.
 */
export async function startBroadcast(page: Page, o: { port: number; preset?: '480p' | '720p' }): Promise<string> {
  await page.getByTestId('broadcast-resolution').selectOption(o.preset ?? '480p')
  await page.getByTestId('broadcast-port').fill(String(o.port))
  const iface = page.getByTestId('broadcast-interface')
  await iface.selectOption({ label: LOOPBACK_CHOICE })
  await expect(iface).toHaveValue('127.0.0.1')
  await page.getByTestId('broadcast-start').click()
  await expect(page.getByTestId('broadcast-phase')).toHaveAttribute('data-phase', 'live', { timeout: 15_000 })
  const address = page.getByTestId('broadcast-address').first()
  await expect(address).toBeVisible()
  return (await address.getAttribute('data-address')) ?? ''
}

export async function stopBroadcast(page: Page): Promise<void> {
  await page.getByTestId('broadcast-stop').click()
  await expect(page.getByTestId('broadcast-phase')).toHaveAttribute('data-phase', 'idle')
}

// ---------------------------------------------------------------------------------------------------------------
// Watch window
// ---------------------------------------------------------------------------------------------------------------

/** Type the partner's address into the Watch form and press Connect, as a person would. */
export async function connectWatch(page: Page, address: string): Promise<void> {
  const host = page.getByTestId('watch-host')
  await host.fill('')
  await host.pressSequentially(address)
  await page.getByTestId('watch-connect').click()
}

/** The banner says live and the viewer has painted a frame. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByTestId('watch-banner')).toHaveAttribute('data-state', 'live', { timeout: 15_000 })
  await expect(page.getByTestId('viewer-canvas')).toHaveAttribute('data-seq', /^\d+$/, { timeout: 15_000 })
}

export interface PaintSample {
  seq: number
  /** The fake camera's frame counter read back from the canvas pixels; null when unreadable. */
  counter: number | null
  capturedAtUs: number
  paintedAtUs: number
}

interface RawSample {
  seq: number
  lumas: number[] | null
  capturedAtUs: number
  paintedAtUs: number
}

/**
 * Record every paint of the viewer canvas for `ms` milliseconds: the data attributes the viewer sets when it draws
 * (seq, capture and paint timestamps) and the counter read from the pixels just drawn.
 */
export async function samplePaints(page: Page, ms: number, clip: ClipSpec = CLIP_480P): Promise<PaintSample[]> {
  const centres = Array.from({ length: COUNTER_CELLS }, (_, i) => cellCentre(clip, i))
  const raw = await page.evaluate(
    ([centres, ms]) =>
      new Promise<RawSample[]>((resolve) => {
        const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')
        if (!canvas) throw new Error('no viewer canvas')
        // The viewer canvas is a 'bitmaprenderer' canvas (no getImageData): each 3×3 patch around a cell centre is
        // copied onto a small scratch canvas and read there.
        const scratch = document.createElement('canvas')
        scratch.width = 3 * centres.length
        scratch.height = 3
        const ctx = scratch.getContext('2d', { willReadFrequently: true })
        if (!ctx) throw new Error('no 2d context for reading the viewer canvas')
        const samples: RawSample[] = []
        const lumas = (): number[] | null => {
          const rect = (canvas.dataset.drawRect ?? '').split(',').map(Number)
          if (rect.length !== 4 || rect.some((n) => !Number.isFinite(n))) return null
          const [x, y, w, h] = rect as [number, number, number, number]
          centres.forEach(({ fx, fy }, i) =>
            ctx.drawImage(canvas, Math.round(x + fx * w) - 1, Math.round(y + fy * h) - 1, 3, 3, 3 * i, 0, 3, 3)
          )
          const d = ctx.getImageData(0, 0, scratch.width, 3).data
          return centres.map((_, i) => {
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
        const observer = new MutationObserver(() => {
          samples.push({
            seq: Number(canvas.dataset.seq),
            lumas: lumas(),
            capturedAtUs: Number(canvas.dataset.capturedAtUs),
            paintedAtUs: Number(canvas.dataset.paintedAtUs)
          })
        })
        observer.observe(canvas, { attributes: true, attributeFilter: ['data-painted-at-us'] })
        setTimeout(() => {
          observer.disconnect()
          resolve(samples)
        }, ms)
      }),
    [centres, ms] as const
  )
  return raw.map((r) => ({ seq: r.seq, counter: counterFromLumas(r.lumas), capturedAtUs: r.capturedAtUs, paintedAtUs: r.paintedAtUs }))
}

/** Frames delivered: paints that showed a new camera frame, and whether the counter only ever moved forward. */
export function analysePaints(samples: PaintSample[], clip: ClipSpec = CLIP_480P): {
  paints: number
  newFrames: number
  unreadable: number
  backwards: number
  seqIncreasing: boolean
} {
  let newFrames = 0
  let unreadable = 0
  let backwards = 0
  let last: number | null = null
  for (const s of samples) {
    if (s.counter === null) {
      unreadable++
      continue
    }
    if (last !== null && s.counter !== last) {
      // The clip loops: a step forward is (counter - last) mod clip length, and it is small.
      const step = (s.counter - last + clip.frames) % clip.frames
      if (step > clip.frames / 2) backwards++
    }
    if (last === null || s.counter !== last) newFrames++
    last = s.counter
  }
  const seqIncreasing = samples.every((s, i) => i === 0 || s.seq > samples[i - 1]!.seq)
  return { paints: samples.length, newFrames, unreadable, backwards, seqIncreasing }
}
