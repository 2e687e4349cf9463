import { defineConfig } from '@playwright/test'
import { CHROMIUM, chromiumArgs, CLIP_480P } from './e2e/camera'

// Multicast DNS (broadcasts listing themselves, Watch windows browsing) stays on loopback in every spec: the browser
// host and the Electron app inherit this, and no spec multicasts onto a real network.
process.env.FRAMECAST_MDNS_INTERFACE ??= '127.0.0.1'

// End-to-end specs: the real renderer build and the real session services and TCP core, driven in Debian's
// Chromium through the browser host (src/web-host/server.ts), with a generated fake camera (e2e/global-setup.ts).
export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  globalSetup: './e2e/global-setup.ts',
  workers: 1,
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: [['list']],
  use: {
    viewport: { width: 1280, height: 800 },
    screenshot: 'only-on-failure',
    trace: 'off',
    launchOptions: { executablePath: CHROMIUM, args: chromiumArgs(CLIP_480P) }
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }]
})
