import { analysePaints, connectWatch, expect, freePort, goLive, openLiveStream, samplePaints, screenshot, stopBroadcast, test } from './app'

test.describe('what a person sees when watching goes wrong', () => {
  test('an invalid address gets an inline error and nothing is started', async ({ app }) => {
    const watch = await app.open('watch')
    await screenshot(watch, 'watch-idle')
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'idle')

    await connectWatch(watch, '300.1.2.3')
    const error = watch.getByTestId('watch-host-error')
    await expect(error).toBeVisible()
    await expect(error).toHaveText('That is not an IP address or a host name')
    await expect(watch.getByTestId('watch-host')).toHaveAttribute('aria-invalid', 'true')
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'idle')
    await screenshot(watch, 'watch-invalid-address')

    await connectWatch(watch, '10.0.0.1:99999')
    await expect(watch.getByTestId('watch-port-error')).toHaveText('The port must be between 1 and 65535')
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'idle')
  })

  test('connecting where nothing listens says so in words', async ({ app }) => {
    const port = await freePort()
    const watch = await app.open('watch')
    await connectWatch(watch, `127.0.0.1:${port}`)
    const banner = watch.getByTestId('watch-banner')
    await expect(banner).toHaveAttribute('data-code', 'CONNECTION_REFUSED')
    await expect(banner).toContainText(`Nothing is listening on 127.0.0.1:${port} — is Broadcast started there?`)
    await screenshot(watch, 'watch-nothing-listening')
  })

  test('a stopped broadcast shows as lost and comes back live when Broadcast starts again', async ({ app }) => {
    const port = await freePort()
    const broadcast = await app.open('broadcast')
    const watch = await app.open('watch')
    await screenshot(broadcast, 'broadcast-idle')

    const address = await goLive(broadcast, [watch], { port })

    await stopBroadcast(broadcast)
    await screenshot(broadcast, 'broadcast-stopped')
    const banner = watch.getByTestId('watch-banner')
    await expect(banner).toHaveAttribute('data-state', /^(lost|reconnecting|connecting)$/)
    await expect(watch.getByTestId('watch-banner-title')).toContainText(address)
    // The last picture stays, dimmed, and what is written over it says what is going on.
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', /^(lost|reconnecting)$/)
    await expect(watch.getByTestId('viewer-message')).toHaveText('Connection lost — reconnecting…')
    await screenshot(watch, 'watch-lost')
    const seqBefore = Number(await watch.getByTestId('viewer-canvas').getAttribute('data-seq'))

    await broadcast.getByTestId('broadcast-start').click()
    await expect(broadcast.getByTestId('broadcast-phase')).toHaveAttribute('data-phase', 'live', { timeout: 15_000 })
    await expect(banner).toHaveAttribute('data-state', 'live', { timeout: 15_000 })
    const r = analysePaints(await samplePaints(watch, 1_500))
    expect(r.newFrames, 'new frames after the restart').toBeGreaterThan(20)
    expect(r.unreadable).toBe(0)
    // A restarted broadcaster numbers its frames afresh; the viewer must paint them anyway.
    expect(Number(await watch.getByTestId('viewer-canvas').getAttribute('data-seq'))).not.toBe(seqBefore)
    await screenshot(watch, 'watch-live-again')
  })
})

test('a camera unplugged mid-stream: Broadcast offers Retry, Watch shows stalled, Retry brings the picture back', async ({ app }) => {
  const { broadcast, watch } = await openLiveStream(app)

  // What the browser does when a camera goes away: the track ends and says so.
  await broadcast.evaluate(() => {
    const video = document.querySelector<HTMLVideoElement>('[data-testid="broadcast-preview"]')
    const track = (video?.srcObject as MediaStream | null)?.getVideoTracks()[0]
    if (!track) throw new Error('no camera track')
    track.stop()
    track.dispatchEvent(new Event('ended'))
  })
  await expect(broadcast.getByTestId('camera-problem')).toHaveAttribute('data-kind', 'unplugged')
  // The preview shows the problem instead of a LIVE badge over a black picture, and capture says it stopped.
  await expect(broadcast.getByTestId('broadcast-preview-frame')).toHaveAttribute('data-camera', 'unplugged')
  await expect(broadcast.getByTestId('preview-camera-problem')).toContainText('The camera was unplugged')
  await expect(broadcast.getByTestId('preview-live-badge')).toHaveCount(0)
  await expect(broadcast.getByTestId('broadcast-stats')).toHaveAttribute('data-capture-fps', '0.00')
  await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'stalled', { timeout: 10_000 })
  await screenshot(broadcast, 'broadcast-camera-unplugged')
  await screenshot(watch, 'watch-stalled')

  await broadcast.getByTestId('camera-retry').click()
  await expect(broadcast.getByTestId('camera-problem')).toHaveCount(0)
  await expect(broadcast.getByTestId('preview-live-badge')).toBeVisible()
  await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'live', { timeout: 10_000 })
  const r = analysePaints(await samplePaints(watch, 1_500))
  expect(r.newFrames, 'new frames after Retry').toBeGreaterThan(20)
})

test('the start window offers Broadcast and Watch', async ({ app }) => {
  const start = await app.open('start')
  await expect(start.getByTestId('open-broadcast')).toBeVisible()
  await expect(start.getByTestId('open-watch')).toBeVisible()
  await screenshot(start, 'start')
  const popup = start.waitForEvent('popup')
  await start.getByTestId('open-watch').click()
  const watch = await popup
  await expect(watch.getByTestId('watch-form')).toBeVisible()
  expect(new URL(watch.url()).hash).toBe('#watch')
})
