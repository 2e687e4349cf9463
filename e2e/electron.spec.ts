/// <reference lib="dom" />
// The real desktop app under Electron. These run where an Electron binary is installed and a display is available;
// elsewhere (CI installs with ELECTRON_SKIP_BINARY_DOWNLOAD=1) they are skipped with the reason.

import { accessSync, constants, existsSync, readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { _electron, type ElectronApplication, expect, type Page, test } from '@playwright/test'
import { apiEvents, apiRequests } from '../src/shared/ipc'
import { freePort, startBroadcast } from './app'
import { ARTIFACT_DIR, CLIP_480P, FIXTURE_DIR } from './camera'
import { fixturePath } from '../tools/make-y4m'

const ROOT = resolve(__dirname, '..')

/**
 * Where the Electron binary is, without `require('electron')`: that call downloads the binary when it is missing,
 * and nothing may be downloaded here.
 */
function findElectron(): { path: string } | { skip: string } {
  const pkg = join(ROOT, 'node_modules/electron')
  const pathFile = join(pkg, 'path.txt')
  if (!existsSync(pathFile)) {
    return { skip: 'no Electron binary installed (node_modules/electron/path.txt is missing: installed with ELECTRON_SKIP_BINARY_DOWNLOAD)' }
  }
  const rel = readFileSync(pathFile, 'utf8').trim()
  const path = process.env.ELECTRON_OVERRIDE_DIST_PATH ? join(process.env.ELECTRON_OVERRIDE_DIST_PATH, rel) : join(pkg, 'dist', rel)
  try {
    accessSync(path, constants.X_OK)
  } catch {
    return { skip: `the Electron binary ${path} does not exist or is not executable` }
  }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { skip: 'no display for Electron windows (run the specs under xvfb-run)' }
  }
  if (!existsSync(join(ROOT, 'out/main/index.js'))) return { skip: 'no app build: run npx electron-vite build first' }
  return { path }
}

const electron = findElectron()
if ('skip' in electron) console.log(`Electron specs skipped: ${electron.skip}`)

test.describe('the desktop app (Electron)', () => {
  test.skip('skip' in electron, 'skip' in electron ? electron.skip : '')
  let app: ElectronApplication

  test.beforeEach(async () => {
    if (!('path' in electron)) return
    app = await _electron.launch({
      executablePath: electron.path,
      args: [
        ...(process.getuid?.() === 0 ? ['--no-sandbox'] : []),
        '--use-fake-ui-for-media-stream',
        '--use-fake-device-for-media-stream',
        `--use-file-for-fake-video-capture=${fixturePath(CLIP_480P, FIXTURE_DIR)}`,
        ROOT
      ],
      env: { ...process.env, NODE_ENV: 'production', ELECTRON_RENDERER_URL: '' }
    })
  })

  test.afterEach(async () => {
    await app?.close()
  })

  async function nextWindow(opened: Page[], hash: string): Promise<Page> {
    for (;;) {
      const w = opened.find((p) => p.url().endsWith(hash)) ?? (await app.waitForEvent('window'))
      if (w.url().endsWith(hash)) {
        await w.waitForLoadState('domcontentloaded')
        return w
      }
      opened.push(w)
    }
  }

  test('opens the start window with Broadcast and Watch, and each opens its own window', async () => {
    const start = await app.firstWindow()
    await expect(start.getByTestId('open-broadcast')).toBeVisible()
    await start.screenshot({ path: join(ARTIFACT_DIR, 'electron-start.png') })
    const seen: Page[] = [start]
    await start.getByTestId('open-watch').click()
    const watch = await nextWindow(seen, '#watch')
    await expect(watch.getByTestId('watch-form')).toBeVisible()
    await start.getByTestId('open-broadcast').click()
    const broadcast = await nextWindow(seen, '#broadcast')
    await expect(broadcast.getByTestId('broadcast-start')).toBeVisible()
    await watch.screenshot({ path: join(ARTIFACT_DIR, 'electron-watch-idle.png') })
    await broadcast.screenshot({ path: join(ARTIFACT_DIR, 'electron-broadcast-idle.png') })
  })

  test('gives pages the typed api and nothing of Node, and keeps them from opening or leaving', async () => {
    const start = await app.firstWindow()
    await expect(start.getByTestId('open-watch')).toBeVisible()
    const seen = await start.evaluate(() => ({
      require: typeof (window as unknown as { require?: unknown }).require,
      process: typeof (window as unknown as { process?: unknown }).process,
      api: Object.keys((window as unknown as { api: object }).api).sort(),
      popup: window.open('https://example.com/', '_blank') === null
    }))
    expect(seen.require).toBe('undefined')
    expect(seen.process).toBe('undefined')
    expect(seen.api).toEqual([...Object.keys(apiRequests), ...Object.keys(apiEvents)].sort())
    expect(seen.popup).toBe(true)
    const before = start.url()
    await start.evaluate(() => {
      location.href = 'https://example.com/'
    })
    await start.waitForTimeout(500)
    expect(start.url()).toBe(before)
  })

  test('streams the fake camera from a Broadcast window to a Watch window', async () => {
    const start = await app.firstWindow()
    const seen: Page[] = [start]
    await start.getByTestId('open-broadcast').click()
    const broadcast = await nextWindow(seen, '#broadcast')
    await start.getByTestId('open-watch').click()
    const watch = await nextWindow(seen, '#watch')

    const port = await freePort()
    // Listen on loopback only (tests never open ports on other interfaces), chosen in the form as a person would.
    await startBroadcast(broadcast, { port })

    await watch.getByTestId('watch-host').fill(`127.0.0.1:${port}`)
    await watch.getByTestId('watch-connect').click()
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'live', { timeout: 15_000 })
    const canvas = watch.getByTestId('viewer-canvas')
    await expect(canvas).toHaveAttribute('data-seq', /^\d+$/)
    const first = Number(await canvas.getAttribute('data-seq'))
    await expect.poll(async () => Number(await canvas.getAttribute('data-seq'))).toBeGreaterThan(first + 10)
    await broadcast.screenshot({ path: join(ARTIFACT_DIR, 'electron-broadcast-live.png') })
    await watch.screenshot({ path: join(ARTIFACT_DIR, 'electron-watch-live.png') })
  })
})
