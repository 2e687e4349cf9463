// What both sides of a pairing compute alike (docs/protocol.md "The pairing code, proven with CPace"): the CPace
// inputs bound to the TLS session — PRS the code's digits, CI both fingerprints, sid the TLS exporter — and the key
// confirmation tags Tb = HMAC-SHA-512(ISK, "framecast-b" || Ya)[0..32], Ta = HMAC-SHA-512(ISK, "framecast-v" || Yb)[0..32].

import { hmac } from '@noble/hashes/hmac.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { timingSafeEqual } from 'node:crypto'
import { PAKE_CONFIRM_BYTES } from '../../shared/protocol'
import { type CpaceInputs, lvCat } from './cpace'

const LABEL_B = Buffer.from('framecast-b')
const LABEL_V = Buffer.from('framecast-v')

/** The CPace inputs for one TLS session: the broadcaster's and the viewer's fingerprints (hex) and the exporter. */
export function cpaceInputs(code: string, broadcasterFingerprint: string, viewerFingerprint: string, exporter: Uint8Array): CpaceInputs {
  return {
    prs: Buffer.from(code, 'ascii'),
    ci: lvCat(LABEL_B, Buffer.from(broadcasterFingerprint, 'hex'), LABEL_V, Buffer.from(viewerFingerprint, 'hex')),
    sid: exporter
  }
}

/** The confirmation `side` sends: over the other side's share, keyed with the ISK. */
export function confirmationTag(isk: Uint8Array, side: 'broadcaster' | 'viewer', peerShare: Uint8Array): Uint8Array {
  const label = side === 'broadcaster' ? LABEL_B : LABEL_V
  return hmac(sha512, isk, Buffer.concat([label, peerShare])).subarray(0, PAKE_CONFIRM_BYTES)
}

/** Constant-time comparison of a received tag with the expected one. */
export function tagsMatch(received: Uint8Array, expected: Uint8Array): boolean {
  return received.length === expected.length && timingSafeEqual(received, expected)
}
