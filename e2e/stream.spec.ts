import type { Page } from '@playwright/test'
import { analysePaints, expect, openLiveStream, samplePaints, screenshot, test } from './app'

test.describe('streaming a camera from a Broadcast window to Watch windows', () => {
  test('a Watch window shows the broadcast camera at 25 fps or more at 640×480', async ({ app }) => {
    const { broadcast, watch, address, port } = await openLiveStream(app, { preset: '480p' })
    expect(address).toBe(`127.0.0.1:${port}`)
    await expect(watch.getByTestId('watch-banner-title')).toHaveText(`Live from ${address}`)
    await expect(broadcast.getByTestId('broadcast-viewer')).toHaveCount(1)
    // Let the stream settle (first frames, layout) before measuring the steady rate.
    await watch.waitForTimeout(1_000)

    const samples = await samplePaints(watch, 5_000)
    const r = analysePaints(samples)
    const stats = broadcast.getByTestId('broadcast-stats')
    console.log(
      `640×480 over 5 s: ${r.paints} paints, ${r.newFrames} new camera frames, ${r.unreadable} unreadable; ` +
        `broadcast captured ${await stats.getAttribute('data-capture-fps')} fps, sent ${await stats.getAttribute('data-out-fps')} fps, ` +
        `encode ${await stats.getAttribute('data-encode-ms')} ms (p95 ${await stats.getAttribute('data-encode-ms-p95')}), ` +
        `skipped while busy ${await stats.getAttribute('data-skipped')}`
    )
    expect(r.unreadable, 'every painted frame carries a readable counter').toBe(0)
    expect(r.backwards, 'the counter never goes backwards').toBe(0)
    expect(r.seqIncreasing, 'data-seq increases with every paint').toBe(true)
    expect(r.newFrames / 5, 'delivered frames per second').toBeGreaterThanOrEqual(25)

    await screenshot(broadcast, 'broadcast-live')
    await screenshot(watch, 'watch-live')
  })

  test('two Watch windows on one broadcaster are both live', async ({ app }) => {
    const { broadcast, watchers } = await openLiveStream(app, { watchers: 2 })
    const [first, second] = watchers as [Page, Page]
    await expect(broadcast.getByTestId('broadcast-viewer')).toHaveCount(2)
    await expect(broadcast.getByTestId('viewer-count')).toHaveText('2')

    const [a, b] = await Promise.all([samplePaints(first, 2_000), samplePaints(second, 2_000)])
    for (const [name, samples] of [['first', a], ['second', b]] as const) {
      const r = analysePaints(samples)
      expect(r.unreadable, `${name} watcher reads every counter`).toBe(0)
      expect(r.backwards, `${name} watcher's counter moves forward`).toBe(0)
      expect(r.newFrames, `${name} watcher gets new frames`).toBeGreaterThan(20)
    }
    await screenshot(broadcast, 'broadcast-two-viewers')
    await screenshot(second, 'watch-second-viewer-live')
  })
})
