// The layering rules of the source tree, checked by reading every source file (ESLint enforces the same rules while
// editing; this keeps them true for files ESLint might not see, such as plain .js or dynamic imports).

import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = join(__dirname, '..')
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?)$/

interface Violation {
  file: string
  rule:
    | 'electron-outside-shell'
    | 'node-in-shared'
    | 'electron-in-renderer'
    | 'node-in-renderer'
    | 'node-in-page-client'
    | 'contract-in-core'
    | 'ipcMain-outside-ipc'
  what: string
}

function sourceFiles(root: string, dir = 'src'): string[] {
  let entries
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true })
  } catch {
    return []
  }
  const files: string[] = []
  for (const e of entries) {
    const path = `${dir}/${e.name}`
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') files.push(...sourceFiles(root, path))
    } else if (SOURCE_FILE.test(e.name)) files.push(path)
  }
  return files
}

/** Source text with comments blanked out; string and template contents are kept. */
function withoutComments(text: string): string {
  let out = ''
  let quote: string | undefined
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quote) {
      out += c
      if (c === '\\') out += text[++i] ?? ''
      else if (c === quote) quote = undefined
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++
      out += '\n'
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end < 0 ? text.length : end + 1
      out += ' '
    } else {
      if (c === '"' || c === "'" || c === '`') quote = c
      out += c
    }
  }
  return out
}

/** Module specifiers of static imports, re-exports, dynamic imports and require calls. */
function importsOf(code: string): string[] {
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[^'"`;]*?\s+from\s+)?['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g,
    /\brequire\s*\(\s*['"`]([^'"`]+)['"`]\s*\)/g
  ]
  return patterns.flatMap((p) => [...code.matchAll(p)].map((m) => m[1]!))
}

/** Only src/main and src/preload run inside Electron; everything else runs in plain Node or a plain page. */
const ELECTRON_FREE = ['src/core/', 'src/service/', 'src/shared/', 'src/web-host/', 'src/cli/']
/** The browser host's page script runs in the page, like the renderer. */
const PAGE_CLIENT = 'src/web-host/page-client.ts'
/** The IPC contract: the domain core never depends on it (the contract imports domain types, not the reverse). */
const isContract = (spec: string): boolean => /(^|\/)shared\/ipc$/.test(spec)
const isElectron = (spec: string): boolean => spec === 'electron' || spec.startsWith('electron/')
const isNodeBuiltin = (spec: string): boolean => spec.startsWith('node:') || builtinModules.includes(spec.split('/')[0]!)

function violations(root: string): { files: string[]; found: Violation[] } {
  const files = sourceFiles(root)
  const found: Violation[] = []
  for (const file of files) {
    const code = withoutComments(readFileSync(join(root, file), 'utf8'))
    const specs = importsOf(code)
    const electronFree = ELECTRON_FREE.some((dir) => file.startsWith(dir))
    for (const spec of specs) {
      if (electronFree && isElectron(spec)) found.push({ file, rule: 'electron-outside-shell', what: spec })
      if (file.startsWith('src/core/') && isContract(spec)) found.push({ file, rule: 'contract-in-core', what: spec })
      if (file === PAGE_CLIENT && isNodeBuiltin(spec)) found.push({ file, rule: 'node-in-page-client', what: spec })
      if (file.startsWith('src/shared/') && isNodeBuiltin(spec)) found.push({ file, rule: 'node-in-shared', what: spec })
      if (file.startsWith('src/renderer/') && isElectron(spec)) found.push({ file, rule: 'electron-in-renderer', what: spec })
      if (file.startsWith('src/renderer/') && isNodeBuiltin(spec)) found.push({ file, rule: 'node-in-renderer', what: spec })
    }
    if (file !== 'src/main/ipc.ts' && specs.some(isElectron) && /\bipcMain\b/.test(code)) {
      found.push({ file, rule: 'ipcMain-outside-ipc', what: 'ipcMain' })
    }
  }
  return { files, found }
}

const describeViolations = (found: Violation[]): string[] => found.map((v) => `${v.file}: ${v.rule} (${v.what})`)

describe('layering', () => {
  const tree = violations(ROOT)
  const broken = (rule: Violation['rule']): string[] => describeViolations(tree.found.filter((v) => v.rule === rule))

  it('reads the real source tree', () => {
    expect(tree.files).toContain('src/shared/protocol.ts')
    expect(tree.files).toContain('src/core/codec/codec.ts')
    expect(tree.files).toContain('src/service/sessions.ts')
  })

  it('keeps electron out of everything but src/main and src/preload', () => {
    expect(broken('electron-outside-shell')).toEqual([])
  })

  it('keeps the IPC contract out of src/core', () => {
    expect(broken('contract-in-core')).toEqual([])
  })

  it('keeps Node built-ins out of the browser host page client', () => {
    expect(broken('node-in-page-client')).toEqual([])
  })

  it('keeps Node built-ins out of src/shared', () => {
    expect(broken('node-in-shared')).toEqual([])
  })

  it('keeps electron and Node built-ins out of src/renderer', () => {
    expect([...broken('electron-in-renderer'), ...broken('node-in-renderer')]).toEqual([])
  })

  it('lets only src/main/ipc.ts use ipcMain', () => {
    expect(broken('ipcMain-outside-ipc')).toEqual([])
  })
})

describe('the layering scan', () => {
  const root = mkdtempSync(join(tmpdir(), 'framecast-layering-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))

  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true })
    writeFileSync(join(root, path), text)
  }

  it('flags each kind of violating file as soon as it appears', () => {
    write('src/core/tray.ts', "import { Tray } from 'electron'\n")
    write('src/core/deep/late.ts', "export async function f() { return import('electron') }\n")
    write('src/service/dialog.ts', "import { dialog } from 'electron'\n")
    write('src/web-host/shell.ts', "const { shell } = require('electron')\n")
    write('src/cli/notify.ts', "import { Notification } from 'electron/main'\n")
    write('src/core/watch/status.ts', "import type { WatchStatus } from '../../shared/ipc'\n")
    write('src/web-host/page-client.ts', "import { readFileSync } from 'node:fs'\n")
    write('src/main/uses-contract.ts', "import { parseRequest } from '../shared/ipc'\n")
    write('src/shared/disk.ts', "import {\n  readFileSync\n} from 'node:fs'\nexport * from 'path'\n")
    write('src/shared/legacy.js', "const os = require('os')\nmodule.exports = os\n")
    write('src/renderer/src/features/watch/x.tsx', "import type { IpcRenderer } from 'electron'\nimport 'fs/promises'\n")
    write('src/main/windows.ts', "import { BrowserWindow, ipcMain } from 'electron'\n")
    write('src/main/index.ts', "import * as electron from 'electron'\nelectron.ipcMain.handle('x', () => 1)\n")
    write('src/main/ipc.ts', "import { ipcMain } from 'electron'\n")
    write(
      'src/shared/clean.ts',
      "// import { app } from 'electron'\n/* require('fs') */\nexport const note = \"say 'electron' and ipcMain freely in text\"\nexport const url = 'http://x/electron'\n"
    )
    write('src/renderer/src/lib/api.ts', "import type { FramecastApi } from '../../../shared/ipc'\n")

    const { found } = violations(root)
    expect(describeViolations(found).sort()).toEqual(
      [
        'src/core/tray.ts: electron-outside-shell (electron)',
        'src/core/deep/late.ts: electron-outside-shell (electron)',
        'src/service/dialog.ts: electron-outside-shell (electron)',
        'src/web-host/shell.ts: electron-outside-shell (electron)',
        'src/cli/notify.ts: electron-outside-shell (electron/main)',
        'src/core/watch/status.ts: contract-in-core (../../shared/ipc)',
        'src/web-host/page-client.ts: node-in-page-client (node:fs)',
        'src/shared/disk.ts: node-in-shared (node:fs)',
        'src/shared/disk.ts: node-in-shared (path)',
        'src/shared/legacy.js: node-in-shared (os)',
        'src/renderer/src/features/watch/x.tsx: electron-in-renderer (electron)',
        'src/renderer/src/features/watch/x.tsx: node-in-renderer (fs/promises)',
        'src/main/windows.ts: ipcMain-outside-ipc (ipcMain)',
        'src/main/index.ts: ipcMain-outside-ipc (ipcMain)'
      ].sort()
    )
  })
})
