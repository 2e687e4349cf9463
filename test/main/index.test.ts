import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { MenuItemConstructorOptions } from 'electron'

vi.mock('electron', () => import('./fake-electron'))

type Fake = typeof import('./fake-electron')
type SessionsModule = typeof import('../../src/service/sessions')

/** Load the main process from scratch (it starts itself on import), with a fresh fake Electron. */
async function launch(
  options: { gotLock?: boolean; isPackaged?: boolean; beforeImport?: (sessions: SessionsModule) => void } = {}
): Promise<Fake> {
  vi.resetModules()
  // A mocked module outlives resetModules: this is the same fake the main process imports.
  const fake = (await import('electron')) as unknown as Fake
  fake.resetFake()
  fake.app.gotLock = options.gotLock ?? true
  fake.app.isPackaged = options.isPackaged ?? false
  const sessions = await import('../../src/service/sessions')
  options.beforeImport?.(sessions)
  await import('../../src/main/index')
  return fake
}

async function ready(fake: Fake): Promise<void> {
  fake.app.becomeReady()
  await new Promise((r) => setImmediate(r))
}

function windows(fake: Fake, role?: string): InstanceType<Fake['BrowserWindow']>[] {
  return fake.BrowserWindow.getAllWindows().filter((w) => {
    const loaded = w.loaded
    const hash = loaded?.how === 'file' ? loaded.hash : loaded?.how === 'url' ? new URL(loaded.url).hash.slice(1) : undefined
    return role === undefined || hash === role
  })
}

function menuItem(fake: Fake, id: string): MenuItemConstructorOptions {
  const template = fake.Menu.current!.template as MenuItemConstructorOptions[]
  for (const top of template) {
    for (const item of (top.submenu as MenuItemConstructorOptions[] | undefined) ?? []) if (item.id === id) return item
  }
  throw new Error(`no menu item ${id}`)
}

function roles(fake: Fake): string[] {
  const out: string[] = []
  for (const top of fake.Menu.current!.template as MenuItemConstructorOptions[]) {
    if (top.role) out.push(top.role)
    for (const item of (top.submenu as MenuItemConstructorOptions[] | undefined) ?? []) if (item.role) out.push(item.role)
  }
  return out
}

let logSpy: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  logSpy = vi.spyOn(console, 'log').mockImplementation(() => undefined)
})
afterEach(() => {
  logSpy.mockRestore()
  vi.restoreAllMocks()
})

describe('main process lifecycle', () => {
  it('quits at once without opening anything when another instance holds the lock', async () => {
    const fake = await launch({ gotLock: false })
    expect(fake.app.requestSingleInstanceLock).toHaveBeenCalled()
    expect(fake.app.quit).toHaveBeenCalled()
    await ready(fake)
    expect(fake.BrowserWindow.all).toHaveLength(0)
    expect(fake.ipcMain.handlers.size).toBe(0)
    expect(fake.session.defaultSession.permissionRequestHandler).toBeNull()
  })

  it('on ready opens the start window, installs the permission handlers, the IPC handler and the menu', async () => {
    const fake = await launch()
    expect(fake.BrowserWindow.all).toHaveLength(0)
    await ready(fake)
    expect(windows(fake)).toHaveLength(1)
    expect(windows(fake, 'start')).toHaveLength(1)
    expect(fake.session.defaultSession.permissionRequestHandler).toBeTypeOf('function')
    expect(fake.session.defaultSession.permissionCheckHandler).toBeTypeOf('function')
    expect(fake.session.defaultSession.devicePermissionHandler).toBeTypeOf('function')
    expect(fake.session.defaultSession.beforeRequest).toBeTypeOf('function')
    expect([...fake.ipcMain.handlers.keys()]).toEqual(['framecast:request'])
    expect([...fake.protocol.handlers.keys()]).toEqual(['app'])
    expect(menuItem(fake, 'broadcast').accelerator).toBe('CmdOrCtrl+B')
    expect(menuItem(fake, 'watch').accelerator).toBe('CmdOrCtrl+Shift+W')
  })

  it('declares the app scheme privileged before it is ready, and serves its pages from it once ready', async () => {
    const fake = await launch()
    expect(fake.protocol.privileged).toEqual([
      { scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, corsEnabled: true, supportFetchAPI: true }) }
    ])
    await ready(fake)
    const start = windows(fake, 'start')[0]!
    expect(start.loaded).toEqual({ how: 'url', url: 'app://framecast/index.html#start' })
  })

  it('offers reload and developer tools only in an unpackaged build', async () => {
    const dev = await launch()
    await ready(dev)
    expect(roles(dev)).toEqual(expect.arrayContaining(['reload', 'toggleDevTools', 'togglefullscreen', 'editMenu']))

    const fake = await launch({ isPackaged: true })
    await ready(fake)
    const prod = roles(fake)
    expect(prod).toEqual(expect.arrayContaining(['togglefullscreen', 'editMenu', 'close']))
    expect(prod).not.toContain('reload')
    expect(prod).not.toContain('forceReload')
    expect(prod).not.toContain('toggleDevTools')
    expect(windows(fake)[0]!.options.webPreferences!['devTools']).toBe(false)
  })

  it('focuses the existing start window when a second instance starts, and reopens it if it was closed', async () => {
    const fake = await launch()
    await ready(fake)
    const [start] = windows(fake, 'start')
    start!.minimized = true
    fake.app.emit('second-instance', {}, ['framecast'], '/')
    expect(windows(fake)).toHaveLength(1)
    expect(start!.focusCount).toBe(1)
    expect(start!.minimized).toBe(false)

    start!.close()
    fake.app.emit('second-instance', {}, ['framecast'], '/')
    expect(windows(fake, 'start')).toHaveLength(1)
    expect(windows(fake, 'start')[0]).not.toBe(start)
  })

  it('keeps one Broadcast window (focused when chosen again) but opens a new Watch window each time', async () => {
    const fake = await launch()
    await ready(fake)
    const click = (id: string): void => (menuItem(fake, id).click as () => void)()
    click('broadcast')
    click('broadcast')
    click('watch')
    click('watch')
    expect(windows(fake, 'broadcast')).toHaveLength(1)
    expect(windows(fake, 'broadcast')[0]!.focusCount).toBe(1)
    expect(windows(fake, 'watch')).toHaveLength(2)
  })

  it('opens windows for app:open requests from the start window', async () => {
    const fake = await launch()
    await ready(fake)
    const start = windows(fake, 'start')[0]!.webContents
    const handler = fake.ipcMain.handlers.get('framecast:request')!
    const r = await handler({ sender: start, senderFrame: start.mainFrame }, 'app:open', { role: 'watch' })
    expect(r).toEqual({ ok: true, value: null })
    expect(windows(fake, 'watch')).toHaveLength(1)
  })

  it('waits for every session to close (BYE) before it lets the app quit', async () => {
    let finish!: () => void
    const closing = new Promise<void>((r) => (finish = r))
    let closeAll!: ReturnType<typeof vi.fn>
    const fake = await launch({
      beforeImport: (m) => {
        closeAll = vi.fn(() => closing)
        vi.spyOn(m.Sessions.prototype, 'closeAll').mockImplementation(closeAll as never)
      }
    })
    await ready(fake)
    fake.app.quit()
    expect(closeAll).toHaveBeenCalledTimes(1)
    expect(fake.app.quitted).toBe(false)
    fake.app.quit()
    expect(closeAll).toHaveBeenCalledTimes(1)
    await new Promise((r) => setTimeout(r, 20))
    expect(fake.app.quitted).toBe(false)
    finish()
    await new Promise((r) => setTimeout(r, 0))
    expect(fake.app.quitted).toBe(true)
  })

  it('quits after a grace period even if a peer never answers', async () => {
    vi.useFakeTimers()
    try {
      const fake = await launch({
        beforeImport: (m) => void vi.spyOn(m.Sessions.prototype, 'closeAll').mockImplementation(() => new Promise(() => undefined))
      })
      fake.app.becomeReady()
      await vi.advanceTimersByTimeAsync(0)
      fake.app.quit()
      await vi.advanceTimersByTimeAsync(1_000)
      expect(fake.app.quitted).toBe(false)
      await vi.advanceTimersByTimeAsync(1_500)
      expect(fake.app.quitted).toBe(true)
    } finally {
      vi.useRealTimers()
    }
  })

  it('quits when the last window closes except on macOS', async () => {
    const fake = await launch()
    await ready(fake)
    const quits = fake.app.quit.mock.calls.length
    fake.app.emit('window-all-closed')
    expect(fake.app.quit.mock.calls.length).toBe(process.platform === 'darwin' ? quits : quits + 1)
  })
})
