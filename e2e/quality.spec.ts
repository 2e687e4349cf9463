import { expect, freePort, goLive, openLiveStream, screenshot, test } from './app'

test.describe('adaptive quality in words, from the Broadcast window to the Watch overlay', () => {
  test('a live broadcast says whether the network keeps up, lists delivery rate and RTT, and the overlay shows the picture', async ({ app }) => {
    const { broadcast, watch } = await openLiveStream(app, { preset: '480p' })
    // Loopback carries everything: the set quality (70 % by default) goes through at full size.
    const words = broadcast.getByTestId('broadcast-adaptation')
    await expect(words).toHaveText('Full quality (70 %): the network keeps up')
    await expect(words).toHaveAttribute('data-state', 'full')
    // The viewer acknowledges every frame: its delivery rate and RTT are measured.
    await expect(broadcast.getByTestId('viewer-delivery')).toHaveText(/^\d+(\.\d)? [kM]bit\/s · RTT \d+(\.\d)? ms$/)
    await expect(watch.getByTestId('viewer-stats').locator('[data-stat="quality"] dd')).toHaveText(/640 × 480$/)
    await screenshot(broadcast, 'broadcast-adaptation-full')
    await screenshot(watch, 'watch-quality-overlay')
  })

  test('with adaptation off the window says the quality is fixed at the setting', async ({ app }) => {
    const broadcast = await app.open('broadcast')
    const watch = await app.open('watch')
    await broadcast.getByTestId('broadcast-quality').fill('0.5')
    await broadcast.getByTestId('broadcast-adaptive').uncheck()
    await goLive(broadcast, [watch], { port: await freePort(), preset: '480p' })
    const words = broadcast.getByTestId('broadcast-adaptation')
    await expect(words).toHaveText('Fixed quality: 50 % (adaptation off)')
    await expect(words).toHaveAttribute('data-state', 'off')
    await screenshot(broadcast, 'broadcast-adaptation-off')
  })
})
