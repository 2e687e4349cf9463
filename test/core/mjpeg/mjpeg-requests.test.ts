// How the MJPEG endpoint takes requests, from raw sockets: the request-target forms, requests Node's parser refuses,
// clients that send nothing, /snapshot.jpg clients that never read, and faults of the listening socket.

import type { Server } from 'node:http'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { FramecastError } from '../../../src/core/errors'
import { MJPEG_BOUNDARY, MjpegServer, type MjpegServerOptions } from '../../../src/core/mjpeg/mjpeg-server'
import { fakeJpeg, sleep } from '../../support/net'

const servers: MjpegServer[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const s of servers.splice(0)) await s.close()
})

async function listen(o: MjpegServerOptions = {}): Promise<MjpegServer> {
  const s = await MjpegServer.listen({ host: '127.0.0.1', port: 0, ...o })
  servers.push(s)
  return s
}

interface RawExchange {
  socket: Socket
  /** Everything read so far. */
  bytes: () => Buffer
  /** Resolves when the server has closed the connection. */
  closed: Promise<void>
}

/** Open a connection and write `raw` as is; `read: false` leaves the socket paused (a client that never reads). */
function raw(port: number, text: string | Buffer, read = true): RawExchange {
  const socket = connect(port, '127.0.0.1')
  sockets.push(socket)
  const chunks: Buffer[] = []
  if (read) socket.on('data', (c: Buffer) => chunks.push(c))
  else socket.pause()
  socket.on('error', () => undefined)
  const closed = new Promise<void>((r) => socket.once('close', () => r()))
  if (text.length > 0) socket.write(text)
  return { socket, bytes: () => Buffer.concat(chunks), closed }
}

function statusLine(b: Buffer): string {
  return b.subarray(0, Math.max(0, b.indexOf('\r\n'))).toString('latin1')
}

/** The first part of a multipart/x-mixed-replace body, read by its Content-Length, or null until it is all there. */
function firstPart(b: Buffer): Buffer | null {
  const bodyAt = b.indexOf('\r\n\r\n') + 4
  const body = b.subarray(bodyAt)
  if (!body.subarray(0, MJPEG_BOUNDARY.length + 4).equals(Buffer.from(`--${MJPEG_BOUNDARY}\r\n`))) return null
  const headEnd = body.indexOf('\r\n\r\n')
  if (headEnd < 0) return null
  const length = Number(/Content-Length: (\d+)/i.exec(body.subarray(0, headEnd).toString('latin1'))?.[1])
  const start = headEnd + 4
  return body.length >= start + length ? body.subarray(start, start + length) : null
}

describe('MJPEG request forms', () => {
  it('serves a stream requested in absolute-form, as RFC 9112 §3.2.2 requires', async () => {
    const s = await listen()
    const frame = fakeJpeg(5_000, 7)
    s.send(frame)
    const c = raw(s.port, `GET http://127.0.0.1:${s.port}/stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`)
    await expect.poll(() => firstPart(c.bytes()) !== null).toBe(true)
    expect(statusLine(c.bytes())).toBe('HTTP/1.1 200 OK')
    expect(firstPart(c.bytes())!.equals(frame)).toBe(true)
  })

  it('serves a snapshot requested in absolute-form, whatever the scheme and host written', async () => {
    const s = await listen()
    const frame = fakeJpeg(3_000, 3)
    s.send(frame)
    for (const target of [`http://127.0.0.1:${s.port}/snapshot.jpg`, 'http://cam.local/snapshot.jpg?t=1', 'HTTPS://CAM/snapshot.jpg']) {
      const c = raw(s.port, `GET ${target} HTTP/1.0\r\n\r\n`)
      await c.closed
      const b = c.bytes()
      expect(statusLine(b), target).toBe('HTTP/1.1 200 OK')
      expect(b.subarray(b.indexOf('\r\n\r\n') + 4).equals(frame), target).toBe(true)
    }
  })

  it('answers a request with bare-LF line endings with 400 and a sentence saying so, then closes', async () => {
    const s = await listen()
    s.send(fakeJpeg(1_000))
    for (const text of [
      'GET /stream.mjpg HTTP/1.1\nHost: cam\n\n',
      'GET /stream.mjpg HTTP/1.0\n\n',
      'GET /snapshot.jpg HTTP/1.1\r\nHost: cam\n\n'
    ]) {
      const c = raw(s.port, text)
      await c.closed
      const b = c.bytes().toString('latin1')
      expect(b, JSON.stringify(text)).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
      expect(b, JSON.stringify(text)).toContain('must end with CR LF')
      expect(b).toMatch(/Content-Length: \d+\r\n/)
    }
  })

  it('answers what is not HTTP with 400 and what it could not read', async () => {
    const s = await listen()
    const c = raw(s.port, 'HELLO THERE\r\n\r\n')
    await c.closed
    const b = c.bytes().toString('latin1')
    expect(b).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/)
    expect(b).toContain('This is not an HTTP request this server can read')
  })

  it('refuses a GET in asterisk-form or authority-form with 400', async () => {
    const s = await listen()
    for (const target of ['*', `127.0.0.1:${s.port}`]) {
      const c = raw(s.port, `GET ${target} HTTP/1.1\r\nHost: cam\r\n\r\n`)
      await c.closed
      expect(statusLine(c.bytes()), target).toBe('HTTP/1.1 400 Bad Request')
    }
  })

  it('answers a client that sends no request 408 and closes it, within its request-head timeout', async () => {
    const s = await listen({ requestHeadTimeoutMs: 300 })
    const c = raw(s.port, '')
    const t0 = performance.now()
    await Promise.race([c.closed, sleep(10_000)])
    expect(c.socket.destroyed || c.socket.readableEnded).toBe(true)
    // Node's default check interval alone is 30 s; generous for a loaded machine, far below that.
    expect(performance.now() - t0).toBeLessThan(8_000)
    expect(statusLine(c.bytes())).toBe('HTTP/1.1 408 Request Timeout')
  })
})

describe('MJPEG snapshots', () => {
  // Larger than what the kernel buffers of a loopback connection hold, so a client that never reads keeps the
  // response under way.
  const BIG = 48 * 1024 * 1024

  it('counts snapshots under way against the client limit, and cuts off the ones nobody reads', async () => {
    const s = await listen({ maxClients: 2, stallTimeoutMs: 400 })
    const frame = fakeJpeg(BIG, 9)
    s.send(frame)
    const idle = [0, 1].map(() => raw(s.port, 'GET /snapshot.jpg HTTP/1.1\r\nHost: cam\r\n\r\n', false))
    await expect.poll(() => s.stats().snapshots).toBe(2)

    for (const path of ['/snapshot.jpg', '/stream.mjpg']) {
      const c = raw(s.port, `GET ${path} HTTP/1.1\r\nHost: cam\r\n\r\n`)
      await c.closed
      expect(statusLine(c.bytes()), path).toBe('HTTP/1.1 503 Service Unavailable')
    }
    expect(s.stats().refused).toBe(2)

    // Cut off: no longer counted, and their connections end (seen once they read what they were sent).
    await expect.poll(() => s.stats().snapshots, { timeout: 10_000 }).toBe(0)
    for (const c of idle) c.socket.resume()
    await Promise.all(idle.map((c) => c.closed))

    const body = await new Promise<Buffer>((resolve, reject) => {
      request({ host: '127.0.0.1', port: s.port, path: '/snapshot.jpg' }, (res) => {
        const parts: Buffer[] = []
        res.on('data', (p: Buffer) => parts.push(p))
        res.on('end', () => resolve(Buffer.concat(parts)))
      })
        .on('error', reject)
        .end()
    })
    expect(body.equals(frame)).toBe(true)
    // The client may see the end before the server has seen its response finish.
    await expect.poll(() => s.stats().snapshots).toBe(0)
  })

  it('keeps a snapshot going to a client that reads slowly but steadily', async () => {
    const SLOW = 24 * 1024 * 1024
    const s = await listen({ stallTimeoutMs: 1_500 })
    const frame = fakeJpeg(SLOW, 4)
    s.send(frame)
    const c = raw(s.port, 'GET /snapshot.jpg HTTP/1.1\r\nHost: cam\r\n\r\n', false)
    // About 1 MiB every 100 ms: ~10 MiB/s, far slower than the server could send.
    let got = 0
    let thisTick = 0
    c.socket.on('data', (chunk: Buffer) => {
      got += chunk.length
      thisTick += chunk.length
      if (thisTick >= 1024 * 1024) c.socket.pause()
    })
    c.socket.pause()
    const reader = setInterval(() => {
      thisTick = 0
      c.socket.resume()
    }, 100)
    try {
      await expect.poll(() => got, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(SLOW)
    } finally {
      clearInterval(reader)
    }
    expect(c.socket.destroyed).toBe(false)
  })
})

describe('MJPEG server faults', () => {
  /** The listening socket itself, as Node hands its faults to 'error' (e.g. accept failing for lack of file handles). */
  function listeningSocket(s: MjpegServer): Server {
    return (s as unknown as { server: Server }).server
  }
  const emfile = (): Error => Object.assign(new Error('accept EMFILE'), { code: 'EMFILE', syscall: 'accept' })

  it('survives a fault of the listening socket that nobody listens for, counts it, and keeps serving', async () => {
    const s = await listen()
    const frame = fakeJpeg(2_000, 1)
    s.send(frame)
    expect(() => listeningSocket(s).emit('error', emfile())).not.toThrow()
    expect(s.stats().errors).toBe(1)
    const c = raw(s.port, 'GET /snapshot.jpg HTTP/1.0\r\n\r\n')
    await c.closed
    expect(statusLine(c.bytes())).toBe('HTTP/1.1 200 OK')
  })

  it('hands such a fault to its listener as a FramecastError', async () => {
    const s = await listen()
    const seen: unknown[] = []
    s.on('error', (e) => seen.push(e))
    listeningSocket(s).emit('error', emfile())
    expect(seen).toHaveLength(1)
    expect(seen[0]).toBeInstanceOf(FramecastError)
  })
})
