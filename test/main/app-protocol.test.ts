import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { APP_ORIGIN, appRequestHandler } from '../../src/main/app-protocol'

vi.mock('electron', () => import('./fake-electron'))

let base: string
let serve: (request: Request) => Promise<Response>

beforeAll(() => {
  base = mkdtempSync(join(tmpdir(), 'framecast-app-scheme-'))
  const build = join(base, 'renderer')
  mkdirSync(join(build, 'assets'), { recursive: true })
  writeFileSync(join(build, 'index.html'), '<!doctype html><title>app</title>')
  writeFileSync(join(build, 'assets', 'index-abc.js'), 'console.log("app")\n')
  writeFileSync(join(base, 'secret.txt'), 'outside the build')
  symlinkSync(join(base, 'secret.txt'), join(build, 'assets', 'link.txt'))
  serve = appRequestHandler(build)
})

afterAll(() => rmSync(base, { recursive: true, force: true }))

async function get(url: string, method = 'GET'): Promise<{ status: number; type: string | null; body: string }> {
  const res = await serve(new Request(url, { method }))
  return { status: res.status, type: res.headers.get('content-type'), body: await res.text() }
}

describe('the app:// scheme', () => {
  it('serves the page at / and /index.html, and build assets with their content type', async () => {
    for (const path of ['/', '/index.html', '/index.html?x=1']) {
      const page = await get(`${APP_ORIGIN}${path}`)
      expect(page, path).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>app</title>' })
    }
    const script = await get(`${APP_ORIGIN}/assets/index-abc.js`)
    expect(script).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8', body: 'console.log("app")\n' })
  })

  it('answers HEAD without a body', async () => {
    const res = await serve(new Request(`${APP_ORIGIN}/index.html`, { method: 'HEAD' }))
    expect(res.status).toBe(200)
    expect(res.headers.get('content-length')).toBe('33')
    expect(await res.text()).toBe('')
  })

  it('serves nothing outside the build folder, however the path is written', async () => {
    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e%2f%2e%2e%2fsecret.txt',
      '/assets/link.txt',
      '/assets',
      '/assets/',
      '/missing.js',
      '/%zz',
      '/index.html%00.js'
    ]) {
      const res = await get(`${APP_ORIGIN}${path}`)
      expect(res.status, path).toBe(404)
      expect(res.body, path).not.toContain('outside the build')
    }
  })

  it('serves only its own host, and only GET and HEAD', async () => {
    expect((await get('app://elsewhere/index.html')).status).toBe(404)
    const post = await serve(new Request(`${APP_ORIGIN}/index.html`, { method: 'POST', body: 'x' }))
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
  })

  it('marks every answer nosniff', async () => {
    for (const path of ['/index.html', '/missing.js']) {
      const res = await serve(new Request(`${APP_ORIGIN}${path}`))
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff')
    }
  })
})
