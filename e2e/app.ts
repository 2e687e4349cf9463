/// <reference lib="dom" />
// Playwright fixtures and helpers for driving Framecast's real UI in Chromium through the browser host.

import { join } from 'node:path'
import { test as base, type Browser, type BrowserContext, expect, type Locator, type Page } from '@playwright/test'
import type { WindowRole } from '../src/shared/ipc'
import { cellCentre, type ClipSpec, COUNTER_CELLS, counterFromLumas } from '../tools/make-y4m'
import { ARTIFACT_DIR, CLIP_480P } from './camera'
import { freePort, type HostProcess, launchHost } from './host'
import { recordViewerPaints, takeViewerPaints } from './viewer-probe'

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

/** A browser host of its own (fresh device key, nothing paired) with an App on it, closed after `run`. */
export async function freshApp(browser: Browser, run: (app: App) => Promise<void>): Promise<void> {
  const host = await launchHost()
  const app = new App(browser, host)
  try {
    await run(app)
  } finally {
    await app.closeAll()
    await host.stop()
  }
}

/** Save a screenshot of one part of a window (a card, a list) as e2e/artifacts/NAME.png. */
export async function screenshotOf(part: Locator, name: string): Promise<void> {
  await part.screenshot({ path: join(ARTIFACT_DIR, `${name}.png`) })
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

/** Save a full-page screenshot of `page` as e2e/artifacts/NAME.png (every window state gets one). */
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

/** Type `code` into the Watch window's pairing prompt and press Pair, as a person would. */
export async function typePairingCode(watch: Page, code: string): Promise<void> {
  const input = watch.getByTestId('pairing-code-input')
  await input.fill(code)
  await watch.getByTestId('pairing-submit').click()
}

/** The code the Broadcast window shows (private broadcast). */
export async function shownPairingCode(broadcast: Page): Promise<string> {
  const code = broadcast.getByTestId('pairing-code')
  await expect(code).toHaveAttribute('data-code', /^\d{6}$/)
  return (await code.getAttribute('data-code')) ?? ''
}

/**
 * A private broadcast asks a device it does not know for its code: when `watch` asks, read the code off `broadcast`
 * and type it, as the person would. Returns whether it was asked.
 */
export async function pairIfAsked(watch: Page, broadcast: Page): Promise<boolean> {
  const banner = watch.getByTestId('watch-banner')
  await expect(banner).toHaveAttribute('data-state', /^(live|pairing)$/, { timeout: 15_000 })
  if ((await banner.getAttribute('data-state')) !== 'pairing') return false
  await typePairingCode(watch, await shownPairingCode(broadcast))
  return true
}

/** The banner says live and the viewer has painted a frame. */
export async function expectLive(page: Page): Promise<void> {
  await expect(page.getByTestId('watch-banner')).toHaveAttribute('data-state', 'live', { timeout: 15_000 })
  await expect(page.getByTestId('viewer-canvas')).toHaveAttribute('data-seq', /^\d+$/, { timeout: 15_000 })
}

/**
 * Start broadcasting from `broadcast` on `port` (loopback, `preset`), connect every Watch window in `watchers` to the
 * address it shows, and wait until each one is live with a picture. Returns the address.
 */
export async function goLive(broadcast: Page, watchers: Page[], o: { port: number; preset?: '480p' | '720p' }): Promise<string> {
  const address = await startBroadcast(broadcast, o)
  for (const watch of watchers) {
    await connectWatch(watch, address)
    await pairIfAsked(watch, broadcast)
  }
  for (const watch of watchers) await expectLive(watch)
  return address
}

/** A Broadcast window and `watchers` Watch windows (default 1; `watch` is the first), live on a free port: see goLive. */
export async function openLiveStream(
  app: App,
  o: { watchers?: number; preset?: '480p' | '720p' } = {}
): Promise<{ broadcast: Page; watch: Page; watchers: Page[]; address: string; port: number }> {
  const port = await freePort()
  const broadcast = await app.open('broadcast')
  const watchers: Page[] = []
  for (let i = 0; i < (o.watchers ?? 1); i++) watchers.push(await app.open('watch'))
  const address = await goLive(broadcast, watchers, { port, ...(o.preset ? { preset: o.preset } : {}) })
  return { broadcast, watch: watchers[0]!, watchers, address, port }
}

export interface PaintSample {
  seq: number
  /** The fake camera's frame counter read back from the canvas pixels; null when unreadable. */
  counter: number | null
  capturedAtUs: number
  paintedAtUs: number
}

/**
 * Record every paint of the viewer canvas for `ms` milliseconds: the data attributes the viewer sets when it draws
 * (seq, capture and paint timestamps) and the counter read from the pixels just drawn.
 */
export async function samplePaints(page: Page, ms: number, clip: ClipSpec = CLIP_480P): Promise<PaintSample[]> {
  const centres = Array.from({ length: COUNTER_CELLS }, (_, i) => cellCentre(clip, i))
  await page.evaluate(recordViewerPaints, { name: 'sample', centres })
  await page.waitForTimeout(ms)
  const paints = await page.evaluate(takeViewerPaints, { name: 'sample', stop: true })
  return paints.map((p) => ({ seq: p.seq, counter: counterFromLumas(p.lumas), capturedAtUs: p.capturedAtUs, paintedAtUs: p.paintedAtUs }))
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
