// The paired-devices lists, as a person uses them: after pairing, the Watch window's device shows in the Broadcast
// window's list (devices allowed to watch) and the broadcaster in the Watch window's list (broadcasters paired with);
// renaming shows the new name; forgetting makes the next watch ask for the code again. One browser host of its own:
// a new installation that has paired with nothing (its two windows share one key, so each list holds the same device
// under its own role).

import type { Page } from '@playwright/test'
import { connectWatch, expect, expectLive, freePort, freshApp, screenshot, screenshotOf, shownPairingCode, startBroadcast, test, typePairingCode } from './app'

test.describe.configure({ timeout: 150_000 })

/** Rename the only device in `list` to `name` by typing it, as a person would. */
async function rename(list: ReturnType<Page['getByTestId']>, name: string): Promise<void> {
  await list.getByTestId('rename-device').click()
  const input = list.getByTestId('device-name-input')
  await expect(input).toBeFocused()
  await input.fill(name)
  await input.press('Enter')
  await expect(list.getByTestId('device-name')).toHaveText(name)
}

/** Forget the only device in `list`: Forget, read what it means, confirm. */
async function forget(list: ReturnType<Page['getByTestId']>, means: RegExp, shot?: string): Promise<void> {
  await list.getByTestId('forget-device').click()
  await expect(list.getByRole('group')).toContainText(means)
  if (shot !== undefined) await screenshotOf(list, shot)
  await list.getByTestId('forget-device-confirm').click()
  await expect(list.getByTestId('paired-device')).toHaveCount(0)
}

test('paired devices: both lists show the device after pairing, rename it, and forgetting asks for the code again', async ({ browser }) => {
  await freshApp(browser, async (app) => {
    const broadcast = await app.open('broadcast')
    const idleList = broadcast.getByTestId('idle-paired-devices')
    await idleList.locator('summary').click()
    await expect(idleList.getByTestId('paired-viewers')).toContainText('No device has paired yet')

    const address = await startBroadcast(broadcast, { port: await freePort() })
    const watch = await app.open('watch')
    await connectWatch(watch, address)
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'pairing', { timeout: 15_000 })
    await typePairingCode(watch, await shownPairingCode(broadcast))
    await expectLive(watch)

    // Broadcast window: the device allowed to watch, with its fingerprint and when it paired.
    const viewers = broadcast.getByTestId('paired-viewers')
    await expect(viewers.getByTestId('paired-device')).toHaveCount(1)
    const fingerprint = (await viewers.getByTestId('paired-device').getAttribute('data-fingerprint')) ?? ''
    expect(fingerprint).toMatch(/^[0-9a-f]{64}$/)
    const short = fingerprint.slice(0, 16).replace(/(.{4})(?=.)/g, '$1 ')
    await expect(viewers.getByTestId('paired-device')).toContainText(short)
    await expect(viewers.getByTestId('device-when')).toHaveText('Paired just now · last seen just now')
    await expect(viewers.getByRole('button', { name: /^Block / })).toBeVisible()

    // Watch window: the broadcaster paired with.
    await watch.getByText('Paired broadcasters').click()
    const broadcasters = watch.getByTestId('paired-broadcasters')
    await expect(broadcasters.getByTestId('paired-device')).toHaveCount(1)
    await expect(broadcasters.getByTestId('paired-device')).toHaveAttribute('data-fingerprint', fingerprint)
    await expect(broadcasters.getByRole('button', { name: /^Block / })).toHaveCount(0)

    await rename(viewers, 'Mia’s laptop')
    await rename(broadcasters, 'Studio camera')
    // The live viewer list names the viewer as renamed.
    await expect(broadcast.getByTestId('viewer-name')).toContainText('Mia’s laptop')
    // The names survive a reload of the window: they are kept on disk, not in the page.
    await broadcast.reload()
    await broadcast.getByTestId('idle-paired-devices').locator('summary').click()
    await expect(broadcast.getByTestId('paired-viewers').getByTestId('device-name')).toHaveText('Mia’s laptop')
    await screenshotOf(broadcast.getByTestId('paired-viewers'), 'devices-1-broadcast-list')
    await screenshotOf(broadcasters, 'devices-2-watch-list')

    // Forget on both sides; the next watch asks for the code again.
    const reloaded = broadcast.getByTestId('paired-viewers')
    await forget(reloaded, /need the pairing code to watch again/, 'devices-3-broadcast-forget-asks')
    await forget(broadcasters, /no longer be checked/)
    await expect(broadcasters).toContainText('None yet')
    await screenshotOf(broadcast.getByTestId('paired-viewers'), 'devices-4-broadcast-list-forgotten')

    const again = await startBroadcast(broadcast, { port: await freePort() })
    await watch.getByTestId('watch-disconnect').click()
    await connectWatch(watch, again)
    await expect(watch.getByTestId('watch-banner')).toHaveAttribute('data-state', 'pairing', { timeout: 15_000 })
    await typePairingCode(watch, await shownPairingCode(broadcast))
    await expectLive(watch)
    await expect(broadcast.getByTestId('paired-viewers').getByTestId('paired-device')).toHaveCount(1)
    await expect(broadcasters.getByTestId('paired-device')).toHaveCount(1)
    await screenshot(broadcast, 'devices-5-broadcast-live-paired-again')
  })
})
