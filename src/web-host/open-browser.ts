// Opens a URL in the user's default browser, for the browser host's `--open` (what `npm start` uses where Electron
// cannot run). Quiet by design: where there is no browser or no display, it says why and the printed URL remains.
//
// The command: $BROWSER when set (the convention Python's webbrowser, Vite and others follow; BROWSER=none opts out),
// else `open` on macOS, `start` on Windows, and `xdg-open` elsewhere only under a graphical session (DISPLAY or
// WAYLAND_DISPLAY set): on a server or in a container there is nothing to open the page on.

import { spawn } from 'node:child_process'

export type OpenResult = { opened: true; command: string } | { opened: false; reason: string }

export interface OpenOptions {
  /** Default: process.env. */
  env?: NodeJS.ProcessEnv
  /** Default: process.platform. */
  platform?: NodeJS.Platform
}

/** The command and arguments that open `url`, or why there is none. */
export function browserCommand(url: string, options: OpenOptions = {}): { file: string; args: string[] } | { reason: string } {
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const chosen = env.BROWSER?.trim()
  if (chosen === 'none') return { reason: 'BROWSER=none' }
  if (chosen) return { file: chosen, args: [url] }
  if (platform === 'darwin') return { file: 'open', args: [url] }
  // `start` is a cmd built-in; its first quoted argument is a window title. The URL is percent-encoded: no quotes.
  if (platform === 'win32') return { file: 'cmd', args: ['/d', '/s', '/c', `start "" "${url}"`] }
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return { reason: 'no display' }
  return { file: 'xdg-open', args: [url] }
}

/**
 * Start the default browser on `url` (an http(s) URL) and return without waiting for it to close.
 * Resolves { opened: true, command } once the command has started, or { opened: false, reason } when there is no
 * display, BROWSER=none, or the command does not exist. Never rejects; the command's own output is discarded.
 */
export function openInBrowser(url: string, options: OpenOptions = {}): Promise<OpenResult> {
  const command = browserCommand(url, options)
  if ('reason' in command) return Promise.resolve({ opened: false, reason: command.reason })
  return new Promise((resolve) => {
    const child = spawn(command.file, command.args, {
      stdio: 'ignore',
      detached: true,
      windowsHide: true,
      windowsVerbatimArguments: command.file === 'cmd',
      env: options.env ?? process.env
    })
    child.once('spawn', () => {
      child.unref()
      resolve({ opened: true, command: command.file })
    })
    child.once('error', (e: NodeJS.ErrnoException) => resolve({ opened: false, reason: `${command.file}: ${e.code ?? e.message}` }))
  })
}
