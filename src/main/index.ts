// App lifecycle: single-instance lock, the start window, the menu, session-wide permission policy, and a clean
// quit that says BYE to every peer before the process exits.

import { join } from 'node:path'
import { app, BrowserWindow, Menu, session } from 'electron'
import { registerIpc } from './ipc'
import { buildMenu } from './menu'
import { Sessions } from '../service/sessions'
import { registerAppScheme, serveAppScheme } from './app-protocol'
import { blockRemoteRequests, createWindow, installPermissionHandlers, rendererDir, windowsWithRole } from './windows'

/** Quitting waits this long at most for BYE to reach every peer. */
export const QUIT_GRACE_MS = 2_000

function log(line: string): void {
  console.log(`[framecast] ${line}`)
}

function reveal(win: BrowserWindow): void {
  if (win.isMinimized()) win.restore()
  if (!win.isVisible()) win.show()
  win.focus()
}

/** Broadcast: one window, focused if already open. Watch: a new window each time (watch several cameras). */
export function openRoleWindow(role: 'broadcast' | 'watch'): BrowserWindow {
  if (role === 'broadcast') {
    const existing = windowsWithRole('broadcast')[0]
    if (existing) {
      reveal(existing)
      return existing
    }
  }
  return createWindow(role)
}

export function showStartWindow(): BrowserWindow {
  const existing = windowsWithRole('start')[0]
  if (existing) {
    reveal(existing)
    return existing
  }
  return createWindow('start')
}

function withTimeout(work: Promise<unknown>, ms: number): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms)
    work.then(
      () => {
        clearTimeout(timer)
        resolve()
      },
      (e: unknown) => {
        log(`closing sessions failed: ${String(e)}`)
        clearTimeout(timer)
        resolve()
      }
    )
  })
}

export function startApp(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit()
    return
  }
  const dev = !app.isPackaged
  registerAppScheme()
  // This installation's key, certificate and paired devices live in the user-data folder (0700, files 0600).
  const configDir = join(app.getPath('userData'), 'devices')
  const sessions = new Sessions({ openWindow: (role) => void openRoleWindow(role), log, configDir })

  app.on('second-instance', () => {
    if (app.isReady()) showStartWindow()
    else void app.whenReady().then(() => showStartWindow())
  })

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit()
  })

  let closing: Promise<void> | null = null
  let closed = false
  app.on('before-quit', (event) => {
    if (closed) return
    event.preventDefault()
    closing ??= withTimeout(sessions.closeAll(), QUIT_GRACE_MS).then(() => {
      closed = true
      app.quit()
    })
  })

  void app.whenReady().then(() => {
    if (process.platform === 'win32') app.setAppUserModelId('app.framecast.desktop')
    installPermissionHandlers(session.defaultSession, log)
    blockRemoteRequests(session.defaultSession, log)
    serveAppScheme(rendererDir())
    registerIpc({ sessions, log })
    Menu.setApplicationMenu(buildMenu({ dev, isMac: process.platform === 'darwin', open: (role) => void openRoleWindow(role) }))
    showStartWindow()
    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) showStartWindow()
    })
  })
}

startApp()
