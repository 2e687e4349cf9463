// The broadcaster's side of a private connection after TLS (docs/protocol.md "Secure transport and pairing"): HELLO
// from a paired device admits it, from a blocked one is refused with BLOCKED, from an unknown one gets PAIR_REQUEST;
// then the viewer's PAKE_SHARE is answered with ours and our confirmation, and its confirmation, checked, pairs the
// device and admits it. Guesses are counted and limited by PairingCodes. Plain logic over decoded messages: what it
// returns is what the fan-out engine does (framing.ts Heard).

import { ErrorCodes } from '../../shared/protocol'
import { encodePairRequest, encodePakeConfirm, encodePakeShare } from '../codec/codec'
import type { Heard } from '../fanout/framing'
import type { PrivateAccess } from './access'
import { CpaceParty } from './cpace'
import type { CodeTicket } from './pairing-code'
import { confirmationTag, cpaceInputs, tagsMatch } from './pairing'
import type { TlsSession } from './tls'

type Phase =
  | { step: 'hello' }
  | { step: 'share'; ticket: CodeTicket; name: string }
  | { step: 'confirm'; ticket: CodeTicket; name: string; expected: Uint8Array }
  | { step: 'done' }

const fault = (code: keyof typeof ErrorCodes, message: string): Heard => ({ type: 'fault', code, message })

/**
 * One viewer's pairing conversation on a private broadcaster. `session` is the TLS session (set once its handshake
 * is done; HELLO cannot arrive before); `address` the viewer's source address, for the guess limit. Each method
 * returns what the engine is to do, in order; a 'fault' ends the connection.
 */
export class PairingResponder {
  private phase: Phase = { step: 'hello' }
  session: TlsSession | null = null

  constructor(
    private readonly access: PrivateAccess,
    private readonly address: string
  ) {}

  hello(name: string): Heard[] {
    const session = this.session
    if (this.phase.step !== 'hello' || session === null) return [fault('UNEXPECTED_MESSAGE', 'a viewer introduces itself once, inside TLS')]
    const { store, codes } = this.access
    const fingerprint = session.peerFingerprint
    if (store.isBlocked(fingerprint)) return [fault('BLOCKED', 'The owner of this broadcaster blocked this device')]
    if (store.isPairedViewer(fingerprint)) {
      this.phase = { step: 'done' }
      void store.seen('viewer', fingerprint)
      return [{ type: 'hello', name, fingerprint }]
    }
    if (codes.limited(this.address)) return [fault('RATE_LIMITED', 'Too many pairing attempts from this address; try again in a minute')]
    this.phase = { step: 'share', ticket: codes.ticket(), name }
    return [{ type: 'pairing', name, fingerprint }, { type: 'reply', message: encodePairRequest() }]
  }

  share(element: Uint8Array): Heard[] {
    const phase = this.phase
    const session = this.session
    if (phase.step !== 'share' || session === null) return [fault('UNEXPECTED_MESSAGE', 'PAKE_SHARE before PAIR_REQUEST')]
    const refused = this.access.codes.guess(this.address, phase.ticket)
    if (refused === 'RATE_LIMITED') return [fault(refused, 'Too many pairing attempts from this address; try again in a minute')]
    if (refused !== null) return [fault(refused, 'The pairing code was replaced; type the new one')]
    const party = new CpaceParty(cpaceInputs(phase.ticket.code, session.ownFingerprint, session.peerFingerprint, session.exporter), 'responder')
    const isk = party.finish(element)
    if (isk === null) return [fault('PAIRING_FAILED', 'The pairing share is not a valid element')]
    this.phase = { step: 'confirm', ticket: phase.ticket, name: phase.name, expected: confirmationTag(isk, 'viewer', party.share) }
    return [
      { type: 'reply', message: encodePakeShare(party.share) },
      { type: 'reply', message: encodePakeConfirm(confirmationTag(isk, 'broadcaster', element)) }
    ]
  }

  confirm(tag: Uint8Array): Heard[] {
    const phase = this.phase
    const session = this.session
    if (phase.step !== 'confirm' || session === null) return [fault('UNEXPECTED_MESSAGE', 'PAKE_CONFIRM out of turn')]
    if (!tagsMatch(tag, phase.expected)) return [fault('PAIRING_FAILED', 'That is not the code this broadcaster shows')]
    this.phase = { step: 'done' }
    this.access.codes.confirmed(phase.ticket, this.address)
    void this.access.store.remember('viewer', session.peerFingerprint, phase.name)
    return [{ type: 'hello', name: phase.name, fingerprint: session.peerFingerprint }]
  }
}
