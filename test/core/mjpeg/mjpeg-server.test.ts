import { spawn, spawnSync } from 'node:child_process'
import { request } from 'node:http'
import { connect, type Socket } from 'node:net'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { MJPEG_BOUNDARY, MjpegServer } from '../../../src/core/mjpeg/mjpeg-server'
import { hasCv2, PYTHON } from '../../support/python'

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0

/** A distinct JPEG per index: a solid colour that encodes the index, with noise so frames have realistic sizes. */
async function jpegFrame(i: number, width = 320, height = 240, noise = false): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  for (let p = 0; p < width * height; p++) {
    raw[p * 3] = (i * 40) % 256
    raw[p * 3 + 1] = (i * 90) % 256
    raw[p * 3 + 2] = noise ? (p * 2654435761 + i) % 251 : 128
  }
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer()
}

/** Reads multipart/x-mixed-replace parts by their Content-Length. */
function partReader(onPart: (jpeg: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0)
  return (chunk) => {
    buf = Buffer.concat([buf, chunk])
    for (;;) {
      const end = buf.indexOf('\r\n\r\n')
      if (end < 0) return
      const head = buf.subarray(0, end).toString('latin1')
      expect(head.startsWith(`--${MJPEG_BOUNDARY}\r\n`)).toBe(true)
      const length = Number(/Content-Length: (\d+)/.exec(head)?.[1])
      if (buf.length < end + 4 + length + 2) return
      onPart(buf.subarray(end + 4, end + 4 + length))
      buf = buf.subarray(end + 4 + length + 2)
    }
  }
}

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }))
    })
    req.on('error', reject)
    req.end()
  })
}

const servers: MjpegServer[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy()
  for (const s of servers.splice(0)) await s.close()
})

async function listen(o: { maxClients?: number; stallTimeoutMs?: number } = {}): Promise<MjpegServer> {
  const s = await MjpegServer.listen({ host: '127.0.0.1', port: 0, ...o })
  servers.push(s)
  return s
}

/** Sends frames at `fps` until stop() — a broadcast in miniature. */
function pump(server: MjpegServer, frames: Buffer[], fps = 30): { stop: () => void; sent: () => number } {
  let n = 0
  const t = setInterval(() => server.send(frames[n++ % frames.length]!), 1000 / fps)
  return { stop: () => clearInterval(t), sent: () => n }
}

describe('the MJPEG endpoint', () => {
  it('serves the newest frame at /snapshot.jpg, and 503 before the first one', async () => {
    const s = await listen()
    expect((await get(s.port, '/snapshot.jpg')).status).toBe(503)
    const a = await jpegFrame(1)
    const b = await jpegFrame(2)
    s.send(a)
    s.send(b)
    const r = await get(s.port, '/snapshot.jpg')
    expect(r.status).toBe(200)
    expect(r.headers['content-type']).toBe('image/jpeg')
    expect(r.body.equals(b)).toBe(true)
    const head = await get(s.port, '/snapshot.jpg', 'HEAD')
    expect(head.status).toBe(200)
    expect(Number(head.headers['content-length'])).toBe(b.length)
    expect(head.body.length).toBe(0)
  })

  it('answers 404 for other paths and 405 for other methods', async () => {
    const s = await listen()
    expect((await get(s.port, '/')).status).toBe(404)
    expect((await get(s.port, '/stream.mjpg/../etc/passwd')).status).toBe(404)
    const post = await get(s.port, '/stream.mjpg', 'POST')
    expect(post.status).toBe(405)
    expect(post.headers.allow).toBe('GET, HEAD')
  })

  it('streams every frame as a multipart part, starting with the newest one', async () => {
    const s = await listen()
    const frames = await Promise.all([0, 1, 2, 3, 4].map((i) => jpegFrame(i)))
    s.send(frames[0]!)
    const got: Buffer[] = []
    const joined = new Promise((r) => s.once('client-joined', r))
    const req = request({ host: '127.0.0.1', port: s.port, path: '/stream.mjpg' }, (res) => {
      expect(res.headers['content-type']).toBe(`multipart/x-mixed-replace; boundary=${MJPEG_BOUNDARY}`)
      expect(res.headers['transfer-encoding']).toBeUndefined()
      res.on('data', partReader((p) => got.push(Buffer.from(p))))
    })
    req.end()
    await joined
    for (const f of frames.slice(1)) {
      s.send(f)
      await new Promise((r) => setTimeout(r, 20))
    }
    await expect.poll(() => got.length).toBe(5)
    got.forEach((g, i) => expect(g.equals(frames[i]!), `part ${i}`).toBe(true))
    req.destroy()
    await expect.poll(() => s.clients().length).toBe(0)
  })

  it('refuses the stream client beyond the limit with 503', async () => {
    const s = await listen({ maxClients: 2 })
    for (let i = 0; i < 2; i++) {
      const sock = connect(s.port, '127.0.0.1')
      sockets.push(sock)
      sock.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    }
    await expect.poll(() => s.clients().length).toBe(2)
    const third = await get(s.port, '/stream.mjpg')
    expect(third.status).toBe(503)
    expect(s.stats().refused).toBe(1)
  })

  it('keeps a healthy client at full rate while another never reads, and cuts the stalled one off', async () => {
    const s = await listen({ stallTimeoutMs: 600 })
    const frames = await Promise.all([0, 1, 2, 3].map((i) => jpegFrame(i, 640, 480, true)))
    expect(frames[0]!.length).toBeGreaterThan(50_000)
    const stalled = connect(s.port, '127.0.0.1')
    sockets.push(stalled)
    stalled.pause()
    stalled.write('GET /stream.mjpg HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
    const left = new Promise<{ reason: string }>((r) => s.on('client-left', r))
    await expect.poll(() => s.clients().length).toBe(1)

    let healthy = 0
    const req = request({ host: '127.0.0.1', port: s.port, path: '/stream.mjpg' }, (res) => res.on('data', partReader(() => healthy++)))
    req.end()
    await expect.poll(() => s.clients().length).toBe(2)
    const p = pump(s, frames, 30)
    expect((await left).reason).toBe('stalled')
    expect(s.stats().replaced).toBeGreaterThan(0)
    await new Promise((r) => setTimeout(r, 1000))
    p.stop()
    const sent = p.sent()
    await expect.poll(() => healthy).toBeGreaterThanOrEqual(sent * 0.9)
    req.destroy()
  })

  it.skipIf(!hasFfmpeg)('is read by ffmpeg', async () => {
    const s = await listen()
    const frames = await Promise.all([0, 1, 2].map((i) => jpegFrame(i)))
    const p = pump(s, frames)
    const ff = spawn('ffmpeg', ['-loglevel', 'error', '-i', `http://127.0.0.1:${s.port}/stream.mjpg`, '-frames:v', '20', '-f', 'framemd5', '-'])
    // framemd5 prints one line per decoded frame: stream, dts, pts, duration, size, md5.
    let out = ''
    ff.stdout.on('data', (c: Buffer) => (out += c.toString()))
    const code = await new Promise((r) => ff.on('exit', r))
    p.stop()
    expect(code).toBe(0)
    const lines = out.split('\n').filter((l) => /^0,/.test(l))
    expect(lines.length).toBe(20)
  })

  it.skipIf(!hasCv2)('is read by cv2.VideoCapture', async () => {
    const s = await listen()
    const frames = await Promise.all([0, 1, 2].map((i) => jpegFrame(i)))
    const p = pump(s, frames)
    const script = [
      'import cv2, sys',
      'cap = cv2.VideoCapture(sys.argv[1])',
      'shapes = []',
      'for _ in range(15):',
      '    ok, frame = cap.read()',
      '    if not ok: break',
      '    shapes.append(frame.shape)',
      'print(len(shapes), shapes[0] if shapes else None)'
    ].join('\n')
    const py = spawn(PYTHON, ['-c', script, `http://127.0.0.1:${s.port}/stream.mjpg`])
    let out = ''
    py.stdout.on('data', (c: Buffer) => (out += c.toString()))
    const code = await new Promise((r) => py.on('exit', r))
    p.stop()
    expect(code).toBe(0)
    expect(out.trim()).toBe('15 (240, 320, 3)')
  })
})
