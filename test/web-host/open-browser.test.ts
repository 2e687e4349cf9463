// Opening the start page in the default browser: which command each platform gets, when it is skipped, and a real
// spawn of a stand-in browser that records the URL it was given.

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { browserCommand, openInBrowser } from '../../src/web-host/open-browser'
import { waitUntil } from '../support/net'

const URL = 'http://127.0.0.1:5199/?token=abc-_123#watch'
const dir = mkdtempSync(join(tmpdir(), 'framecast-open-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('browserCommand', () => {
  it('uses $BROWSER on every platform, and BROWSER=none opts out', () => {
    expect(browserCommand(URL, { env: { BROWSER: '/opt/firefox' }, platform: 'linux' })).toEqual({ file: '/opt/firefox', args: [URL] })
    expect(browserCommand(URL, { env: { BROWSER: 'none', DISPLAY: ':0' }, platform: 'darwin' })).toEqual({ reason: 'BROWSER=none' })
  })

  it('uses open on macOS and start on Windows', () => {
    expect(browserCommand(URL, { env: {}, platform: 'darwin' })).toEqual({ file: 'open', args: [URL] })
    expect(browserCommand(URL, { env: {}, platform: 'win32' })).toEqual({ file: 'cmd', args: ['/d', '/s', '/c', `start "" "${URL}"`] })
  })

  it('uses xdg-open under X11 or Wayland and nothing without a display', () => {
    expect(browserCommand(URL, { env: { DISPLAY: ':0' }, platform: 'linux' })).toEqual({ file: 'xdg-open', args: [URL] })
    expect(browserCommand(URL, { env: { WAYLAND_DISPLAY: 'wayland-0' }, platform: 'freebsd' })).toEqual({ file: 'xdg-open', args: [URL] })
    expect(browserCommand(URL, { env: {}, platform: 'linux' })).toEqual({ reason: 'no display' })
  })
})

describe('openInBrowser', () => {
  it('starts the browser command with the URL and does not wait for it to exit', async () => {
    const seen = join(dir, 'seen.txt')
    const release = join(dir, 'release')
    const browser = join(dir, 'browser.sh')
    // A browser that records its argument and stays open until the test lets it go.
    writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${seen}'\nwhile [ -d '${dir}' ] && [ ! -e '${release}' ]; do sleep 0.1; done\n`)
    chmodSync(browser, 0o755)
    // Were openInBrowser to wait for the browser to exit, it would never resolve: the release comes after it.
    const result = await openInBrowser(URL, { env: { ...process.env, BROWSER: browser }, platform: 'linux' })
    expect(result).toEqual({ opened: true, command: browser })
    writeFileSync(release, '')
    await waitUntil(() => {
      try {
        return readFileSync(seen, 'utf8') === URL
      } catch {
        return false
      }
    }, 10_000, 'the stand-in browser to record the URL')
  })

  it('reports a missing command instead of throwing', async () => {
    const result = await openInBrowser(URL, { env: { BROWSER: join(dir, 'no-such-browser') }, platform: 'linux' })
    expect(result).toEqual({ opened: false, reason: `${join(dir, 'no-such-browser')}: ENOENT` })
  })

  it('does nothing without a display', async () => {
    expect(await openInBrowser(URL, { env: {}, platform: 'linux' })).toEqual({ opened: false, reason: 'no display' })
  })
})
