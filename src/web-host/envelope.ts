// The browser host's WebSocket framing, shared by the host (Node) and the client script it injects (browser).
// Pure TypeScript: no Node, no DOM.
//
// Every message is a JSON header. Messages that carry bytes (a JPEG in 'broadcast:frame' requests and 'watch:frame'
// events) travel as one binary WebSocket message instead of JSON or base64:
//
//   u32 big-endian header length | header JSON (UTF-8) | the bytes
//
// and the header's `bin` names the payload field the bytes belong to. Everything else is a text message holding
// the header JSON alone.

import type { EventChannel, Result } from '../shared/ipc'

/** Page -> host: call a request channel; answered by a ResponseMessage with the same id. */
export interface RequestMessage {
  kind: 'request'
  id: number
  channel: string
  payload: unknown
  bin?: string
}

/** Host -> page. */
export interface ResponseMessage {
  kind: 'response'
  id: number
  result: Result<unknown>
}

/** Host -> page: an event on one of the EventMap channels. */
export interface EventMessage {
  kind: 'event'
  channel: EventChannel
  payload: unknown
  bin?: string
}

export type EnvelopeHeader = RequestMessage | ResponseMessage | EventMessage

/** Largest header accepted in a binary message; the bytes may be larger (capped by the WebSocket's maxPayload). */
export const MAX_HEADER_BYTES = 64 * 1024

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Split a payload into its JSON part and the bytes of the first top-level binary field (if any). */
export function splitBinary(payload: unknown): { json: unknown; bin?: string; bytes?: Uint8Array } {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return { json: payload }
  for (const [key, value] of Object.entries(payload)) {
    const bytes =
      value instanceof Uint8Array ? value : value instanceof ArrayBuffer ? new Uint8Array(value) : undefined
    if (bytes) {
      const json: Record<string, unknown> = { ...payload }
      delete json[key]
      return { json, bin: key, bytes }
    }
  }
  return { json: payload }
}

/** Encode a header with bytes as one binary message. */
export function encodeBinary(header: EnvelopeHeader, bytes: Uint8Array): Uint8Array {
  const head = encoder.encode(JSON.stringify(header))
  const out = new Uint8Array(4 + head.byteLength + bytes.byteLength)
  new DataView(out.buffer).setUint32(0, head.byteLength, false)
  out.set(head, 4)
  out.set(bytes, 4 + head.byteLength)
  return out
}

/**
 * Decode a binary message into a header whose payload carries the bytes in the field `bin` names.
 * The bytes are a view into `data` (no copy). Throws on a malformed envelope.
 */
export function decodeBinary(data: Uint8Array): EnvelopeHeader {
  if (data.byteLength < 4) throw new Error('binary message shorter than its length prefix')
  const headLength = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0, false)
  if (headLength > MAX_HEADER_BYTES || 4 + headLength > data.byteLength) throw new Error('bad header length')
  const header = parseHeader(decoder.decode(data.subarray(4, 4 + headLength)))
  const bytes = data.subarray(4 + headLength)
  if (header.kind === 'response') throw new Error('responses carry no bytes')
  if (typeof header.bin !== 'string' || typeof header.payload !== 'object' || header.payload === null) {
    throw new Error('binary message without a field for its bytes')
  }
  return { ...header, payload: { ...(header.payload as Record<string, unknown>), [header.bin]: bytes } }
}

/** Parse a header from JSON text; checks the shape of the envelope, not the payload (the receiver validates that). */
export function parseHeader(text: string): EnvelopeHeader {
  const h = JSON.parse(text) as Partial<EnvelopeHeader> | null
  if (typeof h !== 'object' || h === null) throw new Error('header is not an object')
  switch (h.kind) {
    case 'request':
      if (!Number.isSafeInteger(h.id) || typeof h.channel !== 'string') throw new Error('bad request header')
      break
    case 'response':
      if (!Number.isSafeInteger(h.id) || typeof h.result !== 'object' || h.result === null) {
        throw new Error('bad response header')
      }
      break
    case 'event':
      if (typeof h.channel !== 'string') throw new Error('bad event header')
      break
    default:
      throw new Error('unknown message kind')
  }
  if ('bin' in h && h.bin !== undefined && typeof h.bin !== 'string') throw new Error('bad bin field')
  return h as EnvelopeHeader
}
