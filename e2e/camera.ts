// The fake camera the e2e specs and the e2e benchmark run Chromium with: a generated .y4m clip whose frames carry a
// frame counter (tools/make-y4m.ts), and the Chromium flags that play it.

import { resolve } from 'node:path'
import { type ClipSpec, fixturePath } from '../tools/make-y4m'

export const FIXTURE_DIR = resolve(__dirname, '.fixtures')
export const ARTIFACT_DIR = resolve(__dirname, 'artifacts')

export const CLIP_480P: ClipSpec = { width: 640, height: 480, fps: 30, frames: 120 }
export const CLIP_720P: ClipSpec = { width: 1280, height: 720, fps: 30, frames: 120 }

/** Debian's Chromium; FRAMECAST_CHROMIUM overrides it. */
export const CHROMIUM = process.env.FRAMECAST_CHROMIUM ?? '/usr/bin/chromium'

/** Flags for headless Chromium as root in a container, with a fake camera that plays `clip`. */
export function chromiumArgs(clip: ClipSpec): string[] {
  return [
    '--headless=new',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
    '--disable-sync',
    '--use-fake-ui-for-media-stream',
    '--use-fake-device-for-media-stream',
    `--use-file-for-fake-video-capture=${fixturePath(clip, FIXTURE_DIR)}`,
    // Pages in background tabs and occluded windows must keep painting at full rate.
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows'
  ]
}
