import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { clientErrorResponse, hasBareLf } from '../../../src/core/mjpeg/client-error'
import { NUM_RUNS } from '../../support/runs'

describe('hasBareLf', () => {
  it('finds a line feed without its carriage return, and only that', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[ -~]{0,20}$/), { maxLength: 10 }), fc.nat(), (lines, at) => {
        const crlf = Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1')
        expect(hasBareLf(crlf)).toBe(false)
        const lfs = [...crlf.keys()].filter((i) => crlf[i] === 0x0a)
        const i = lfs[at % lfs.length]!
        const bare = Buffer.concat([crlf.subarray(0, i - 1), crlf.subarray(i)])
        expect(hasBareLf(bare)).toBe(true)
      }),
      { numRuns: NUM_RUNS }
    )
    expect(hasBareLf(Buffer.from('\n'))).toBe(true)
    expect(hasBareLf(Buffer.from(''))).toBe(false)
  })
})

describe('clientErrorResponse', () => {
  const statusOf = (r: string | null): string | undefined => r?.split('\r\n', 1)[0]

  it('answers each kind of refusal with its status and a body of the length it declares', () => {
    const cases: Array<[Parameters<typeof clientErrorResponse>[0], string]> = [
      [{ code: 'HPE_INVALID_VERSION', rawPacket: Buffer.from('GET / HTTP/1.1\nHost: x\n\n') }, 'HTTP/1.1 400 Bad Request'],
      [{ code: 'HPE_INVALID_METHOD', reason: 'Invalid method encountered' }, 'HTTP/1.1 400 Bad Request'],
      [{ code: 'HPE_HEADER_OVERFLOW' }, 'HTTP/1.1 431 Request Header Fields Too Large'],
      [{ code: 'ERR_HTTP_REQUEST_TIMEOUT' }, 'HTTP/1.1 408 Request Timeout']
    ]
    for (const [err, status] of cases) {
      const r = clientErrorResponse(err)!
      expect(statusOf(r), err.code).toBe(status)
      const [head, body] = r.split('\r\n\r\n') as [string, string]
      expect(Number(/Content-Length: (\d+)/.exec(head)?.[1])).toBe(Buffer.byteLength(body))
      expect(head).toContain('Connection: close')
    }
    expect(clientErrorResponse(cases[0]![0])).toContain('bare LF')
  })

  it('writes nothing to a peer that reset the connection', () => {
    expect(clientErrorResponse({ code: 'ECONNRESET' })).toBeNull()
  })

  it('keeps what the parser said printable and short', () => {
    const r = clientErrorResponse({ code: 'HPE_X', reason: 'bad\r\n\u0000thing' + 'x'.repeat(500) })!
    const body = r.split('\r\n\r\n')[1]!
    expect(body.includes('\r') || body.includes('\u0000')).toBe(false)
    expect(body.length).toBeLessThan(200)
  })
})
