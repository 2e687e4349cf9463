// The renderer build as both shells serve it: the desktop app through its app:// scheme, the browser host over HTTP.
// One rule for which file a URL path names: it must resolve — symbolic links followed — to a regular file inside the
// build folder; anything else (a `..` that climbs out, an encoded one, a link leading out, a folder, a malformed
// escape) is simply not there.

import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, resolve, sep } from 'node:path'

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.map': 'application/json'
}

/** The Content-Type for a file name, by its extension; 'application/octet-stream' when unknown. */
export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream'
}

export interface RendererFile {
  /** The file's real path (inside the build folder). */
  path: string
  body: Buffer
  type: string
}

/** Reads files of one renderer build folder by URL path. */
export class RendererFiles {
  private root: Promise<string> | null = null

  /** `dir`: the build folder (out/renderer), resolved against the working directory. */
  constructor(readonly dir: string) {}

  /**
   * The file a URL path ('/assets/index.js', percent-escapes allowed, no query) names, or null when it is missing,
   * is not a regular file, or lies outside the build folder. Never throws.
   */
  async read(urlPath: string): Promise<RendererFile | null> {
    let decoded: string
    try {
      decoded = decodeURIComponent(urlPath)
    } catch {
      return null
    }
    if (decoded.includes('\0')) return null
    const root = await this.realRoot()
    const real = await realpath(resolve(root, '.' + (decoded.startsWith('/') ? decoded : `/${decoded}`))).catch(() => null)
    if (real === null || !real.startsWith(root + sep)) return null
    const info = await stat(real).catch(() => null)
    if (info === null || !info.isFile()) return null
    const body = await readFile(real).catch(() => null)
    return body === null ? null : { path: real, body, type: contentTypeOf(real) }
  }

  private realRoot(): Promise<string> {
    const dir = resolve(this.dir)
    this.root ??= realpath(dir).catch(() => dir)
    return this.root
  }
}
