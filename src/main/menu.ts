// The application menu: File > Broadcast (CmdOrCtrl+B) and Watch (CmdOrCtrl+Shift+W), plus the standard roles.
// CmdOrCtrl+W stays "close window"; Watch takes the same letter with Shift so both choices sit under one hand.

import { Menu, type MenuItemConstructorOptions } from 'electron'

export const BROADCAST_ACCELERATOR = 'CmdOrCtrl+B'
export const WATCH_ACCELERATOR = 'CmdOrCtrl+Shift+W'

export interface MenuOptions {
  /** Development build: reload and developer tools are offered. */
  dev: boolean
  isMac: boolean
  open: (role: 'broadcast' | 'watch') => void
}

export function menuTemplate({ dev, isMac, open }: MenuOptions): MenuItemConstructorOptions[] {
  const file: MenuItemConstructorOptions = {
    label: 'File',
    submenu: [
      { id: 'broadcast', label: 'Broadcast', accelerator: BROADCAST_ACCELERATOR, click: () => open('broadcast') },
      { id: 'watch', label: 'Watch', accelerator: WATCH_ACCELERATOR, click: () => open('watch') },
      { type: 'separator' },
      { role: 'close' },
      ...(isMac ? [] : [{ type: 'separator' } as const, { role: 'quit' } as const])
    ]
  }
  const view: MenuItemConstructorOptions = {
    label: 'View',
    submenu: [
      ...(dev ? [{ role: 'reload' } as const, { role: 'forceReload' } as const, { role: 'toggleDevTools' } as const] : []),
      ...(dev ? [{ type: 'separator' } as const] : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { type: 'separator' },
      { role: 'togglefullscreen' }
    ]
  }
  return [
    ...(isMac ? [{ role: 'appMenu' } as const] : []),
    file,
    { role: 'editMenu' },
    view,
    { role: 'windowMenu' }
  ]
}

export function buildMenu(options: MenuOptions): Menu {
  return Menu.buildFromTemplate(menuTemplate(options))
}
