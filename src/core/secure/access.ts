// Who may watch a Framecast broadcaster: 'open' (anyone who reaches the port, in the clear — what the classic scripts
// and MJPEG players need) or 'private' (TLS 1.3, and only devices that paired with the code; docs/protocol.md
// "Secure transport and pairing"). The fan-out engine takes one of these; the session services and the CLI choose
// private unless the person switches it off.

import type { DeviceStore } from './device-store'
import type { PairingCodes } from './pairing-code'

export interface OpenAccess {
  readonly mode: 'open'
}

export interface PrivateAccess {
  readonly mode: 'private'
  /** This installation's identity and the devices it paired with or blocked. */
  readonly store: DeviceStore
  /** The code on show and the guesses made against it. */
  readonly codes: PairingCodes
}

export type Access = OpenAccess | PrivateAccess

export const OPEN_ACCESS: OpenAccess = { mode: 'open' }
