import type { Page } from '@playwright/test'
import { analysePaints, connectWatch, expect, expectLive, freePort, samplePaints, screenshot, startBroadcast, test } from './app'

/** Tick "Smaller stream (H.264)" once the window has found out that this Chromium encodes H.264. */
async function chooseH264(broadcast: Page): Promise<void> {
  const box = broadcast.getByTestId('broadcast-h264')
  await expect(box).toHaveAttribute('data-support', 'yes', { timeout: 10_000 })
  await box.check()
  await expect(box).toBeChecked()
}

/**
 * Connect `watch` to `address` and return how long (ms, the page's own clock) it took from the click on Connect to the
 * first picture painted.
 */
async function timeToFirstPicture(watch: Page, address: string): Promise<number> {
  await watch.evaluate(() => {
    const g = window as unknown as { __fcFirst?: { clickedAt: number | null; paintedAt: number | null } }
    const first = (g.__fcFirst = { clickedAt: null as number | null, paintedAt: null as number | null })
    document.querySelector('[data-testid="watch-connect"]')!.addEventListener('click', () => (first.clickedAt ??= performance.now()), { capture: true })
    const canvasObserver = new MutationObserver(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-testid="viewer-canvas"]')
      if (canvas?.dataset.paintedAtUs && first.paintedAt === null) first.paintedAt = performance.now()
    })
    canvasObserver.observe(document.body, { attributes: true, subtree: true, attributeFilter: ['data-painted-at-us'] })
  })
  await connectWatch(watch, address)
  await expectLive(watch)
  const { clickedAt, paintedAt } = await watch.evaluate(() => (window as unknown as { __fcFirst: { clickedAt: number; paintedAt: number } }).__fcFirst)
  return paintedAt - clickedAt
}

test.describe('a broadcast in H.264', () => {
  test('a Watch window shows the H.264 picture at 25 fps or more, and a viewer joining mid-stream has a picture within a second', async ({ app }) => {
    const port = await freePort()
    const broadcast = await app.open('broadcast')
    await chooseH264(broadcast)
    const first = await app.open('watch')
    const address = await startBroadcast(broadcast, { port, preset: '480p' })
    await connectWatch(first, address)
    await expectLive(first)
    await expect(first.getByTestId('viewer-canvas')).toHaveAttribute('data-codec', 'h264')
    await expect(first.getByTestId('watch-banner-title')).toHaveText(`Live from ${address}`)
    // Let the stream settle (first frames, layout) before measuring the steady rate.
    await first.waitForTimeout(1_000)

    const samples = await samplePaints(first, 5_000)
    const r = analysePaints(samples)
    const stats = broadcast.getByTestId('broadcast-stats')
    console.log(
      `H.264 640×480 over 5 s: ${r.paints} paints, ${r.newFrames} new camera frames, ${r.unreadable} unreadable; ` +
        `broadcast ${await stats.getAttribute('data-codec')} at ${await stats.getAttribute('data-kbps')} kbps, ` +
        `encode ${await stats.getAttribute('data-encode-ms')} ms (p95 ${await stats.getAttribute('data-encode-ms-p95')})`
    )
    await expect(stats).toHaveAttribute('data-codec', 'h264')
    expect(r.unreadable, 'every painted frame carries a readable counter').toBe(0)
    expect(r.backwards, 'the counter never goes backwards').toBe(0)
    expect(r.seqIncreasing, 'data-seq increases with every paint').toBe(true)
    expect(r.newFrames / 5, 'delivered frames per second').toBeGreaterThanOrEqual(25)

    // A second viewer joins mid-stream: its first picture needs a keyframe, which the broadcaster makes when it joins.
    const second = await app.open('watch')
    const ms = await timeToFirstPicture(second, address)
    console.log(`H.264: a second viewer had its first picture ${Math.round(ms)} ms after pressing Connect`)
    expect(ms, 'ms from Connect to the first picture').toBeLessThan(1_000)
    const late = analysePaints(await samplePaints(second, 2_000))
    expect(late.unreadable, 'the late viewer reads every counter').toBe(0)
    expect(late.newFrames, 'the late viewer gets new frames').toBeGreaterThan(20)

    await screenshot(broadcast, 'broadcast-live-h264')
    await screenshot(second, 'watch-live-h264')
  })
})
