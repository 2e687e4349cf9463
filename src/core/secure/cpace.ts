// CPace, the balanced PAKE of draft-irtf-cfrg-cpace (version 21), suite CPACE-RISTR255-SHA512, in the
// initiator-responder setting: the string functions of its appendix A (prepend_len, lv_cat, generator_string,
// transcript_ir), calculate_generator for ristretto255 (section 7.3: SHA-512 of the generator string, then RFC 9496
// element derivation), sample_scalar, scalar_mult and scalar_mult_vfy, and the ISK. The group and the hash are
// @noble/curves' ristretto255 and @noble/hashes' SHA-512; this file only lays out the draft's hash inputs, and
// test/core/secure/cpace.test.ts checks it against the draft's ristretto255 test vectors (appendix B.3).

import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { randomBytes } from 'node:crypto'

/** G_Ristretto255.DSI. */
const DSI = Buffer.from('CPaceRistretto255')
/** G.DSI || "_ISK". */
const DSI_ISK = Buffer.from('CPaceRistretto255_ISK')
/** SHA-512's input block size, H.s_in_bytes. */
const S_IN_BYTES = 128
/** Encoded ristretto255 elements and scalars, bytes. */
export const CPACE_ELEMENT_BYTES = 32
/** The ISK (a SHA-512 output), bytes. */
export const CPACE_ISK_BYTES = 64

const Point = ristretto255.Point
const ORDER = Point.Fn.ORDER
/** RFC 9496 element derivation: 64 uniform bytes to a ristretto255 element (the one-way map). */
const deriveElement = ristretto255_hasher.deriveToCurve?.bind(ristretto255_hasher)
if (deriveElement === undefined) throw new Error('@noble/curves lacks ristretto255 element derivation')

/** prepend_len: the length of `data` as LEB128, then `data` (draft appendix A.1). */
export function prependLen(data: Uint8Array): Buffer {
  const length: number[] = []
  let n = data.length
  do {
    const low = n & 0x7f
    n = Math.floor(n / 128)
    length.push(n > 0 ? low | 0x80 : low)
  } while (n > 0)
  return Buffer.concat([Buffer.from(length), data])
}

/** lv_cat: each argument with its length in front (draft appendix A.1). */
export function lvCat(...parts: Uint8Array[]): Buffer {
  return Buffer.concat(parts.map(prependLen))
}

/** generator_string(DSI, PRS, CI, sid, s_in_bytes): PRS zero-padded to fill the first hash block (appendix A.2). */
export function generatorString(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): Buffer {
  const zpad = Math.max(0, S_IN_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length)
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid)
}

/** transcript_ir(Ya, ADa, Yb, ADb) = lv_cat(Ya, ADa) || lv_cat(Yb, ADb) (appendix A.3). */
export function transcriptIr(ya: Uint8Array, ada: Uint8Array, yb: Uint8Array, adb: Uint8Array): Buffer {
  return Buffer.concat([lvCat(ya, ada), lvCat(yb, adb)])
}

type RistrettoPoint = InstanceType<typeof Point>

/** calculate_generator(H, PRS, CI, sid) for ristretto255: element_derivation(SHA-512(generator_string)). */
export function calculateGenerator(prs: Uint8Array, ci: Uint8Array, sid: Uint8Array): RistrettoPoint {
  return deriveElement!(sha512(generatorString(prs, ci, sid))) as RistrettoPoint
}

/**
 * G.sample_scalar() as section 7.3 recommends: 32 random bytes, the bits above 252 cleared, read little-endian.
 * The draft allows 0 with negligible probability (2^-252); it is drawn again here, since 0 would make Y the identity.
 */
export function sampleScalar(): bigint {
  for (;;) {
    const bytes = randomBytes(CPACE_ELEMENT_BYTES)
    bytes[31]! &= 0x0f
    const y = littleEndian(bytes)
    if (y !== 0n) return y
  }
}

/** A 32-byte little-endian scalar as a number below the group order. */
export function scalarFromBytes(bytes: Uint8Array): bigint {
  return littleEndian(bytes) % ORDER
}

function littleEndian(bytes: Uint8Array): bigint {
  let v = 0n
  for (let i = bytes.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]!)
  return v
}

/** G.scalar_mult(y, g): the encoding of y·g. */
export function scalarMult(y: bigint, g: RistrettoPoint): Uint8Array {
  return g.multiply(y).toBytes()
}

/**
 * G.scalar_mult_vfy(y, X): the encoding of y·decode(X), or null where the draft returns G.I — X does not decode, or
 * the product is the identity. A party that gets null aborts.
 */
export function scalarMultVfy(y: bigint, x: Uint8Array): Uint8Array | null {
  let point: RistrettoPoint
  try {
    point = Point.fromBytes(x) as RistrettoPoint
  } catch {
    return null
  }
  const k = point.multiply(y)
  return k.equals(Point.ZERO) ? null : k.toBytes()
}

/** ISK = SHA-512(lv_cat(G.DSI || "_ISK", sid, K) || transcript_ir(Ya, ADa, Yb, ADb)). */
export function intermediateSessionKey(sid: Uint8Array, k: Uint8Array, transcript: Uint8Array): Uint8Array {
  return sha512(Buffer.concat([lvCat(DSI_ISK, sid, k), transcript]))
}

/** The inputs both parties must share for their ISKs to match. */
export interface CpaceInputs {
  /** The password-related string: here the pairing code's ASCII digits. */
  prs: Uint8Array
  /** The channel identifier (both parties' identities). */
  ci: Uint8Array
  /** The session identifier (here the TLS exporter value). */
  sid: Uint8Array
}

/**
 * One party's run of CPace. The constructor samples its scalar and computes its share (`share`, 32 bytes, to send);
 * `finish(peerShare)` returns the 64-byte ISK, or null when the peer's share does not decode or makes K the identity
 * (abort). `role` orders the transcript: the initiator's share is Ya. `scalar` is for test vectors only.
 */
export class CpaceParty {
  readonly share: Uint8Array
  private readonly y: bigint

  constructor(
    private readonly inputs: CpaceInputs,
    private readonly role: 'initiator' | 'responder',
    scalar?: bigint
  ) {
    this.y = scalar ?? sampleScalar()
    this.share = scalarMult(this.y, calculateGenerator(inputs.prs, inputs.ci, inputs.sid))
  }

  finish(peerShare: Uint8Array, ownAd: Uint8Array = new Uint8Array(0), peerAd: Uint8Array = new Uint8Array(0)): Uint8Array | null {
    if (peerShare.length !== CPACE_ELEMENT_BYTES) return null
    const k = scalarMultVfy(this.y, peerShare)
    if (k === null) return null
    const transcript =
      this.role === 'initiator' ? transcriptIr(this.share, ownAd, peerShare, peerAd) : transcriptIr(peerShare, peerAd, this.share, ownAd)
    return intermediateSessionKey(this.inputs.sid, k, transcript)
  }
}
