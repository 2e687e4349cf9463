// The one hardened BrowserWindow factory, the registry of windows we created (webContents id -> role), and the
// session-wide permission policy: camera (video) for the Broadcast window, nothing else anywhere.

import { join } from 'node:path'
import { app, BrowserWindow, type Session, type WebContents } from 'electron'
import type { WindowRole } from '../shared/ipc'
import { APP_PAGE_URL } from './app-protocol'

const WINDOW_SIZE: Record<WindowRole, { width: number; height: number; minWidth: number; minHeight: number }> = {
  start: { width: 560, height: 400, minWidth: 420, minHeight: 320 },
  broadcast: { width: 1100, height: 760, minWidth: 720, minHeight: 520 },
  watch: { width: 1100, height: 740, minWidth: 560, minHeight: 420 }
}

const TITLES: Record<WindowRole, string> = { start: 'Framecast', broadcast: 'Framecast — Broadcast', watch: 'Framecast — Watch' }

/** out/main/index.js sits next to out/preload and out/renderer once built. */
function outDir(): string {
  return join(__dirname, '..')
}

export function preloadPath(): string {
  return join(outDir(), 'preload', 'index.js')
}

/** The renderer build the app:// scheme serves. */
export function rendererDir(): string {
  return join(outDir(), 'renderer')
}

/**
 * The dev server URL electron-vite hands us in development; undefined in a previewed build and always in a packaged
 * app, whatever the environment says: there, ELECTRON_RENDERER_URL would make any web page the app, camera included.
 */
function devServerUrl(): URL | undefined {
  const raw = process.env['ELECTRON_RENDERER_URL']
  if (!raw || app.isPackaged) return undefined
  try {
    const u = new URL(raw)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u : undefined
  } catch {
    return undefined
  }
}

/** The page every window loads, without the role hash: app://framecast/index.html, or the dev server's page. */
export function appUrl(): URL {
  const dev = devServerUrl()
  if (dev) return new URL(dev.origin + dev.pathname)
  return new URL(APP_PAGE_URL)
}

/** True for our renderer page (any hash, no query), false for anything else — another path, host, or scheme. */
export function isAppUrl(raw: string): boolean {
  let u: URL
  try {
    u = new URL(raw)
  } catch {
    return false
  }
  const app = appUrl()
  if (u.protocol !== app.protocol || u.host !== app.host || u.search !== '' || u.username !== '' || u.password !== '') return false
  const path = u.pathname === '/index.html' ? '/' : u.pathname
  const appPath = app.pathname === '/index.html' ? '/' : app.pathname
  return path === appPath
}

/** The security origin Chromium reports for our page (app://framecast, or the dev server's). */
export function isAppOrigin(origin: string): boolean {
  const app = appUrl()
  return origin.replace(/\/$/, '') === `${app.protocol}//${app.host}`
}

// ---------------------------------------------------------------------------------------------------------------
// Registry
// ---------------------------------------------------------------------------------------------------------------

interface Entry {
  role: WindowRole
  window: BrowserWindow
}
const registry = new Map<number, Entry>()
const goneListeners = new Set<(webContentsId: number) => void>()

/** The role of a window we created, by its webContents id; undefined for anything we did not create. */
export function windowRole(webContentsId: number): WindowRole | undefined {
  return registry.get(webContentsId)?.role
}

export function windowsWithRole(role: WindowRole): BrowserWindow[] {
  return [...registry.values()].filter((e) => e.role === role && !e.window.isDestroyed()).map((e) => e.window)
}

/** Called once when a window we created is closed or its page is gone (crash, reload); returns an unsubscribe. */
export function onWindowGone(listener: (webContentsId: number) => void): () => void {
  goneListeners.add(listener)
  return () => goneListeners.delete(listener)
}

function notifyGone(id: number): void {
  for (const l of goneListeners) l(id)
}

// ---------------------------------------------------------------------------------------------------------------
// Factory
// ---------------------------------------------------------------------------------------------------------------

/** Apply the navigation lock-down to any webContents: no popups, no leaving the app page, no <webview>. */
export function lockDownWebContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  const stayOnAppPage = (event: { preventDefault(): void; url?: string }, url?: string): void => {
    const target = event.url ?? url ?? ''
    if (!isAppUrl(target)) event.preventDefault()
  }
  contents.on('will-navigate', stayOnAppPage)
  contents.on('will-redirect', stayOnAppPage)
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

export function createWindow(role: WindowRole): BrowserWindow {
  const size = WINDOW_SIZE[role]
  const win = new BrowserWindow({
    ...size,
    title: TITLES[role],
    show: false,
    autoHideMenuBar: false,
    backgroundColor: '#111318',
    // Written out in full, not spread from a constant, so that reviewers and static checkers see every flag here.
    webPreferences: {
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      webviewTag: false,
      // Middle-click opens links in new windows; nothing in the app needs it.
      disableBlinkFeatures: 'Auxclick',
      // Developer tools only in an unpackaged (development) build.
      devTools: !app.isPackaged,
      preload: preloadPath()
    }
  })
  const contents = win.webContents
  const id = contents.id
  registry.set(id, { role, window: win })

  lockDownWebContents(contents)
  win.once('ready-to-show', () => win.show())

  // A crashed or reloaded page no longer drives what it had started; a closed window certainly does not.
  // Releasing is idempotent, so each of these may fire.
  contents.on('render-process-gone', () => notifyGone(id))
  contents.on('did-start-navigation', (event) => {
    if (event.isMainFrame && !event.isSameDocument && contents.getURL() !== '') notifyGone(id)
  })
  win.on('closed', () => {
    registry.delete(id)
    notifyGone(id)
  })

  void win.loadURL(`${appUrl().href}#${role}`)
  return win
}

// ---------------------------------------------------------------------------------------------------------------
// Permissions
// ---------------------------------------------------------------------------------------------------------------

function isBroadcastWindow(contents: WebContents | null): boolean {
  return contents !== null && !contents.isDestroyed() && windowRole(contents.id) === 'broadcast'
}

/**
 * Permission *request* policy: 'media' for video only, only from our Broadcast window's page. Everything else,
 * everywhere, is denied (microphone, geolocation, notifications, openExternal, ...).
 */
export function permissionRequestAllowed(
  contents: WebContents,
  permission: string,
  details: { requestingUrl?: string; securityOrigin?: string; mediaTypes?: ReadonlyArray<string>; isMainFrame?: boolean }
): boolean {
  if (permission !== 'media' || !isBroadcastWindow(contents)) return false
  const types = details.mediaTypes ?? []
  if (types.length === 0 || !types.every((t) => t === 'video')) return false
  if (details.requestingUrl !== undefined && !isAppUrl(details.requestingUrl)) return false
  if (details.securityOrigin !== undefined && !isAppOrigin(details.securityOrigin)) return false
  return isAppUrl(contents.getURL())
}

/** Permission *check* policy (device enumeration labels, permission queries): same rule as requests. */
export function permissionCheckAllowed(
  contents: WebContents | null,
  permission: string,
  requestingOrigin: string,
  details: { mediaType?: string; requestingUrl?: string; securityOrigin?: string }
): boolean {
  if (permission !== 'media' || details.mediaType !== 'video' || !isBroadcastWindow(contents)) return false
  if (!isAppOrigin(requestingOrigin)) return false
  if (details.requestingUrl !== undefined && !isAppUrl(details.requestingUrl)) return false
  return isAppUrl(contents!.getURL())
}

export function installPermissionHandlers(session: Session, log: (line: string) => void = console.warn): void {
  session.setPermissionRequestHandler((contents, permission, callback, details) => {
    const allowed = permissionRequestAllowed(contents, permission, details as Parameters<typeof permissionRequestAllowed>[2])
    if (!allowed) log(`permission '${permission}' denied for ${details.requestingUrl || 'an unknown page'}`)
    callback(allowed)
  })
  session.setPermissionCheckHandler((contents, permission, requestingOrigin, details) =>
    permissionCheckAllowed(contents, permission, requestingOrigin, details)
  )
  session.setDevicePermissionHandler(() => false)
}

/**
 * No remote content: only our own page (app:// in production, the dev server in development) may load anything.
 * http(s) and ws(s) requests to anywhere else are cancelled.
 */
export function blockRemoteRequests(session: Session, log: (line: string) => void = console.warn): void {
  const dev = devServerUrl()
  session.webRequest.onBeforeRequest(
    { urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*'] },
    (details, callback) => {
      let allowed = false
      if (dev) {
        try {
          allowed = new URL(details.url).host === dev.host
        } catch {
          allowed = false
        }
      }
      if (!allowed) log(`blocked remote request to ${details.url}`)
      callback({ cancel: !allowed })
    }
  )
}
