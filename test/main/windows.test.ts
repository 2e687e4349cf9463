import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { app, BrowserWindow, FakeSession, type FakeWebContents } from './fake-electron'
import { APP_ORIGIN, APP_PAGE_URL } from '../../src/main/app-protocol'
import {
  blockRemoteRequests,
  createWindow,
  installPermissionHandlers,
  isAppOrigin,
  isAppUrl,
  onWindowGone,
  rendererDir,
  windowRole,
  windowsWithRole
} from '../../src/main/windows'
import type { WindowRole } from '../../src/shared/ipc'

vi.mock('electron', () => import('./fake-electron'))

function open(role: WindowRole): { win: BrowserWindow; wc: FakeWebContents } {
  const win = createWindow(role) as unknown as BrowserWindow
  return { win, wc: win.webContents }
}

function navigationEvent(url: string): { url: string; preventDefault: ReturnType<typeof vi.fn> } {
  return { url, preventDefault: vi.fn() }
}

const created: BrowserWindow[] = []
afterEach(() => {
  for (const w of BrowserWindow.all.splice(0)) if (!w.destroyed) w.close()
  created.length = 0
  delete process.env['ELECTRON_RENDERER_URL']
  app.isPackaged = false
})

describe('createWindow', () => {
  it('creates every window with hardened web preferences and our preload', () => {
    for (const role of ['start', 'broadcast', 'watch'] as const) {
      const { win } = open(role)
      const prefs = win.options.webPreferences!
      expect(prefs['contextIsolation']).toBe(true)
      expect(prefs['sandbox']).toBe(true)
      expect(prefs['nodeIntegration']).toBe(false)
      expect(prefs['nodeIntegrationInWorker']).toBe(false)
      expect(prefs['nodeIntegrationInSubFrames']).toBe(false)
      expect(prefs['webSecurity']).toBe(true)
      expect(prefs['allowRunningInsecureContent']).toBe(false)
      expect(prefs['experimentalFeatures']).toBe(false)
      expect(prefs['navigateOnDragDrop']).toBe(false)
      expect(prefs['spellcheck']).toBe(false)
      expect(prefs['webviewTag']).toBe(false)
      expect(prefs['disableBlinkFeatures']).toBe('Auxclick')
      expect(String(prefs['preload'])).toMatch(/[/\\]preload[/\\]index\.js$/)
    }
  })

  it('creates the window hidden and shows it on ready-to-show', () => {
    const { win } = open('watch')
    expect(win.options['show']).toBe(false)
    expect(win.visible).toBe(false)
    win.emit('ready-to-show')
    expect(win.visible).toBe(true)
  })

  it('loads the built page from the app scheme, with the role as the hash, in production', () => {
    const { win } = open('broadcast')
    expect(win.loaded).toEqual({ how: 'url', url: 'app://framecast/index.html#broadcast' })
  })

  it('loads the dev server URL with the role as the hash in development', () => {
    process.env['ELECTRON_RENDERER_URL'] = 'http://localhost:5173'
    const { win } = open('watch')
    expect(win.loaded).toEqual({ how: 'url', url: 'http://localhost:5173/#watch' })
  })

  it('denies every window.open', () => {
    const { wc } = open('start')
    expect(wc.windowOpenHandler!({ url: 'https://example.com/' })).toEqual({ action: 'deny' })
    expect(wc.windowOpenHandler!({ url: wc.url })).toEqual({ action: 'deny' })
  })

  it('prevents navigation and redirects to any other URL but lets the app page change its hash', () => {
    const { wc } = open('watch')
    for (const kind of ['will-navigate', 'will-redirect']) {
      const away = [
        'https://example.com/',
        'file:///etc/passwd',
        pathToFileURL(join(rendererDir(), 'index.html')).href,
        'app://framecast/other.html',
        'app://elsewhere/index.html',
        'app://user@framecast/index.html',
        `${wc.url.split('#')[0]}?x=1`,
        'not a url'
      ]
      for (const url of away) {
        const e = navigationEvent(url)
        wc.emit(kind, e)
        expect(e.preventDefault, `${kind} ${url}`).toHaveBeenCalled()
      }
      for (const url of [`${APP_PAGE_URL}#watch`, `${APP_ORIGIN}/#broadcast`]) {
        const same = navigationEvent(url)
        wc.emit(kind, same)
        expect(same.preventDefault, `${kind} ${url}`).not.toHaveBeenCalled()
      }
    }
  })

  it('prevents navigation away from the dev server in development', () => {
    process.env['ELECTRON_RENDERER_URL'] = 'http://localhost:5173'
    const { wc } = open('broadcast')
    const away = navigationEvent('http://localhost:5174/')
    wc.emit('will-navigate', away)
    expect(away.preventDefault).toHaveBeenCalled()
    const home = navigationEvent('http://localhost:5173/#broadcast')
    wc.emit('will-navigate', home)
    expect(home.preventDefault).not.toHaveBeenCalled()
  })

  it('prevents attaching a webview', () => {
    const { wc } = open('broadcast')
    const e = navigationEvent('')
    wc.emit('will-attach-webview', e, {}, {})
    expect(e.preventDefault).toHaveBeenCalled()
  })

  it('remembers the role of each window until it closes, and says when it is gone', () => {
    const gone: number[] = []
    const off = onWindowGone((id) => gone.push(id))
    const a = open('watch')
    const b = open('watch')
    const c = open('broadcast')
    expect(windowRole(a.wc.id)).toBe('watch')
    expect(windowRole(c.wc.id)).toBe('broadcast')
    expect(windowsWithRole('watch')).toHaveLength(2)
    a.win.close()
    expect(windowRole(a.wc.id)).toBeUndefined()
    expect(windowsWithRole('watch')).toEqual([b.win])
    expect(gone).toEqual([a.wc.id])
    c.wc.emit('render-process-gone', {}, { reason: 'crashed' })
    expect(gone).toEqual([a.wc.id, c.wc.id])
    off()
    expect(windowRole(99_999)).toBeUndefined()
  })

  it('treats only our renderer page as the app URL, and only the app scheme as its origin', () => {
    expect(isAppUrl(APP_PAGE_URL)).toBe(true)
    expect(isAppUrl(`${APP_PAGE_URL}#broadcast`)).toBe(true)
    expect(isAppUrl('https://example.com/index.html')).toBe(false)
    expect(isAppUrl('file:///tmp/index.html')).toBe(false)
    expect(isAppUrl(pathToFileURL(join(rendererDir(), 'index.html')).href)).toBe(false)
    expect(isAppOrigin(APP_ORIGIN)).toBe(true)
    expect(isAppOrigin(`${APP_ORIGIN}/`)).toBe(true)
    for (const origin of ['file://', 'file:///', 'app://elsewhere', 'https://framecast', 'null']) expect(isAppOrigin(origin), origin).toBe(false)
  })
})

describe('a packaged app', () => {
  const foreign = 'http://203.0.113.7:8080/'

  it('ignores ELECTRON_RENDERER_URL: it loads its own page, stays there, and keeps the camera to itself', () => {
    app.isPackaged = true
    process.env['ELECTRON_RENDERER_URL'] = foreign
    const { win, wc } = open('broadcast')
    expect(win.loaded).toEqual({ how: 'url', url: `${APP_PAGE_URL}#broadcast` })
    expect(isAppUrl(`${foreign}#broadcast`)).toBe(false)
    const away = navigationEvent(`${foreign}#broadcast`)
    wc.emit('will-navigate', away)
    expect(away.preventDefault).toHaveBeenCalled()

    const ses = new FakeSession()
    installPermissionHandlers(ses as never, () => undefined)
    let granted: boolean | undefined
    wc.url = `${foreign}#broadcast`
    ;(ses.permissionRequestHandler as unknown as (...a: unknown[]) => void)(wc, 'media', (g: boolean) => (granted = g), {
      requestingUrl: wc.url,
      securityOrigin: 'http://203.0.113.7:8080',
      mediaTypes: ['video'],
      isMainFrame: true
    })
    expect(granted).toBe(false)
  })

  it('ignores ELECTRON_RENDERER_URL when deciding which remote requests to let through', () => {
    app.isPackaged = true
    process.env['ELECTRON_RENDERER_URL'] = foreign
    const ses = new FakeSession()
    blockRemoteRequests(ses as never, () => undefined)
    let cancel: boolean | undefined
    ses.beforeRequest!({ url: `${foreign}assets/index.js` }, (r) => (cancel = r.cancel))
    expect(cancel).toBe(true)
  })
})

describe('permission handlers', () => {
  let ses: FakeSession
  const logs: string[] = []
  beforeEach(() => {
    ses = new FakeSession()
    logs.length = 0
    installPermissionHandlers(ses as never, (line) => logs.push(line))
  })

  function request(wc: FakeWebContents | null, permission: string, details: Record<string, unknown>): boolean {
    let granted: boolean | undefined
    ;(ses.permissionRequestHandler as unknown as (...a: unknown[]) => void)(wc, permission, (g: boolean) => (granted = g), {
      requestingUrl: wc?.url ?? '',
      isMainFrame: true,
      ...details
    })
    expect(granted, 'the callback must be called').toBeTypeOf('boolean')
    return granted!
  }
  function check(wc: FakeWebContents | null, permission: string, origin: string, details: Record<string, unknown>): boolean {
    return (ses.permissionCheckHandler as unknown as (...a: unknown[]) => boolean)(wc, permission, origin, {
      isMainFrame: true,
      requestingUrl: wc?.url ?? '',
      ...details
    })
  }

  it('allows the camera (video only) for the Broadcast window', () => {
    const { wc } = open('broadcast')
    expect(request(wc, 'media', { mediaTypes: ['video'], securityOrigin: APP_ORIGIN })).toBe(true)
    expect(check(wc, 'media', APP_ORIGIN, { mediaType: 'video' })).toBe(true)
    expect(request(wc, 'media', { mediaTypes: ['video'], securityOrigin: 'file:///' })).toBe(false)
    expect(check(wc, 'media', 'file:///', { mediaType: 'video' })).toBe(false)
  })

  it('refuses the microphone, even together with the camera, in the Broadcast window', () => {
    const { wc } = open('broadcast')
    expect(request(wc, 'media', { mediaTypes: ['audio'] })).toBe(false)
    expect(request(wc, 'media', { mediaTypes: ['video', 'audio'] })).toBe(false)
    expect(request(wc, 'media', { mediaTypes: [] })).toBe(false)
    expect(request(wc, 'media', {})).toBe(false)
    expect(check(wc, 'media', APP_ORIGIN, { mediaType: 'audio' })).toBe(false)
    expect(check(wc, 'media', APP_ORIGIN, { mediaType: 'unknown' })).toBe(false)
    expect(logs.some((l) => l.includes("'media' denied"))).toBe(true)
  })

  it('refuses every other permission in the Broadcast window', () => {
    const { wc } = open('broadcast')
    for (const p of ['geolocation', 'notifications', 'openExternal', 'clipboard-read', 'display-capture', 'midi', 'hid', 'serial', 'usb', 'fullscreen', 'pointerLock', 'unknown']) {
      expect(request(wc, p, { mediaTypes: ['video'] }), p).toBe(false)
      expect(check(wc, p, APP_ORIGIN, { mediaType: 'video' }), p).toBe(false)
    }
  })

  it('refuses the camera to the start and Watch windows and to anything we did not create', () => {
    for (const role of ['start', 'watch'] as const) {
      const { wc } = open(role)
      expect(request(wc, 'media', { mediaTypes: ['video'] }), role).toBe(false)
      expect(check(wc, 'media', APP_ORIGIN, { mediaType: 'video' }), role).toBe(false)
    }
    const { wc } = open('broadcast')
    wc.url = 'https://example.com/'
    expect(request(wc, 'media', { mediaTypes: ['video'] })).toBe(false)
    expect(check(wc, 'media', 'https://example.com', { mediaType: 'video' })).toBe(false)
    expect(check(null, 'media', APP_ORIGIN, { mediaType: 'video' })).toBe(false)
  })

  it('refuses the camera to a Broadcast window whose request comes from another origin', () => {
    const { wc } = open('broadcast')
    expect(request(wc, 'media', { mediaTypes: ['video'], requestingUrl: 'https://example.com/' })).toBe(false)
    expect(request(wc, 'media', { mediaTypes: ['video'], securityOrigin: 'https://example.com' })).toBe(false)
    expect(check(wc, 'media', 'https://example.com', { mediaType: 'video' })).toBe(false)
  })

  it('refuses every device permission', () => {
    expect((ses.devicePermissionHandler as unknown as (d: unknown) => boolean)({ deviceType: 'usb', origin: 'file://' })).toBe(false)
  })

  it('cancels remote requests and allows only the dev server in development', () => {
    const decide = (url: string): boolean => {
      let cancel: boolean | undefined
      ses.beforeRequest!({ url }, (r) => (cancel = r.cancel))
      return cancel!
    }
    blockRemoteRequests(ses as never, () => undefined)
    expect(decide('https://example.com/x.js')).toBe(true)
    process.env['ELECTRON_RENDERER_URL'] = 'http://localhost:5173'
    blockRemoteRequests(ses as never, () => undefined)
    expect(decide('http://localhost:5173/src/main.tsx')).toBe(false)
    expect(decide('ws://localhost:5173/')).toBe(false)
    expect(decide('http://localhost:8080/')).toBe(true)
  })
})
