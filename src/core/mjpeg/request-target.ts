// The request-target of an HTTP/1.1 request line, as RFC 9112 §3.2 defines its four forms, reduced to what an origin
// server routes on. A server MUST accept the absolute-form (§3.2.2: "GET http://cam:8080/stream.mjpg HTTP/1.1", sent
// by clients configured with a proxy and by some camera tools) and then take the host from the target rather than
// from the Host header; the origin-form ("/stream.mjpg?action=stream") is the usual one; the asterisk-form ("*")
// only means something to OPTIONS; the authority-form ("cam:8080") only to CONNECT.

export interface RequestTarget {
  form: 'origin' | 'absolute' | 'asterisk' | 'authority'
  /** The path, '/'-rooted, dot segments resolved, percent-escapes kept as sent; '*' for the asterisk-form. */
  path: string
  /** The query without its '?', '' when there is none. */
  query: string
  /** host[:port] named by an absolute- or authority-form target (lower-cased), null for the other forms. */
  authority: string | null
}

/** Placeholder origin for resolving an origin-form path; never seen outside this file. */
const BASE = 'http://origin.invalid'

/**
 * Parse a request-target (`IncomingMessage.url`). Returns null when it is none of the four forms, or uses a scheme
 * other than http/https, carries user information, or holds characters a request line may not (whitespace, controls).
 * Never throws.
 */
export function parseRequestTarget(target: string): RequestTarget | null {
  // RFC 9112 §3: the request-target is a run of visible characters; anything else is a malformed request line. A
  // backslash is no URI character (RFC 3986 §2), though URL parsers read it as '/': refused rather than guessed at.
  if (target === '' || /[^\x21-\x7e]|\\/.test(target)) return null
  if (target === '*') return { form: 'asterisk', path: '*', query: '', authority: null }
  if (target.startsWith('/')) {
    // Prefix, don't resolve: '//a/b' is a path here, not a scheme-relative reference to host 'a'.
    const url = safeUrl(BASE + target)
    if (url === null || url.hash !== '') return null
    return { form: 'origin', path: url.pathname, query: url.search.slice(1), authority: null }
  }
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(target)?.[1]?.toLowerCase()
  if (scheme !== undefined) {
    // The authority must be there, as written: URL parsers would take 'http:///x' as host 'x'.
    if ((scheme !== 'http' && scheme !== 'https') || !/^[a-z]+:\/\/[^/?#]/i.test(target)) return null
    const url = safeUrl(target)
    if (url === null || url.host === '' || url.username !== '' || url.password !== '' || url.hash !== '') return null
    return { form: 'absolute', path: url.pathname, query: url.search.slice(1), authority: url.host }
  }
  // authority-form: host:port, the port required (RFC 9112 §3.2.3).
  const url = safeUrl(`http://${target}`)
  if (url === null || url.username !== '' || url.password !== '' || url.pathname !== '/' || url.search !== '' || !/:\d+$/.test(target)) return null
  return { form: 'authority', path: '', query: '', authority: url.host }
}

function safeUrl(text: string): URL | null {
  try {
    return new URL(text)
  } catch {
    return null
  }
}
