// TLS 1.3 on a connection whose preambles have been exchanged (docs/protocol.md "Secure transport and pairing"): the
// viewer is the TLS client, both sides present their self-signed certificate, nobody checks a certificate authority,
// and TLS 1.2 or older is refused by both. What the pairing needs from the session: both fingerprints and the
// exporter value (RFC 8446 §7.5, label EXPORTER-framecast-cpace, no context, 32 bytes).

import type { Socket } from 'node:net'
import tls from 'node:tls'
import { fingerprintOfDer, type Identity } from './identity'

export const EXPORTER_LABEL = 'EXPORTER-framecast-cpace'
export const EXPORTER_BYTES = 32

/** What one side knows of a TLS session once its handshake is done. */
export interface TlsSession {
  /** This side's fingerprint and the peer's (hex). */
  ownFingerprint: string
  peerFingerprint: string
  /** The TLS exporter value the PAKE is bound to (sid). */
  exporter: Uint8Array
}

const COMMON = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', rejectUnauthorized: false } as const

/** The broadcaster's side: `raw` becomes a TLS server socket that asks for the viewer's certificate. */
export function serverTls(raw: Socket, identity: Identity): tls.TLSSocket {
  return new tls.TLSSocket(raw, { ...COMMON, isServer: true, requestCert: true, key: identity.keyPem, cert: identity.certPem })
}

/** The viewer's side: TLS client on `raw`, presenting this device's certificate; the server's is checked by fingerprint. */
export function clientTls(raw: Socket, identity: Identity): tls.TLSSocket {
  return tls.connect({ ...COMMON, socket: raw, key: identity.keyPem, cert: identity.certPem, checkServerIdentity: () => undefined })
}

/** The session of a TLS socket whose handshake is done; null when the peer presented no certificate or it is not 1.3. */
export function sessionOf(socket: tls.TLSSocket, identity: Identity): TlsSession | null {
  const peer = socket.getPeerCertificate(false) as { raw?: Buffer } | null
  if (!peer?.raw || socket.getProtocol() !== 'TLSv1.3') return null
  return {
    ownFingerprint: identity.fingerprint,
    peerFingerprint: fingerprintOfDer(peer.raw),
    exporter: socket.exportKeyingMaterial(EXPORTER_BYTES, EXPORTER_LABEL, Buffer.alloc(0))
  }
}
