// The MJPEG endpoint's request check over real loopback HTTP: the broadcast token, the Host header (DNS rebinding)
// and Cross-Origin-Resource-Policy; and the Host header parser against arbitrary input.

import fc from 'fast-check'
import { request } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { MJPEG_SNAPSHOT_PATH, MJPEG_STREAM_PATH, MjpegServer } from '../../../src/core/mjpeg/mjpeg-server'
import { hostOfHeader, localHostNames } from '../../../src/core/mjpeg/request-guard'
import { NUM_RUNS } from '../../support/runs'

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9])
const servers: MjpegServer[] = []
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()))
})

function get(port: number, path: string, host?: string): Promise<{ status: number; corp: unknown; type: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: host === undefined ? {} : { host } }, (res) => {
      resolve({ status: res.statusCode ?? 0, corp: res.headers['cross-origin-resource-policy'], type: res.headers['content-type'] })
      res.destroy()
    })
    req.on('error', reject)
    req.end()
  })
}

async function server(token?: string): Promise<MjpegServer> {
  const s = await MjpegServer.listen({ host: '127.0.0.1', port: 0, ...(token !== undefined ? { token } : {}) })
  servers.push(s)
  s.send(JPEG)
  return s
}

describe('the MJPEG request check', () => {
  it('serves only URLs that carry the broadcast token, and answers the rest as if nothing were there', async () => {
    const s = await server('s3cret-T0ken')
    expect(s.pathWithToken(MJPEG_SNAPSHOT_PATH)).toBe('/snapshot.jpg?token=s3cret-T0ken')
    expect((await get(s.port, MJPEG_SNAPSHOT_PATH)).status).toBe(404)
    expect((await get(s.port, `${MJPEG_SNAPSHOT_PATH}?token=s3cret-T0kem`)).status).toBe(404)
    expect((await get(s.port, `${MJPEG_STREAM_PATH}?token=`)).status).toBe(404)
    const ok = await get(s.port, s.pathWithToken(MJPEG_SNAPSHOT_PATH))
    expect(ok).toMatchObject({ status: 200, type: 'image/jpeg', corp: 'same-origin' })
    const stream = await get(s.port, s.pathWithToken(MJPEG_STREAM_PATH))
    expect(stream.status).toBe(200)
    expect(String(stream.type)).toMatch(/^multipart\/x-mixed-replace/)
  })

  it('refuses a Host header that does not name this machine (DNS rebinding), even with the token', async () => {
    const s = await server('tok')
    const path = s.pathWithToken(MJPEG_SNAPSHOT_PATH)
    expect(await get(s.port, path, 'attacker.example:8080')).toMatchObject({ status: 403, corp: 'same-origin' })
    expect((await get(s.port, path, 'attacker.example')).status).toBe(403)
    expect((await get(s.port, path, '127.0.0.1.attacker.example')).status).toBe(403)
    expect((await get(s.port, path, `127.0.0.1:${s.port}`)).status).toBe(200)
    expect((await get(s.port, path, `localhost:${s.port}`)).status).toBe(200)
    expect((await get(s.port, path, `[::1]:${s.port}`)).status).toBe(200)
    // Names a public DNS cannot hand out, as a router or /etc/hosts names a camera on a LAN.
    expect((await get(s.port, path, 'cam')).status).toBe(200)
    expect((await get(s.port, path, 'desk-cam.lan:8080')).status).toBe(200)
    expect((await get(s.port, path, '10.99.99.99')).status, 'an address that is not this machine').toBe(403)
  })

  it('knows this machine by its addresses, localhost and its host name', () => {
    const names = localHostNames()
    expect(names.has('127.0.0.1')).toBe(true)
    expect(names.has('localhost')).toBe(true)
    expect(names.has('example.com')).toBe(false)
  })
})

describe('hostOfHeader', () => {
  it('reads the host of the forms HTTP allows', () => {
    expect(hostOfHeader('Cam.Local:8080')).toBe('cam.local')
    expect(hostOfHeader('cam.local.')).toBe('cam.local')
    expect(hostOfHeader('[FE80::1%25eth0]:8080')).toBe('fe80::1')
    expect(hostOfHeader('[::1]')).toBe('::1')
    expect(hostOfHeader('10.0.0.2')).toBe('10.0.0.2')
    expect(hostOfHeader('a b')).toBeNull()
    expect(hostOfHeader('evil.example@127.0.0.1')).toBeNull()
    expect(hostOfHeader('127.0.0.1:99999999')).toBeNull()
  })

  it('never throws, and returns only lowercase host text without a port', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (header) => {
        const h = hostOfHeader(header)
        if (h !== null) {
          expect(h).toBe(h.toLowerCase())
          expect(h).not.toMatch(/[\s[\]/@]/)
        }
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
