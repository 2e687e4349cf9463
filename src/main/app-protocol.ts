// The app's own scheme: the packaged pages are served as app://framecast/… instead of file://, so the page has an
// origin of its own (app://framecast) and its CSP's 'self' means the renderer build and nothing else on disk. With
// that, the GrantFileProtocolExtraPrivileges fuse can be off (electron-builder.yml): file:// pages get no special
// powers in a packaged app. The scheme is standard (relative URLs, an origin), secure (getUserMedia needs a secure
// context), CORS-enabled (module scripts and the module worker are fetched in CORS mode) and fetch-capable.

import { protocol } from 'electron'
import { RendererFiles } from '../service/renderer-files'

export const APP_SCHEME = 'app'
export const APP_HOST = 'framecast'
/** The security origin of every page the app shows. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`
/** The renderer page, without the role hash. */
export const APP_PAGE_URL = `${APP_ORIGIN}/index.html`

/** Headers on every answer: no MIME sniffing; revalidate so a new build is never mixed with a cached one. */
const RESPONSE_HEADERS = { 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' }

/** Declare the scheme's privileges; Electron requires this before the app is ready, and only once. */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, codeCache: true } }
  ])
}

/**
 * The request handler for app://: GET or HEAD of a file of the renderer build at `rendererDir` ('/' is index.html,
 * queries are ignored). Answers 404 for another host or a path outside the build (see RendererFiles), 405 for other
 * methods. Never throws.
 */
export function appRequestHandler(rendererDir: string): (request: Request) => Promise<Response> {
  const files = new RendererFiles(rendererDir)
  return async (request) => {
    const url = new URL(request.url)
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return answer(404, 'Not found')
    if (request.method !== 'GET' && request.method !== 'HEAD') return answer(405, 'Method not allowed', { Allow: 'GET, HEAD' })
    const file = await files.read(url.pathname === '/' ? '/index.html' : url.pathname)
    if (file === null) return answer(404, 'Not found')
    const headers = { ...RESPONSE_HEADERS, 'Content-Type': file.type, 'Content-Length': String(file.body.byteLength) }
    return new Response(request.method === 'HEAD' ? null : new Uint8Array(file.body), { status: 200, headers })
  }
}

/** Serve the renderer build at `rendererDir` on app:// (after the app is ready). */
export function serveAppScheme(rendererDir: string): void {
  protocol.handle(APP_SCHEME, appRequestHandler(rendererDir))
}

function answer(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, { status, headers: { ...RESPONSE_HEADERS, 'Content-Type': 'text/plain; charset=utf-8', ...headers } })
}
