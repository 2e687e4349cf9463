// Device fingerprints (docs/protocol.md "Secure transport and pairing"): the SHA-256 of a device's certificate in DER,
// written as 64 lowercase hex digits, and shown to people as its first 16 digits in groups of four.

import * as v from 'valibot'

/** Hex digits of a full fingerprint. */
export const FINGERPRINT_HEX_DIGITS = 64

export const FingerprintSchema = v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/, 'A device fingerprint is 64 lowercase hex digits'))

/** "3f2a9c0b…" → "3f2a 9c0b 71de 0a55": the first 16 hex digits in groups of four, as the windows and the CLI show it. */
export function displayFingerprint(hex: string): string {
  return (hex.slice(0, 16).match(/.{1,4}/g) ?? []).join(' ')
}
