// The browser host: runs Framecast's session services (the same Sessions the Electron main process uses) in plain
// Node, serves the renderer build on 127.0.0.1 only, and provides `window.api` to the page over a WebSocket that
// speaks src/shared/ipc.ts. It is how the app runs where Electron cannot, and what the end-to-end specs drive.
//
//   npm run web [-- --port 5199]     then open the printed URL in Chromium (127.0.0.1 only)
//   npm run web -- --open            ... and open the start page in the default browser (what `npm start` does)
//
// Only the page this process served may connect: the page URL carries a random per-run token, the injected client
// script passes it on the WebSocket URL, and the WebSocket's Origin and Host must be this server's own.

import { randomBytes, timingSafeEqual } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join, resolve } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import { type RawData, WebSocket, WebSocketServer } from 'ws'
import { readPort } from '../shared/address'
import type { EventChannel, EventMap, Result, WindowRole } from '../shared/ipc'
import { MAX_JPEG_BYTES } from '../shared/ipc'
import { NewestRunner } from '../shared/newest-runner'
import { contentTypeOf, RendererFiles } from '../service/renderer-files'
import { RepeatLimitedLog } from '../service/repeat-log'
import type { Peer, Sessions } from '../service/sessions'
import {
  decodeBinary,
  encodeBinary,
  type EventMessage,
  MAX_HEADER_BYTES,
  parseHeader,
  type RequestMessage,
  type ResponseMessage,
  splitBinary
} from './envelope'
import { openInBrowser } from './open-browser'

export const DEFAULT_WEB_PORT = 5199
/**
 * Requests from one page the host answers at a time. Beyond this it stops reading that page's connection until the
 * answers have gone out, so a page that sends without reading what comes back is held up by TCP, not by our memory.
 */
export const MAX_REQUESTS_IN_FLIGHT = 32
const LOOPBACK = '127.0.0.1'
const ROLES: readonly WindowRole[] = ['start', 'broadcast', 'watch']

/** What the host needs from the session services (Sessions from src/service/sessions.ts fits). */
export type SessionService = Pick<Sessions, 'handle' | 'release' | 'closeAll'>

export interface WebHostOptions {
  /** TCP port on 127.0.0.1; 0 picks a free one. */
  port?: number
  /** The renderer build to serve (index.html + assets). Default: out/renderer. */
  rendererDir?: string
  /** Session services; default: a new Sessions. */
  sessions?: SessionService
  /** Per-run secret; default: 32 random bytes, base64url. */
  token?: string
  /**
   * Folder of this installation's key, certificate and paired devices, for the default session services. Default:
   * defaultConfigDir() ($FRAMECAST_CONFIG_DIR, else $XDG_CONFIG_HOME/framecast or ~/.config/framecast).
   */
  configDir?: string
  log?: (line: string) => void
}

export interface WebHost {
  readonly port: number
  /** http://127.0.0.1:PORT */
  readonly origin: string
  readonly token: string
  /** The URL to open for a window role (start window when omitted). */
  pageUrl(role?: WindowRole): string
  /** Open WebSocket connections (one per page). */
  connections(): number
  close(): Promise<void>
}

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Cache-Control': 'no-store',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "frame-ancestors 'none'"
}

/** A request URL as a log line may show it: the path alone (a query may hold the token), printable, cut short. */
export function pathForLog(raw: string | undefined): string {
  const text = raw ?? ''
  const end = text.search(/[?#]/)
  return JSON.stringify((end < 0 ? text : text.slice(0, end)).slice(0, 120))
}

/** The URL of a request, or null when its target does not parse. */
function requestUrl(raw: string | undefined, origin: string): URL | null {
  try {
    return new URL(raw ?? '/', origin)
  } catch {
    return null
  }
}

function sameSecret(given: string | null, token: string): boolean {
  if (given === null) return false
  const a = Buffer.from(given)
  const b = Buffer.from(token)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** Insert the client script before the page's first script, so `window.api` exists when the app starts. */
export function injectClient(html: string, token: string): string {
  const tag = `<script src="/web-api.js?token=${encodeURIComponent(token)}"></script>`
  const at = html.search(/<script\b/i)
  if (at >= 0) return html.slice(0, at) + tag + '\n    ' + html.slice(at)
  return html.replace(/<\/head>/i, `${tag}\n</head>`)
}

let clientScript: Promise<string> | undefined

/** The injected client (src/web-host/page-client.ts), bundled once per process. */
export function buildClientScript(): Promise<string> {
  clientScript ??= (async () => {
    const { build } = await import('vite')
    const result = await build({
      configFile: false,
      logLevel: 'silent',
      root: resolve(__dirname, '../..'),
      build: {
        write: false,
        minify: false,
        sourcemap: false,
        emptyOutDir: false,
        lib: { entry: resolve(__dirname, 'page-client.ts'), formats: ['iife'], name: 'framecastWebApi' }
      }
    })
    const output = (Array.isArray(result) ? result[0] : result) as { output?: { type: string; code?: string }[] }
    const chunk = output.output?.find((o) => o.type === 'chunk')
    if (!chunk?.code) throw new Error('bundling the web api client produced no code')
    return chunk.code
  })()
  return clientScript
}

async function defaultSessions(log: (line: string) => void, origin: () => string, configDir: string | undefined): Promise<SessionService> {
  const { Sessions } = await import('../service/sessions')
  const { defaultConfigDir } = await import('../core/secure/device-store')
  return new Sessions({
    log,
    openWindow: (role) => log(`open ${origin()}/#${role} in a new tab`),
    configDir: configDir ?? defaultConfigDir()
  })
}

export async function startWebHost(options: WebHostOptions = {}): Promise<WebHost> {
  const log = options.log ?? ((line: string) => console.error(`[web-host] ${line}`))
  /** Complaints a peer can cause (unreadable messages, refused upgrades, failed requests) go through this. */
  const complaints = new RepeatLimitedLog(log)
  const rendererDir = resolve(options.rendererDir ?? resolve(__dirname, '../../out/renderer'))
  const token = options.token ?? randomBytes(32).toString('base64url')
  let port = 0
  const origin = (): string => `http://${LOOPBACK}:${port}`
  const hostHeader = (): string => `${LOOPBACK}:${port}`
  const sessions = options.sessions ?? (await defaultSessions(log, origin, options.configDir))
  void buildClientScript().catch((e: unknown) => log(`cannot bundle the client script: ${String(e)}`))

  const files = new RendererFiles(rendererDir)

  async function serveFile(res: ServerResponse, pathname: string, head: boolean): Promise<void> {
    const file = await files.read(pathname)
    if (file === null) return send(res, 404, 'Not found')
    res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': file.type, 'Content-Length': file.body.byteLength })
    res.end(head ? undefined : file.body)
  }

  function send(res: ServerResponse, status: number, text: string, type = 'text/plain; charset=utf-8'): void {
    const body = Buffer.from(text)
    res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': body.byteLength })
    res.end(res.req.method === 'HEAD' ? undefined : body)
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.host !== hostHeader()) return send(res, 403, 'Open this page as ' + origin())
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed')
    const url = requestUrl(req.url, origin())
    if (url === null) return send(res, 400, 'Bad request')
    const head = req.method === 'HEAD'
    const authorised = sameSecret(url.searchParams.get('token'), token)
    if (url.pathname === '/' || url.pathname === '/index.html') {
      if (!authorised) return send(res, 401, 'Open the URL that `npm run web` printed (it carries a token).')
      const html = await readFile(join(rendererDir, 'index.html'), 'utf8').catch(() => null)
      if (html === null) return send(res, 500, `No renderer build in ${rendererDir}: run npx electron-vite build`)
      return send(res, 200, injectClient(html, token), contentTypeOf('index.html'))
    }
    if (url.pathname === '/web-api.js') {
      if (!authorised) return send(res, 401, 'Missing or wrong token')
      return send(res, 200, await buildClientScript(), contentTypeOf('web-api.js'))
    }
    return serveFile(res, url.pathname, head)
  }

  const server: Server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => {
      complaints.log(`request ${pathForLog(req.url)} failed: ${String(e)}`, 'request failed')
      if (!res.headersSent) send(res, 500, 'Internal error')
      else res.destroy()
    })
  })

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 4 + MAX_HEADER_BYTES + MAX_JPEG_BYTES,
    perMessageDeflate: false
  })
  let peerCount = 0

  function refuse(socket: Socket, status: 400 | 401 | 403 | 404, reason: string): void {
    complaints.log(`refused a WebSocket: ${reason}`, `refused ${status}`)
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    socket.destroy()
  }

  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const url = requestUrl(req.url, origin())
    if (url === null) return refuse(socket, 400, 'Bad Request')
    if (url.pathname !== '/api') return refuse(socket, 404, 'Not Found')
    if (req.headers.host !== hostHeader()) return refuse(socket, 403, 'Forbidden')
    if (req.headers.origin !== origin()) return refuse(socket, 403, 'Forbidden')
    if (!sameSecret(url.searchParams.get('token'), token)) return refuse(socket, 401, 'Unauthorized')
    const role = url.searchParams.get('role') as WindowRole | null
    if (role === null || !ROLES.includes(role)) return refuse(socket, 400, 'Bad Request')
    wss.handleUpgrade(req, socket, head, (ws) => connect(ws, role))
  })

  function connect(ws: WebSocket, role: WindowRole): void {
    // Newest frame wins on the way to the page: one frame is written at a time, and a frame that comes while it is
    // still going out waits — replaced by a newer one — so frames never queue up behind a page that is not keeping up.
    const frames = new NewestRunner<Uint8Array>({
      run: (message) => new Promise<void>((resolve) => ws.send(message, () => resolve())),
      onError: () => undefined
    })
    const peer: Peer = {
      id: `web-${++peerCount}`,
      role,
      send<E extends EventChannel>(channel: E, payload: EventMap[E]): void {
        if (ws.readyState !== WebSocket.OPEN) return
        const { json, bin, bytes } = splitBinary(payload)
        const header: EventMessage = { kind: 'event', channel, payload: json, ...(bin ? { bin } : {}) }
        if (bytes) {
          frames.offer(encodeBinary(header, bytes))
          return
        }
        // Events keep their order: a frame still waiting goes out before the event that came after it.
        const waiting = frames.takeWaiting()
        if (waiting) ws.send(waiting)
        ws.send(JSON.stringify(header))
      }
    }
    log(`${peer.id} connected as ${role}`)

    // Requests being answered (until the answer is handed to the socket): at most MAX_REQUESTS_IN_FLIGHT. At the cap
    // the connection stops being read; requests already read by then wait their turn in `queued` (at most one read's
    // worth), and reading resumes once half the answers have gone out.
    let inFlight = 0
    let paused = false
    const queued: RequestMessage[] = []
    const answer = ({ id, channel, payload }: RequestMessage): void => {
      inFlight++
      sessions
        .handle(peer, channel, payload)
        .catch((e: unknown): Result<unknown> => ({ ok: false, error: { code: 'INTERNAL', message: String(e) } }))
        .then((result) => {
          if (ws.readyState !== WebSocket.OPEN) return answered()
          const response: ResponseMessage = { kind: 'response', id, result }
          ws.send(JSON.stringify(response), () => answered())
        })
    }
    const answered = (): void => {
      inFlight--
      const next = queued.shift()
      if (next !== undefined) return answer(next)
      if (paused && inFlight <= MAX_REQUESTS_IN_FLIGHT / 2) {
        paused = false
        ws.resume()
      }
    }

    ws.on('message', (data: RawData, isBinary: boolean) => {
      let request
      try {
        const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data)
        const header = isBinary ? decodeBinary(buf) : parseHeader(buf.toString('utf8'))
        if (header.kind !== 'request') throw new Error(`unexpected ${header.kind} message`)
        request = header
      } catch (e) {
        complaints.log(`${peer.id}: unreadable message: ${e instanceof Error ? e.message : String(e)}`, `${peer.id}|unreadable`)
        return
      }
      if (inFlight < MAX_REQUESTS_IN_FLIGHT) answer(request)
      else queued.push(request)
      if (inFlight >= MAX_REQUESTS_IN_FLIGHT && !paused) {
        paused = true
        ws.pause()
      }
    })
    ws.on('close', () => {
      queued.length = 0
      frames.close()
      const replaced = frames.replaced
      log(`${peer.id} disconnected${replaced ? ` (${replaced} frames replaced while waiting for a slow page)` : ''}`)
      sessions.release(peer).catch((e: unknown) => log(`${peer.id}: release failed: ${String(e)}`))
    })
    ws.on('error', (e) => complaints.log(`${peer.id}: ${e.message}`, `${peer.id}|error`))
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? DEFAULT_WEB_PORT, LOOPBACK, () => {
      server.off('error', reject)
      resolveListen()
    })
  })
  port = (server.address() as AddressInfo).port

  let closing: Promise<void> | undefined
  return {
    port,
    origin: origin(),
    token,
    pageUrl: (role?: WindowRole) =>
      `${origin()}/?token=${encodeURIComponent(token)}${role && role !== 'start' ? `#${role}` : ''}`,
    connections: () => wss.clients.size,
    close: () =>
      (closing ??= (async () => {
        await sessions.closeAll().catch((e: unknown) => log(`closing sessions failed: ${String(e)}`))
        for (const ws of wss.clients) ws.close(1001, 'host shutting down')
        wss.close()
        server.closeAllConnections()
        await new Promise<void>((r) => server.close(() => r()))
      })())
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string', default: String(DEFAULT_WEB_PORT) },
      renderer: { type: 'string' },
      'config-dir': { type: 'string' },
      open: { type: 'boolean', default: false }
    }
  })
  const { port, problem } = readPort(values.port, { anyFree: true })
  if (port === null) throw new Error(`--port ${JSON.stringify(values.port)}: ${problem}`)
  const rendererDir = resolve(values.renderer ?? resolve(__dirname, '../../out/renderer'))
  if (!existsSync(join(rendererDir, 'index.html'))) {
    throw new Error(`No renderer build in ${rendererDir}: run \`npx electron-vite build\` first`)
  }
  const host = await startWebHost({ port, rendererDir, ...(values['config-dir'] !== undefined ? { configDir: values['config-dir'] } : {}) })
  await buildClientScript()
  // The host relays every frame; its event loop must stay responsive. Reported when it stops.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  loopDelay.enable()
  console.log(`Framecast browser host on ${host.origin} (Ctrl+C to stop)`)
  console.log(`  start:     ${host.pageUrl()}`)
  console.log(`  broadcast: ${host.pageUrl('broadcast')}`)
  console.log(`  watch:     ${host.pageUrl('watch')}`)
  const stop = (): void => {
    loopDelay.disable()
    // The histogram holds each 10 ms timer's actual interval; what matters is how late it was.
    const late = (ns: number): string => Math.max(0, ns / 1e6 - 10).toFixed(1)
    console.error(
      `[web-host] event loop delay: p50 ${late(loopDelay.percentile(50))} ms, p99 ${late(loopDelay.percentile(99))} ms, max ${late(loopDelay.max)} ms`
    )
    host.close().then(
      () => process.exit(0),
      () => process.exit(1)
    )
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
  if (values.open) {
    const opened = await openInBrowser(host.pageUrl())
    console.error(`[web-host] ${opened.opened ? `opened the start page with ${opened.command}` : `no browser opened (${opened.reason}): open the start URL above`}`)
  }
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e)
    process.exit(1)
  })
}
