// What an HTTP client whose request Node's parser refused is told, instead of a connection closed without a word:
// a status line and a sentence saying what was wrong. Hand-typed requests (`printf 'GET /stream.mjpg HTTP/1.1\n\n' |
// nc cam 8080`) and small embedded clients often end lines with a bare LF; RFC 9112 §2.2 lets a server refuse that,
// and this one does — the strict parser stays strict, so no request is read two ways — but says so.

/** The subset of Node's parser errors (`clientError`) this looks at. */
export interface ParserError {
  code?: string
  reason?: string
  /** The bytes the parser had when it gave up (Node sets this for parse errors). */
  rawPacket?: Buffer
}

/** True when the bytes hold a line feed that no carriage return precedes. */
export function hasBareLf(bytes: Uint8Array): boolean {
  for (let i = bytes.indexOf(0x0a); i >= 0; i = bytes.indexOf(0x0a, i + 1)) {
    if (i === 0 || bytes[i - 1] !== 0x0d) return true
  }
  return false
}

/**
 * The whole HTTP/1.1 response (status line, headers, body) for a request the parser refused, or null when nothing
 * should be written (the peer reset the connection). Statuses: 408 for a request not finished in time, 431 for
 * headers too large, 400 with the reason otherwise.
 */
export function clientErrorResponse(err: ParserError): string | null {
  if (err.code === 'ECONNRESET') return null
  let status = '400 Bad Request'
  let text: string
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    status = '408 Request Timeout'
    text = 'The request did not arrive in time.'
  } else if (err.code === 'HPE_HEADER_OVERFLOW') {
    status = '431 Request Header Fields Too Large'
    text = 'The request headers are too large.'
  } else if (err.rawPacket !== undefined && hasBareLf(err.rawPacket)) {
    text = 'Each line of an HTTP request must end with CR LF (RFC 9112 section 2.2); this request ended a line with a bare LF.'
  } else {
    text = `This is not an HTTP request this server can read${err.reason ? ` (${err.reason.replace(/[^\x20-\x7e]/g, '?').slice(0, 120)})` : ''}.`
  }
  const body = `${text}\n`
  return (
    `HTTP/1.1 ${status}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
    `Connection: close\r\n\r\n${body}`
  )
}
