import { connectWatch, expect, expectLive, freePort, pairIfAsked, screenshot, startBroadcast, stopBroadcast, test } from './app'

// Finding the partner without typing: a Broadcast window lists itself on the network (DNS-SD; here over the browser
// host's loopback multicast DNS, as every spec keeps it) and a Watch window shows it, live, and connects on a click.

test.describe('broadcasters on the network appear in the Watch window', () => {
  test('a Watch window lists a broadcast as it starts, connects to it on a click, and drops it when it stops', async ({ app }) => {
    const port = await freePort()
    const watch = await app.open('watch')
    await expect(watch.getByTestId('discovered')).toBeVisible()
    const broadcast = await app.open('broadcast')
    await startBroadcast(broadcast, { port })
    const listedAs = broadcast.getByTestId('broadcast-advertised')
    await expect(listedAs).toContainText(' on ', { timeout: 5_000 })
    await screenshot(broadcast, 'broadcast-listed-on-network')

    // Other broadcasters may be listed too (other windows, other programs on this machine): this one has our port.
    const entry = watch.locator(`[data-testid="discovered-broadcaster"][data-address="127.0.0.1:${port}"]`)
    await expect(entry).toBeVisible({ timeout: 5_000 })
    await expect(entry).toContainText('Framecast, JPEG')
    await expect(entry).toContainText(`127.0.0.1:${port}`)
    // Private by default: the list says a code will be asked for, and shows the key it will be paired with.
    await expect(entry.getByTestId('discovered-pairing')).toBeVisible()
    await screenshot(watch, 'watch-lists-broadcaster')

    await entry.click()
    expect(await pairIfAsked(watch, broadcast)).toBe(true)
    await expectLive(watch)
    await expect(watch.getByTestId('watch-host')).toHaveValue('127.0.0.1')
    await expect(watch.getByTestId('watch-port')).toHaveValue(String(port))
    await expect(watch.getByTestId('discovered')).toHaveCount(0)
    await screenshot(watch, 'watch-live-from-list')

    await watch.getByTestId('watch-disconnect').click()
    await expect(watch.getByTestId('discovered')).toBeVisible()
    await expect(entry).toBeVisible()
    // Now paired: the list marks it so, by the fingerprint it advertises.
    await expect(entry.getByTestId('discovered-paired')).toBeVisible({ timeout: 5_000 })
    await screenshot(watch, 'watch-lists-paired-broadcaster')
    await stopBroadcast(broadcast)
    await expect(entry).toHaveCount(0, { timeout: 5_000 })
  })

  test('a broadcast with listing turned off is reached by its address only', async ({ app }) => {
    const port = await freePort()
    const watch = await app.open('watch')
    const broadcast = await app.open('broadcast', { settings: { advertise: false } })
    await expect(broadcast.getByTestId('broadcast-advertise')).not.toBeChecked()
    const address = await startBroadcast(broadcast, { port })
    // A listed broadcast shows up within about a second; give it well over that.
    await watch.waitForTimeout(2_500)
    await expect(watch.locator(`[data-testid="discovered-broadcaster"][data-address="127.0.0.1:${port}"]`)).toHaveCount(0)
    await expect(broadcast.getByTestId('broadcast-advertised')).toHaveCount(0)
    await connectWatch(watch, address)
    await pairIfAsked(watch, broadcast)
    await expectLive(watch)
  })
})
