// This installation's identity: an EC P-256 key and a self-signed certificate (made with `selfsigned`), and the
// device fingerprint every peer knows it by (docs/protocol.md "Secure transport and pairing": SHA-256 of the
// certificate's DER). Nobody checks a certificate authority; the fingerprint is what gets pinned.

import { createHash, createPrivateKey, type KeyObject, X509Certificate } from 'node:crypto'
import selfsigned from 'selfsigned'
import { FramecastError } from '../errors'

/** A device's key and certificate (PEM) and its fingerprint. */
export interface Identity {
  readonly keyPem: string
  readonly certPem: string
  /** SHA-256 of the certificate's DER, 64 lowercase hex digits. */
  readonly fingerprint: string
}

/** How long a new certificate is valid: peers pin its fingerprint and ignore its dates, so it should never expire. */
const CERTIFICATE_YEARS = 100

/** The device fingerprint of a DER certificate: SHA-256, 64 lowercase hex digits. */
export function fingerprintOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex')
}

/** Make a new identity: a P-256 key and a self-signed ECDSA-SHA-256 certificate. Takes a few tens of ms. */
export async function createIdentity(): Promise<Identity> {
  const notBeforeDate = new Date()
  const notAfterDate = new Date(notBeforeDate)
  notAfterDate.setFullYear(notAfterDate.getFullYear() + CERTIFICATE_YEARS)
  const pems = await selfsigned.generate([{ name: 'commonName', value: 'Framecast device' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate
  })
  return identityFromPem(pems.private, pems.cert)
}

/**
 * An identity from stored PEM text. Throws INVALID_ARGUMENT when the certificate does not parse or its public key is
 * not the key's (a store whose files were mixed up).
 */
export function identityFromPem(keyPem: string, certPem: string): Identity {
  let cert: X509Certificate
  try {
    cert = new X509Certificate(certPem)
  } catch (e) {
    throw new FramecastError('INVALID_ARGUMENT', 'the stored device certificate cannot be read', { cause: e })
  }
  if (!cert.checkPrivateKey(createPrivateKeyOrThrow(keyPem))) {
    throw new FramecastError('INVALID_ARGUMENT', 'the stored device key does not belong to its certificate')
  }
  return { keyPem, certPem, fingerprint: fingerprintOfDer(cert.raw) }
}

function createPrivateKeyOrThrow(keyPem: string): KeyObject {
  try {
    return createPrivateKey(keyPem)
  } catch (e) {
    throw new FramecastError('INVALID_ARGUMENT', 'the stored device key cannot be read', { cause: e })
  }
}
