// An HTTP MJPEG endpoint, so a browser, VLC, ffmpeg or cv2.VideoCapture(url) can watch a broadcast.
//   GET /stream.mjpg   multipart/x-mixed-replace, one JPEG per part, newest frame wins per client
//   GET /snapshot.jpg  the newest frame
// Only GET and HEAD; anything else is 404 or 405. Request targets in origin-form and absolute-form are both served
// (request-target.ts); a request the parser refuses gets a status and a sentence (client-error.ts), never silence.
// Each request then passes request-guard.ts (the broadcast's token, a host naming this machine,
// Cross-Origin-Resource-Policy). A client gets a part only when its reader pacing allows (pacing/reader-pacer.ts: its
// backlog nearly empty, at the rate it drains), so a client that reads 4 frames a second gets recent ones; meanwhile
// it holds at most one pending frame (a NewestSlot: a newer frame replaces it), and it is cut off once it has taken
// nothing for stallTimeoutMs — after the last whole part (pacing/end-whole.ts). The others never wait for it.
// Snapshots under way count against the same client limit as streams and are cut off the same way
// (snapshot-deliveries.ts).

import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { NewestSlot } from '../../shared/newest'
import { DEFAULT_MAX_VIEWERS } from '../../shared/protocol'
import { monoMs } from '../../shared/stats'
import { type FramecastError, fromSocketError } from '../errors'
import { READER_STALL_TIMEOUT_MS } from '../fanout/stall'
import { endAfterWholeFrames } from '../pacing/end-whole'
import { ReaderPacer } from '../pacing/reader-pacer'
import { clientErrorResponse, type ParserError } from './client-error'
import { checkMjpegRequest, localHostNames, type MjpegGuard, MJPEG_TOKEN_PARAM } from './request-guard'
import { parseRequestTarget } from './request-target'
import { SnapshotDeliveries } from './snapshot-deliveries'

export const MJPEG_BOUNDARY = 'framecast-frame'
export const MJPEG_STREAM_PATH = '/stream.mjpg'
export const MJPEG_SNAPSHOT_PATH = '/snapshot.jpg'
const DEFAULT_STALL_TIMEOUT_MS = READER_STALL_TIMEOUT_MS
const DEFAULT_REQUEST_HEAD_TIMEOUT_MS = 5_000
/** A snapshot response that takes nothing for this long is cut off, freeing its client slot (ms). */
export const SNAPSHOT_STALL_TIMEOUT_MS = 5_000
/** How long a client that is cut off or closed may take to read the part it is in before it is reset. */
const LINGER_MS = 1_000

export interface MjpegServerOptions {
  host?: string
  port?: number
  /** Concurrent clients: /stream.mjpg viewers plus /snapshot.jpg responses under way; the next one gets 503. */
  maxClients?: number
  /**
   * A stream client that takes nothing for this long while a frame waits for it is disconnected (default 30 s: a slow
   * reader is paced, not cut). A snapshot response that takes nothing for this long or SNAPSHOT_STALL_TIMEOUT_MS,
   * whichever is shorter, is cut off too: one JPEG holds a client slot for a few seconds at most.
   */
  stallTimeoutMs?: number
  /** A connection must have sent a whole request head this long after it opened (or after its last response); else 408. */
  requestHeadTimeoutMs?: number
  /**
   * The token every URL must carry (`?token=`; the app and the CLI make a random one per broadcast). Omitted: no token
   * is asked for. The Host header is checked against this machine's names either way.
   */
  token?: string
}

export interface MjpegClientStats {
  id: number
  address: string
  since: number
  frames: number
  /** frames replaced by a newer one while this client was still reading the previous one */
  replaced: number
  bytes: number
}

interface Client extends Omit<MjpegClientStats, 'replaced'> {
  res: ServerResponse
  socket: Socket
  /** The one frame waiting for the pacing to let it go; its `replaced` count is the client's. */
  pending: NewestSlot<Uint8Array>
  /** Since when (monoMs) a frame has waited without the client taking anything; null while nothing waits. */
  blockedSince: number | null
  pacer: ReaderPacer
  paceTimer: NodeJS.Timeout | null
}

/**
 * The HTTP MJPEG endpoint: send() offers each JPEG to every /stream.mjpg client, newest frame wins per client, and
 * keeps it for /snapshot.jpg. Events: 'client-joined' (MjpegClientStats), 'client-left' ({ client, reason }),
 * 'refused' ({ address }), 'error' (FramecastError: the listening socket failed, e.g. out of file handles while
 * accepting; emitted only when someone listens, so it never throws — the server keeps serving).
 */
export class MjpegServer extends EventEmitter {
  readonly host: string
  readonly port: number
  private readonly clientsById = new Map<number, Client>()
  private latest: Uint8Array | null = null
  private nextId = 1
  private readonly sweep: NodeJS.Timeout
  private closed = false
  private readonly totals = { frames: 0, replaced: 0, refused: 0, clientsEver: 0, errors: 0 }
  private readonly snapshots: SnapshotDeliveries

  private constructor(
    private readonly server: Server,
    private readonly maxClients: number,
    private readonly stallTimeoutMs: number,
    private readonly guard: MjpegGuard
  ) {
    super()
    const a = server.address() as AddressInfo
    this.host = a.address
    this.port = a.port
    this.sweep = setInterval(() => this.cutStalled(), Math.max(50, Math.floor(stallTimeoutMs / 4)))
    this.sweep.unref()
    this.snapshots = new SnapshotDeliveries(Math.min(stallTimeoutMs, SNAPSHOT_STALL_TIMEOUT_MS))
  }

  static async listen(options: MjpegServerOptions = {}): Promise<MjpegServer> {
    // Node checks these timeouts every connectionsCheckingInterval; its default (30 s) let a silent client keep its
    // connection half a minute. Checked four times per timeout (at most once a second), a client that sends no
    // request is answered 408 and closed within 1.25 × requestHeadTimeoutMs.
    const headMs = options.requestHeadTimeoutMs ?? DEFAULT_REQUEST_HEAD_TIMEOUT_MS
    const server = createServer({
      headersTimeout: headMs,
      requestTimeout: 2 * headMs,
      keepAliveTimeout: headMs,
      connectionsCheckingInterval: Math.min(1_000, Math.max(25, Math.floor(headMs / 4)))
    })
    const port = options.port ?? 0
    await new Promise<void>((resolve, reject) => {
      const onError = (e: unknown): void => reject(fromSocketError(e, { port }))
      server.once('error', onError)
      server.listen({ host: options.host ?? '0.0.0.0', port }, () => {
        server.off('error', onError)
        resolve()
      })
    })
    const guard: MjpegGuard = { token: options.token ?? null, localNames: localHostNames }
    const m = new MjpegServer(server, options.maxClients ?? DEFAULT_MAX_VIEWERS, options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS, guard)
    server.on('request', (req, res) => m.onRequest(req, res))
    server.on('error', (e) => m.report(fromSocketError(e, { port: m.port })))
    server.on('clientError', (e: ParserError, socket: Socket) => m.onClientError(e, socket))
    return m
  }

  /** `path` (MJPEG_STREAM_PATH, MJPEG_SNAPSHOT_PATH) with the token query a request needs. */
  pathWithToken(path: string): string {
    return this.guard.token === null ? path : `${path}?${MJPEG_TOKEN_PARAM}=${encodeURIComponent(this.guard.token)}`
  }

  /** Offer the newest JPEG to every client. */
  send(jpeg: Uint8Array): void {
    if (this.closed) return
    this.latest = jpeg
    this.totals.frames++
    for (const c of this.clientsById.values()) this.offer(c, jpeg)
  }

  clients(): MjpegClientStats[] {
    return [...this.clientsById.values()].map(clientStats)
  }

  /** Counts since listen; `clients` streams now, `snapshots` snapshot responses under way, `errors` server faults. */
  stats(): { frames: number; replaced: number; refused: number; clientsEver: number; errors: number; clients: number; snapshots: number } {
    return { ...this.totals, clients: this.clientsById.size, snapshots: this.snapshots.size }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    clearInterval(this.sweep)
    for (const c of this.clientsById.values()) this.drop(c, 'closed')
    this.snapshots.clear()
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve())
      this.server.closeIdleConnections()
      // Streams end after their last whole part (or are reset by then); anything else still open goes now.
      setTimeout(() => this.server.closeAllConnections(), LINGER_MS + 100).unref()
    })
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return plain(res, 405, 'Only GET and HEAD are served here.\n', { Allow: 'GET, HEAD' })
    }
    const target = parseRequestTarget(req.url ?? '')
    if (target === null || target.form === 'asterisk' || target.form === 'authority') {
      return plain(res, 400, `The request target is not a path on this server. Try ${MJPEG_STREAM_PATH} or ${MJPEG_SNAPSHOT_PATH}.\n`, { Connection: 'close' })
    }
    if (!checkMjpegRequest(req, res, this.guard, target)) return
    if (target.path === MJPEG_SNAPSHOT_PATH) return this.snapshot(req, res)
    if (target.path === MJPEG_STREAM_PATH) return this.stream(req, res)
    return plain(res, 404, `Not found. Try ${MJPEG_STREAM_PATH} or ${MJPEG_SNAPSHOT_PATH}.\n`)
  }

  /** Whether one more client may be served; if not, `res` gets a 503 and the refusal is counted. */
  private admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.clientsById.size + this.snapshots.size < this.maxClients) return true
    const socket = req.socket
    this.totals.refused++
    this.emit('refused', { address: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}` })
    plain(res, 503, `This broadcast already has ${this.maxClients} MJPEG viewers.\n`, { 'Retry-After': '5', Connection: 'close' })
    return false
  }

  private snapshot(req: IncomingMessage, res: ServerResponse): void {
    const jpeg = this.latest
    if (jpeg === null) return plain(res, 503, 'No frame yet.\n', { 'Retry-After': '1' })
    if (!this.admit(req, res)) return
    res.writeHead(200, { 'Content-Type': 'image/jpeg', 'Content-Length': jpeg.length, 'Cache-Control': 'no-store' })
    this.snapshots.deliver(res, jpeg, req.method === 'HEAD')
  }

  private stream(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket
    const address = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? 0}`
    if (!this.admit(req, res)) return
    // A stream has no length and no end: no chunked framing, the body ends when the connection does.
    res.useChunkedEncodingByDefault = false
    res.shouldKeepAlive = false
    res.writeHead(200, {
      'Content-Type': `multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`,
      'Cache-Control': 'no-store, no-cache, must-revalidate',
      Pragma: 'no-cache',
      Connection: 'close',
      'X-Content-Type-Options': 'nosniff'
    })
    if (req.method === 'HEAD') {
      res.end()
      return
    }
    socket.setNoDelay(true)
    const c: Client = {
      id: this.nextId++,
      address,
      since: Date.now(),
      frames: 0,
      bytes: 0,
      res,
      socket,
      pending: new NewestSlot(),
      blockedSince: null,
      pacer: new ReaderPacer(socket),
      paceTimer: null
    }
    this.clientsById.set(c.id, c)
    this.totals.clientsEver++
    res.on('drain', () => this.onDrain(c))
    res.on('close', () => this.drop(c, 'disconnected'))
    this.emit('client-joined', clientStats(c))
    if (this.latest !== null) this.offer(c, this.latest)
  }

  /** A request Node's parser refused gets a status and a sentence, unless a response is already going out on it. */
  private onClientError(err: ParserError, socket: Socket): void {
    const answering = this.snapshots.answering(socket) || [...this.clientsById.values()].some((c) => c.socket === socket)
    const answer = socket.writable && !answering ? clientErrorResponse(err) : null
    if (answer === null) socket.destroy()
    else socket.end(answer)
  }

  /** A fault of the listening socket: counted, and emitted only to a listener (the server keeps serving). */
  private report(err: FramecastError): void {
    this.totals.errors++
    if (this.listenerCount('error') > 0) this.emit('error', err)
  }

  private offer(c: Client, jpeg: Uint8Array): void {
    if (c.pending.full) {
      c.pending.offer(jpeg)
      this.totals.replaced++
      return
    }
    const now = monoMs()
    if (c.pacer.ready(now)) {
      this.write(c, jpeg)
      return
    }
    c.pending.offer(jpeg)
    c.blockedSince ??= now
    this.schedule(c, now)
  }

  /** The way to `c` may have opened (a 'drain', a pacing check): send the waiting frame if it may go. */
  private pump(c: Client, progressed: boolean): void {
    if (!this.clientsById.has(c.id)) return
    const now = monoMs()
    if (progressed && c.blockedSince !== null) c.blockedSince = now
    const next = c.pending.peek()
    if (next === undefined) return
    if (!c.pacer.ready(now)) {
      this.schedule(c, now)
      return
    }
    c.pending.take()
    c.blockedSince = null
    this.write(c, next)
  }

  private schedule(c: Client, now: number): void {
    if (c.paceTimer !== null || c.socket.writableNeedDrain) return
    c.paceTimer = setTimeout(() => {
      c.paceTimer = null
      this.pump(c, c.pacer.progressed())
    }, c.pacer.retryMs(now))
  }

  private write(c: Client, jpeg: Uint8Array): void {
    const head = Buffer.from(`--${MJPEG_BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: ${jpeg.length}\r\n\r\n`, 'latin1')
    c.res.cork()
    c.res.write(head)
    c.res.write(jpeg)
    c.res.write('\r\n')
    c.res.uncork()
    c.frames++
    const bytes = head.length + jpeg.length + 2
    c.bytes += bytes
    c.pacer.wrote(bytes, monoMs())
  }

  private onDrain(c: Client): void {
    this.pump(c, true)
  }

  private cutStalled(): void {
    const now = monoMs()
    for (const c of this.clientsById.values()) {
      if (c.blockedSince !== null && now - c.blockedSince >= this.stallTimeoutMs) this.drop(c, 'stalled')
    }
  }

  private drop(c: Client, reason: 'disconnected' | 'stalled' | 'closed'): void {
    if (!this.clientsById.delete(c.id)) return
    const client = clientStats(c)
    c.pending.clear()
    if (c.paceTimer !== null) clearTimeout(c.paceTimer)
    c.paceTimer = null
    if (reason === 'disconnected') {
      c.res.destroy()
    } else {
      // End after the last whole part; a client that does not take it in time is reset, never left mid-part.
      c.res.end()
      endAfterWholeFrames(c.socket, LINGER_MS)
    }
    this.emit('client-left', { client, reason })
  }
}

function clientStats(c: Client): MjpegClientStats {
  return { id: c.id, address: c.address, since: c.since, frames: c.frames, replaced: c.pending.replaced, bytes: c.bytes }
}

function plain(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(body), ...headers })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

