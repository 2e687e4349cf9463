import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { parseRequestTarget } from '../../../src/core/mjpeg/request-target'
import { NUM_RUNS } from '../../support/runs'

const params = { numRuns: NUM_RUNS }

/** One path segment of unreserved characters (never '.' or '..', which resolve away). */
const segment = fc.stringMatching(/^[A-Za-z0-9_~-][A-Za-z0-9._~-]{0,11}$/)
const path = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => `/${s.join('/')}`)
const query = fc.option(fc.stringMatching(/^[A-Za-z0-9=&._~-]{0,24}$/), { nil: undefined })
const host = fc.oneof(fc.stringMatching(/^[a-z][a-z0-9-]{0,14}$/), fc.ipV4())
const port = fc.integer({ min: 1, max: 65535 })

describe('parseRequestTarget', () => {
  it('reads the origin-form: path and query', () => {
    expect(parseRequestTarget('/stream.mjpg')).toEqual({ form: 'origin', path: '/stream.mjpg', query: '', authority: null })
    expect(parseRequestTarget('/stream.mjpg?action=stream&dummy=param.mjpg')).toEqual({
      form: 'origin',
      path: '/stream.mjpg',
      query: 'action=stream&dummy=param.mjpg',
      authority: null
    })
  })

  it('reads the absolute-form (RFC 9112 §3.2.2) and takes the host from the target', () => {
    expect(parseRequestTarget('http://192.168.1.20:8080/stream.mjpg')).toEqual({
      form: 'absolute',
      path: '/stream.mjpg',
      query: '',
      authority: '192.168.1.20:8080'
    })
    expect(parseRequestTarget('HTTP://Cam.Local/snapshot.jpg?t=1')).toEqual({ form: 'absolute', path: '/snapshot.jpg', query: 't=1', authority: 'cam.local' })
    expect(parseRequestTarget('https://[fe80::1]:8443/stream.mjpg')?.authority).toBe('[fe80::1]:8443')
    expect(parseRequestTarget('http://cam')?.path).toBe('/')
  })

  it('keeps a double slash a path, not a host', () => {
    expect(parseRequestTarget('//evil.example/stream.mjpg')).toEqual({ form: 'origin', path: '//evil.example/stream.mjpg', query: '', authority: null })
  })

  it('resolves dot segments, so a path cannot be dressed up as another', () => {
    expect(parseRequestTarget('/a/../stream.mjpg')?.path).toBe('/stream.mjpg')
    expect(parseRequestTarget('/stream.mjpg/../../etc/passwd')?.path).toBe('/etc/passwd')
    expect(parseRequestTarget('http://cam/./stream.mjpg')?.path).toBe('/stream.mjpg')
  })

  it('tells the asterisk-form and the authority-form apart', () => {
    expect(parseRequestTarget('*')).toEqual({ form: 'asterisk', path: '*', query: '', authority: null })
    expect(parseRequestTarget('cam.local:8080')).toEqual({ form: 'authority', path: '', query: '', authority: 'cam.local:8080' })
  })

  it('refuses what is none of the four forms', () => {
    for (const bad of [
      '',
      'stream.mjpg',
      'cam.local',
      'ftp://cam/stream.mjpg',
      'file:///etc/passwd',
      'javascript:alert(1)',
      'http://user:pass@cam/stream.mjpg',
      'http:///stream.mjpg',
      '/stream.mjpg#part',
      '/stream mjpg',
      '/stream\tmjpg',
      '/stream\u00e9.mjpg',
      '/a\u0000b',
      'cam:8080/x',
      'user@cam:8080',
      '/stream.mjpg\\..\\x',
      'http:\\\\cam/stream.mjpg'
    ]) {
      expect(parseRequestTarget(bad), JSON.stringify(bad)).toBeNull()
    }
  })

  it('gives the same path for a target in origin-form and in absolute-form', () => {
    fc.assert(
      fc.property(path, query, host, port, fc.constantFrom('http', 'https'), (p, q, h, n, scheme) => {
        const origin = p + (q === undefined ? '' : `?${q}`)
        const a = parseRequestTarget(origin)
        const b = parseRequestTarget(`${scheme}://${h}:${n}${origin}`)
        expect(a).toEqual({ form: 'origin', path: p, query: q ?? '', authority: null })
        expect(b?.form).toBe('absolute')
        expect(b?.path).toBe(p)
        expect(b?.query).toBe(q ?? '')
        expect(b?.authority?.startsWith(h)).toBe(true)
      }),
      params
    )
  })

  it('never throws, whatever the target', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.webUrl(), fc.string({ unit: 'binary', maxLength: 80 })), (t) => {
        const r = parseRequestTarget(t)
        if (r !== null) expect(['origin', 'absolute', 'asterisk', 'authority']).toContain(r.form)
      }),
      params
    )
  })
})
