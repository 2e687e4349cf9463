// Framecast's DNS-SD advertisement, both ways: what a broadcaster publishes about itself (advertisementsFor — the one
// place its fields are built) and what a browser makes of a service it heard (readAdvertisement — hostile input: every
// field is checked, a record that breaks a rule is refused as a whole with a coded error, unknown keys are skipped).
// The record is written down in docs/protocol.md "Discovery"; its names and limits are in src/shared/discovery.ts.

import { isIPv4, isIPv6 } from '../../shared/address'
import {
  type BroadcasterKind,
  type DiscoveredBroadcaster,
  FRAMECAST_SERVICE,
  HTTP_SERVICE,
  INSTANCE_MAX_BYTES,
  MAX_ADVERTISED_ADDRESSES,
  MJPEG_SUBTYPE,
  TXT_MAX_BYTES,
  TXT_MAX_NAME_BYTES,
  TXT_MAX_PATH_BYTES,
  TxtKey
} from '../../shared/discovery'
import { Codec, type CodecName, PROTOCOL_VERSION } from '../../shared/protocol'
import type { ClassicMode } from '../../shared/status'
import { truncateUtf8 } from '../../shared/utf8'
import { FramecastError } from '../errors'
import { parseTxt, type TxtAttributes } from './txt'

// ---------------------------------------------------------------------------------------------------------------
// Publishing
// ---------------------------------------------------------------------------------------------------------------

/** What a running broadcast tells the network about itself. Nothing private: no picture, no address list, no code. */
export interface BroadcastAdvertisement {
  /** The stream's display name (INFO's name). */
  name: string
  /** This device's name (its host name). */
  device: string
  /** The broadcast port. */
  port: number
  /** 'off': the port speaks Framecast; 'pickle' / 'jpeg': the classic OpenCV-script format. */
  classic: ClassicMode
  codec: CodecName
  /** The MJPEG-over-HTTP port, or null when there is none. */
  mjpegPort: number | null
  /** MJPEG stream path on that port ("/stream.mjpg"). */
  mjpegPath: string
  /** A viewer must pair before it may watch. Absent: no. */
  pairing?: boolean
  /** The device fingerprint (64 hex digits), once the device has one. */
  fingerprint?: string
}

/** One DNS-SD service to publish: `_<type>._tcp`, with subtypes, port and TXT attributes; its instance name is instanceName's. */
export interface ServiceAdvertisement {
  type: typeof FRAMECAST_SERVICE | typeof HTTP_SERVICE
  subtypes: string[]
  port: number
  txt: Record<string, string>
}

/**
 * The services a broadcast publishes, all under one instance name (instanceName): `_framecast._tcp` for its port
 * (native or classic) and, with MJPEG on, `_http._tcp` (subtype `_framecast`) with `path`. TXT values are cleaned of
 * control characters and cut to their caps at a character boundary. This is the one place the advertisement's fields
 * are built: the device fingerprint and the pairing flag come in through `fingerprint` and `pairing`.
 */
export function advertisementsFor(b: BroadcastAdvertisement): ServiceAdvertisement[] {
  const name = truncateUtf8(cleanText(b.name), TXT_MAX_NAME_BYTES)
  const device = truncateUtf8(cleanText(b.device), TXT_MAX_NAME_BYTES)
  const identity: Record<string, string> = { [TxtKey.name]: name, [TxtKey.device]: device }
  if (b.pairing) identity[TxtKey.pairing] = '1'
  if (b.fingerprint !== undefined) identity[TxtKey.fingerprint] = b.fingerprint.toLowerCase()
  const serves: Record<string, string> =
    b.classic === 'off' ? { [TxtKey.protocol]: String(PROTOCOL_VERSION), [TxtKey.codec]: b.codec } : { [TxtKey.classic]: b.classic }
  const out: ServiceAdvertisement[] = [
    { type: FRAMECAST_SERVICE, subtypes: [], port: b.port, txt: { ...identity, ...serves } }
  ]
  if (b.mjpegPort !== null) {
    out.push({
      type: HTTP_SERVICE,
      subtypes: [MJPEG_SUBTYPE],
      port: b.mjpegPort,
      txt: { ...identity, [TxtKey.path]: b.mjpegPath }
    })
  }
  return out
}

const encoder = new TextEncoder()
const byteLength = (s: string): number => encoder.encode(s).byteLength

/**
 * The instance name for the `n`th try (RFC 6762 §9: a name someone else holds is retried as "<name> (2)", ...):
 * "<name> on <device>", in one DNS label of at most INSTANCE_MAX_BYTES (dots become hyphens). When it does not fit,
 * the device keeps at least half of the room and the name is cut.
 */
export function instanceName(name: string, device: string, n = 1): string {
  const label = (s: string): string => cleanText(s).replace(/\./g, '-')
  const tail = n > 1 ? ` (${n})` : ''
  const budget = INSTANCE_MAX_BYTES - byteLength(tail)
  const head = label(name) || 'Framecast'
  const on = label(device) === '' ? '' : ` on ${label(device)}`
  const onKept = truncateUtf8(on, Math.min(byteLength(on), Math.max(Math.floor(budget / 2), budget - byteLength(head))))
  return truncateUtf8(head, budget - byteLength(onKept)) + onKept + tail
}

// ---------------------------------------------------------------------------------------------------------------
// Browsing
// ---------------------------------------------------------------------------------------------------------------

/** What a DNS-SD browser heard about one service instance, unchecked: every field came from the network. */
export interface HeardService {
  type: typeof FRAMECAST_SERVICE | typeof HTTP_SERVICE
  /** The instance's full name ("Studio on box (9999)._framecast._tcp.local"). */
  fqdn: unknown
  /** SRV port. */
  port: unknown
  /** TXT rdata: a list of byte strings. */
  txt: unknown
  /** Source address of the response that described it. */
  from: unknown
  /** A and AAAA addresses of the SRV target. */
  addresses: unknown
}

export type AdvertisementReading = { ok: true; value: DiscoveredBroadcaster } | { ok: false; error: FramecastError }

const DOMAIN = '.local'
const HEX64 = /^[0-9a-f]{64}$/
const CODEC_TOKEN = /^[a-z0-9][a-z0-9.-]{0,31}$/
const PATH = /^\/[\x21-\x7e]*$/
const decoder = new TextDecoder('utf-8', { fatal: true })

class Refusal extends Error {
  constructor(readonly code: 'MALFORMED_MESSAGE' | 'MESSAGE_TOO_LARGE', message: string) {
    super(message)
  }
}

/**
 * Check a heard service against docs/protocol.md "Discovery" and describe it as a DiscoveredBroadcaster, or refuse it:
 * `MESSAGE_TOO_LARGE` for a TXT record over TXT_MAX_BYTES, `MALFORMED_MESSAGE` for anything that breaks a rule (a
 * name that is not UTF-8 or is over its cap, a version or port out of range, a fingerprint that is not 64 hex digits, a
 * flag that is neither 0 nor 1, a path that is not one, `proto` and `classic` together or neither, no address). Keys
 * this version does not know are skipped. Costs time in the size of its input only; never throws.
 */
export function readAdvertisement(heard: HeardService): AdvertisementReading {
  try {
    return { ok: true, value: describe(heard) }
  } catch (e) {
    if (e instanceof Refusal) return { ok: false, error: new FramecastError(e.code, e.message) }
    return { ok: false, error: new FramecastError('MALFORMED_MESSAGE', `An advertisement could not be read: ${String(e)}`) }
  }
}

function describe(heard: HeardService): DiscoveredBroadcaster {
  const suffix = `._${heard.type}._tcp${DOMAIN}`
  if (typeof heard.fqdn !== 'string' || heard.fqdn.length > 255) throw new Refusal('MALFORMED_MESSAGE', 'The service name is not a DNS name')
  if (!heard.fqdn.toLowerCase().endsWith(suffix) || heard.fqdn.length === suffix.length) {
    throw new Refusal('MALFORMED_MESSAGE', `The service name does not end in ${suffix}`)
  }
  const instance = truncateUtf8(cleanText(heard.fqdn.slice(0, -suffix.length)), INSTANCE_MAX_BYTES)
  const fail: (what: string) => never = (what) => {
    throw new Refusal('MALFORMED_MESSAGE', `The advertisement of "${instance}" ${what}`)
  }
  const port = heard.port
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) fail('has no valid port')

  const txt = parseTxt(heard.txt, TXT_MAX_BYTES)
  if (!txt.ok) throw new Refusal(txt.error.code === 'MESSAGE_TOO_LARGE' ? 'MESSAGE_TOO_LARGE' : 'MALFORMED_MESSAGE', `${txt.error.message} ("${instance}")`)
  const a = txt.attributes

  const name = text(a, TxtKey.name, TXT_MAX_NAME_BYTES, fail) || instance
  const device = text(a, TxtKey.device, TXT_MAX_NAME_BYTES, fail)
  const pairing = flag(a, TxtKey.pairing, fail)
  const fp = token(a, TxtKey.fingerprint, fail)
  const fingerprint = fp === null ? null : fp.toLowerCase()
  if (fingerprint !== null && !HEX64.test(fingerprint)) fail('has a fingerprint that is not 64 hex digits')

  let kind: BroadcasterKind
  let protocolVersion: number | null = null
  let codec: string | null = null
  let path: string | null = null
  let supported = true
  if (heard.type === HTTP_SERVICE) {
    kind = 'mjpeg'
    path = token(a, TxtKey.path, fail)
    if (path === null || path.length > TXT_MAX_PATH_BYTES || !PATH.test(path)) fail('has no valid path')
  } else {
    const proto = token(a, TxtKey.protocol, fail)
    const classic = token(a, TxtKey.classic, fail)
    if ((proto === null) === (classic === null)) fail('must say either its protocol version or its classic format')
    if (classic !== null) {
      if (classic !== 'pickle' && classic !== 'jpeg') fail('names an unknown classic format')
      kind = classic === 'pickle' ? 'classic-pickle' : 'classic-jpeg'
    } else {
      kind = 'framecast'
      if (!/^\d{1,3}$/.test(proto!) || Number(proto) < 1 || Number(proto) > 255) fail('has a protocol version that is not 1 to 255')
      protocolVersion = Number(proto)
      codec = token(a, TxtKey.codec, fail)
      if (codec === null || !CODEC_TOKEN.test(codec)) fail('names no valid codec')
      supported = protocolVersion === PROTOCOL_VERSION && Object.prototype.hasOwnProperty.call(Codec, codec!)
    }
  }

  const addresses = addressList(heard.addresses)
  const from = typeof heard.from === 'string' && (isIPv4(heard.from) || isIPv6(heard.from)) ? heard.from : null
  const host = from ?? addresses[0]
  if (host === undefined) fail('came with no address')
  return {
    id: heard.fqdn.toLowerCase(),
    instance,
    name,
    device,
    kind,
    host: host!,
    port: port as number,
    addresses,
    protocolVersion,
    codec,
    pairing,
    fingerprint,
    path,
    supported
  }
}

/** Up to MAX_ADVERTISED_ADDRESSES distinct IP addresses from what the records gave; anything else is skipped. */
function addressList(value: unknown): string[] {
  if (!Array.isArray(value)) return []
  const out: string[] = []
  for (const v of value.slice(0, 4 * MAX_ADVERTISED_ADDRESSES) as unknown[]) {
    if (typeof v !== 'string' || v.length > 64 || !(isIPv4(v) || isIPv6(v)) || out.includes(v)) continue
    out.push(v)
    if (out.length === MAX_ADVERTISED_ADDRESSES) break
  }
  return out
}

/** A UTF-8 text attribute, cleaned for display ('' when absent); over `maxBytes` or not UTF-8 is refused. */
function text(a: TxtAttributes, key: string, maxBytes: number, fail: (what: string) => never): string {
  const v = a.get(key)
  if (v === undefined) return ''
  if (v === true) fail(`has ${key} without a value`)
  const bytes = v as Uint8Array
  if (bytes.byteLength > maxBytes) fail(`has a ${key} longer than ${maxBytes} bytes`)
  let s: string
  try {
    s = decoder.decode(bytes)
  } catch {
    return fail(`has a ${key} that is not UTF-8`)
  }
  return cleanText(s)
}

/** An ASCII token attribute, or null when absent. */
function token(a: TxtAttributes, key: string, fail: (what: string) => never): string | null {
  const v = a.get(key)
  if (v === undefined) return null
  if (v === true) fail(`has ${key} without a value`)
  const bytes = v as Uint8Array
  if (bytes.byteLength > TXT_MAX_PATH_BYTES) fail(`has a ${key} longer than ${TXT_MAX_PATH_BYTES} bytes`)
  let s = ''
  for (const b of bytes) {
    if (b < 0x21 || b > 0x7e) fail(`has a ${key} that is not printable ASCII`)
    s += String.fromCharCode(b)
  }
  return s
}

/** A yes/no attribute: absent or `0` is no; `1` or the key alone (RFC 6763 §6.4) is yes; anything else is refused. */
function flag(a: TxtAttributes, key: string, fail: (what: string) => never): boolean {
  const v = a.get(key)
  if (v === undefined || v === true) return v === true
  if (v.byteLength === 1 && v[0] === 0x31) return true
  if (v.byteLength === 1 && v[0] === 0x30) return false
  return fail(`has a ${key} that is neither 0 nor 1`)
}

/** Text for display: control characters and bidirectional overrides removed, spaces around trimmed. */
function cleanText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, '').trim()
}
