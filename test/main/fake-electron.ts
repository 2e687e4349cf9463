// A stand-in for the parts of the `electron` module the main process uses, for tests that cannot start Electron.
// Use with: vi.mock('electron', () => import('./fake-electron'))

import { EventEmitter } from 'node:events'
import { tmpdir } from 'node:os'
import { pathToFileURL } from 'node:url'
import { vi } from 'vitest'

export class FakeFrame {
  constructor(
    readonly processId: number,
    readonly routingId: number,
    readonly parent: FakeFrame | null,
    private readonly urlOf: () => string
  ) {}
  get url(): string {
    return this.urlOf()
  }
}

let nextId = 1

export class FakeWebContents extends EventEmitter {
  readonly id = nextId++
  url = ''
  destroyed = false
  readonly sent: Array<[string, unknown]> = []
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null
  readonly mainFrame: FakeFrame = new FakeFrame(100 + this.id, 1, null, () => this.url)

  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  getURL(): string {
    return this.url
  }
  send(channel: string, payload: unknown): void {
    if (this.destroyed) throw new Error('Object has been destroyed')
    this.sent.push([channel, payload])
  }
  /** A child frame (an iframe) of this page. */
  subFrame(url = this.url): FakeFrame {
    return new FakeFrame(this.mainFrame.processId, 7, this.mainFrame, () => url)
  }
}

export class BrowserWindow extends EventEmitter {
  static all: BrowserWindow[] = []
  static getAllWindows(): BrowserWindow[] {
    return BrowserWindow.all.filter((w) => !w.destroyed)
  }

  readonly webContents = new FakeWebContents()
  destroyed = false
  visible = false
  minimized = false
  focusCount = 0
  loaded: { how: 'file'; path: string; hash?: string } | { how: 'url'; url: string } | null = null

  constructor(readonly options: Record<string, unknown> & { webPreferences?: Record<string, unknown> }) {
    super()
    BrowserWindow.all.push(this)
  }
  loadFile(path: string, options?: { hash?: string }): Promise<void> {
    this.loaded = { how: 'file', path, ...(options?.hash !== undefined ? { hash: options.hash } : {}) }
    this.webContents.url = pathToFileURL(path).href + (options?.hash ? `#${options.hash}` : '')
    return Promise.resolve()
  }
  loadURL(url: string): Promise<void> {
    this.loaded = { how: 'url', url }
    this.webContents.url = url
    return Promise.resolve()
  }
  show(): void {
    this.visible = true
  }
  isVisible(): boolean {
    return this.visible
  }
  focus(): void {
    this.focusCount++
  }
  isMinimized(): boolean {
    return this.minimized
  }
  restore(): void {
    this.minimized = false
  }
  isDestroyed(): boolean {
    return this.destroyed
  }
  /** What Electron does when the user closes the window. */
  close(): void {
    this.destroyed = true
    this.webContents.destroyed = true
    this.emit('closed')
  }
}

type InvokeHandler = (event: unknown, ...args: unknown[]) => unknown
export const ipcMain = {
  handlers: new Map<string, InvokeHandler>(),
  handle(channel: string, handler: InvokeHandler): void {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`)
    this.handlers.set(channel, handler)
  },
  removeHandler(channel: string): void {
    this.handlers.delete(channel)
  }
}

export class FakeSession {
  permissionRequestHandler: ((...args: never[]) => void) | null = null
  permissionCheckHandler: ((...args: never[]) => boolean) | null = null
  devicePermissionHandler: ((...args: never[]) => boolean) | null = null
  beforeRequest: ((details: { url: string }, callback: (r: { cancel: boolean }) => void) => void) | null = null
  readonly webRequest = {
    onBeforeRequest: (_filter: unknown, listener: FakeSession['beforeRequest']): void => {
      this.beforeRequest = listener
    }
  }
  setPermissionRequestHandler(h: FakeSession['permissionRequestHandler']): void {
    this.permissionRequestHandler = h
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheckHandler']): void {
    this.permissionCheckHandler = h
  }
  setDevicePermissionHandler(h: FakeSession['devicePermissionHandler']): void {
    this.devicePermissionHandler = h
  }
}
export const session = { defaultSession: new FakeSession() }

type ProtocolHandler = (request: Request) => Promise<Response> | Response
export const protocol = {
  privileged: [] as Array<{ scheme: string; privileges?: Record<string, boolean> }>,
  handlers: new Map<string, ProtocolHandler>(),
  /** Electron allows this only before 'ready'. */
  registerSchemesAsPrivileged(schemes: Array<{ scheme: string; privileges?: Record<string, boolean> }>): void {
    if (app.ready) throw new Error('registerSchemesAsPrivileged must be called before the app is ready')
    protocol.privileged.push(...schemes)
  },
  /** Electron allows this only once the app is ready, once per scheme. */
  handle(scheme: string, handler: ProtocolHandler): void {
    if (!app.ready) throw new Error('protocol.handle must be called after the app is ready')
    if (protocol.handlers.has(scheme)) throw new Error(`scheme ${scheme} is already handled`)
    protocol.handlers.set(scheme, handler)
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false
  ready = false
  gotLock = true
  readonly quit = vi.fn(() => {
    // Electron emits before-quit; a listener may cancel with preventDefault().
    let prevented = false
    this.emit('before-quit', { preventDefault: () => (prevented = true) })
    if (!prevented) this.quitted = true
  })
  quitted = false
  readonly requestSingleInstanceLock = vi.fn(() => this.gotLock)
  readonly setAppUserModelId = vi.fn()
  /** Electron's per-user folders; only 'userData' is asked for (a folder nobody writes to unless a store is opened). */
  readonly getPath = vi.fn((name: string) => `${tmpdir()}/framecast-fake-electron-${process.pid}/${name}`)
  private readyResolvers: Array<() => void> = []
  isReady(): boolean {
    return this.ready
  }
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyResolvers.push(resolve))
  }
  /** What Electron does once it has initialised. */
  becomeReady(): void {
    this.ready = true
    for (const r of this.readyResolvers.splice(0)) r()
    this.emit('ready')
  }
}
export const app = new FakeApp()

export const Menu = {
  current: null as null | { template: unknown[] },
  buildFromTemplate: vi.fn((template: unknown[]) => ({ template })),
  setApplicationMenu(menu: { template: unknown[] } | null): void {
    Menu.current = menu
  }
}

export const contextBridge = {
  exposed: new Map<string, unknown>(),
  exposeInMainWorld(key: string, value: unknown): void {
    contextBridge.exposed.set(key, value)
  }
}

export const ipcRenderer = Object.assign(new EventEmitter(), {
  invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => undefined)
})

export default { app, BrowserWindow, ipcMain, session, protocol, Menu, contextBridge, ipcRenderer }

/** Forget every window, handler and listener, as if Electron had just started. */
export function resetFake(): void {
  for (const w of BrowserWindow.all.splice(0)) if (!w.destroyed) w.close()
  ipcMain.handlers.clear()
  session.defaultSession = new FakeSession()
  protocol.privileged.length = 0
  protocol.handlers.clear()
  app.removeAllListeners()
  app.ready = false
  app.gotLock = true
  app.isPackaged = false
  app.quitted = false
  app.quit.mockClear()
  app.requestSingleInstanceLock.mockClear()
  Menu.current = null
}
