// Private by default, as a person sees it: the Broadcast window shows a code, the Watch window asks for it, a wrong
// code is refused in words, the right one pairs and the next connection needs none; Kick and Block; and the open
// choice with its warning. Each test runs its own browser host: a new installation that has paired with nothing.

import {
  connectWatch,
  expect,
  expectLive,
  freePort,
  freshApp,
  screenshot,
  shownPairingCode,
  startBroadcast,
  test,
  typePairingCode
} from './app'

// Each test starts a browser host of its own and walks through many steps.
test.describe.configure({ timeout: 150_000 })

test('pairing: Broadcast shows a code, Watch asks for it, a wrong one is refused, the right one pairs for good', async ({ browser }) => {
  await freshApp(browser, async (app) => {
    const broadcast = await app.open('broadcast')
    await expect(broadcast.getByTestId('broadcast-access')).toHaveAttribute('data-access', 'private')
    const address = await startBroadcast(broadcast, { port: await freePort() })
    const code = await shownPairingCode(broadcast)
    await expect(broadcast.getByTestId('pairing-card')).toContainText('paired devices only')
    await screenshot(broadcast, 'pairing-1-broadcast-shows-code')

    const watch = await app.open('watch')
    await connectWatch(watch, address)
    const banner = watch.getByTestId('watch-banner')
    await expect(banner).toHaveAttribute('data-state', 'pairing', { timeout: 15_000 })
    await expect(watch.getByTestId('watch-banner-title')).toHaveText(`${address} asks for its pairing code`)
    await expect(watch.getByTestId('pairing-code-input')).toBeFocused()
    await screenshot(watch, 'pairing-2-watch-asks-for-code')

    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0')
    await typePairingCode(watch, wrong)
    await expect(banner).toHaveAttribute('data-code', 'PAIRING_FAILED', { timeout: 10_000 })
    await expect(banner).toHaveAttribute('data-state', 'pairing')
    await expect(watch.getByTestId('watch-banner-detail')).toContainText(`That is not the code ${address} shows`)
    await screenshot(watch, 'pairing-3-watch-wrong-code')

    await typePairingCode(watch, code)
    await expectLive(watch)
    await expect(watch.getByTestId('watch-security')).toHaveAttribute('data-encrypted', 'true')
    await expect(watch.getByTestId('watch-security')).toContainText('Encrypted, paired device')
    await screenshot(watch, 'pairing-4-watch-paired-live')

    const viewer = broadcast.getByTestId('broadcast-viewer')
    await expect(viewer).toHaveCount(1)
    await expect(broadcast.getByTestId('block-viewer')).toBeVisible()
    await expect(broadcast.getByTestId('paired-device')).toHaveCount(1)
    // A used code is replaced at once.
    await expect(broadcast.getByTestId('pairing-code')).not.toHaveAttribute('data-code', code)
    await screenshot(broadcast, 'pairing-5-broadcast-paired-viewer')

    // Kicked: the watch stops and says so; connecting again needs no code.
    await broadcast.getByTestId('kick-viewer').click()
    await expect(banner).toHaveAttribute('data-code', 'KICKED', { timeout: 10_000 })
    await expect(banner).toHaveAttribute('data-state', 'error')
    await watch.getByTestId('watch-connect').click()
    await expectLive(watch)

    // Blocked: refused from now on, in words.
    await broadcast.getByTestId('block-viewer').click()
    await expect(banner).toHaveAttribute('data-code', 'BLOCKED', { timeout: 10_000 })
    await expect(watch.getByTestId('watch-banner-title')).toContainText('has blocked this device')
    await watch.getByTestId('watch-connect').click()
    await expect(banner).toHaveAttribute('data-code', 'BLOCKED', { timeout: 10_000 })
    await expect(broadcast.getByTestId('broadcast-viewer')).toHaveCount(0)
    await screenshot(watch, 'pairing-6-watch-blocked')
  })
})

test('open mode is a choice with a plain warning, and the Watch window says the stream is unencrypted', async ({ browser }) => {
  await freshApp(browser, async (app) => {
    const broadcast = await app.open('broadcast')
    await broadcast.getByTestId('broadcast-access-open').check()
    await expect(broadcast.getByTestId('open-warning')).toContainText('unencrypted')
    await screenshot(broadcast, 'open-1-broadcast-warning')
    const address = await startBroadcast(broadcast, { port: await freePort() })
    await expect(broadcast.getByTestId('open-broadcast-warning')).toContainText('anyone on this network can watch, unencrypted')
    await expect(broadcast.getByTestId('pairing-card')).toHaveCount(0)

    const watch = await app.open('watch')
    await connectWatch(watch, address)
    await expectLive(watch)
    await expect(watch.getByTestId('watch-security')).toHaveAttribute('data-encrypted', 'false')
    await expect(watch.getByTestId('watch-security')).toContainText('Unencrypted')
    await screenshot(broadcast, 'open-2-broadcast-live')
    await screenshot(watch, 'open-3-watch-unencrypted')
  })
})
