// The viewer's side of a private connection (docs/protocol.md "Secure transport and pairing"): once TLS is up it
// checks the broadcaster's fingerprint against the devices it paired with (a different key where a paired one was
// reached, or not the one expected, is KEY_CHANGED), introduces itself with HELLO, and when asked for the code runs
// CPace as the initiator: PAKE_SHARE Ya, then the broadcaster's Yb and confirmation checked (wrong: PAIRING_FAILED),
// then our confirmation; the broadcaster is remembered once its confirmation checked out.

import { encodeError, encodeHello, encodePakeConfirm, encodePakeShare } from '../codec/codec'
import { FramecastError } from '../errors'
import { CpaceParty } from './cpace'
import type { DeviceStore } from './device-store'
import { isPairingCode } from './pairing-code'
import { confirmationTag, cpaceInputs, tagsMatch } from './pairing'
import type { TlsSession } from './tls'

/** What a viewer brings to private broadcasters. */
export interface ViewerSecurity {
  /** This device's identity and the broadcasters it paired with. */
  store: DeviceStore
  /** The code, when the person gave it up front (`framecast watch --code`). */
  code?: string
  /**
   * True: when a code is needed and none was given, wait (state 'pairing') until one is entered, and after a wrong or
   * replaced code ask again; false: stop with CODE_REQUIRED, PAIRING_FAILED or CODE_EXPIRED.
   */
  askForCode?: boolean
  /** The fingerprint the broadcaster must have (from discovery, or pinned by the caller); any other is KEY_CHANGED. */
  expectFingerprint?: string
}

/** What the initiator needs from its connection. */
export interface PairingLink {
  /** host:port as the person typed it: where pins are remembered. */
  readonly address: string
  send(bytes: Uint8Array): void
  fail(error: FramecastError): void
  /** The broadcaster asks for the code and none is known yet: tell the person (the connection waits). */
  awaitingCode(): void
  /** The code to try now, if one is known (given up front or entered earlier). */
  code(): string | null
}

/**
 * One connection's pairing, viewer side. secured() after the TLS handshake (sends HELLO unless the key is refused),
 * then pairRequest(), share(), confirm() as those messages arrive, enterCode() when the person types the code, and
 * informed() when INFO arrives (the broadcaster let us in). Faults go to link.fail with KEY_CHANGED, CODE_REQUIRED or
 * PAIRING_FAILED.
 */
export class PairingInitiator {
  private session: TlsSession | null = null
  private party: CpaceParty | null = null
  private expected: Uint8Array | null = null
  private waitingForCode = false
  /** The broadcaster asked for the code on this connection. */
  pairedNow = false

  constructor(
    private readonly security: ViewerSecurity,
    private readonly link: PairingLink,
    private readonly deviceName: string
  ) {}

  /** The fingerprint of the broadcaster on this connection, once TLS is up. */
  get peerFingerprint(): string | null {
    return this.session?.peerFingerprint ?? null
  }

  /** Whether this broadcaster is one we paired with before this connection. */
  get known(): boolean {
    const fp = this.peerFingerprint
    return fp !== null && this.security.store.find('broadcaster', fp) !== undefined
  }

  /** The broadcaster answered in the clear: fine unless we paired with whoever is at this address (KEY_CHANGED). */
  clearAnswer(): boolean {
    const paired = this.security.store.broadcasterAt(this.link.address)
    if (paired === undefined && this.security.expectFingerprint === undefined) return true
    this.link.fail(
      new FramecastError('KEY_CHANGED', `This is not the Framecast you paired with at ${this.link.address}: it now streams unencrypted`)
    )
    return false
  }

  secured(session: TlsSession | null): void {
    if (session === null) {
      this.link.fail(new FramecastError('UNSUPPORTED_TRANSPORT', `${this.link.address} did not present a certificate over TLS 1.3`))
      return
    }
    this.session = session
    const fp = session.peerFingerprint
    const expected = this.security.expectFingerprint
    const there = this.security.store.broadcasterAt(this.link.address)
    if ((expected !== undefined && expected !== fp) || (expected === undefined && there !== undefined && there.fingerprint !== fp && !this.known)) {
      this.link.fail(new FramecastError('KEY_CHANGED', `This is not the Framecast you paired with at ${this.link.address}: its key changed`))
      return
    }
    this.link.send(encodeHello(this.deviceName))
  }

  pairRequest(): void {
    if (this.session === null || this.party !== null || this.waitingForCode) {
      this.link.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.link.address} asked for a pairing out of turn`))
      return
    }
    this.pairedNow = true
    const code = this.link.code() ?? this.security.code ?? null
    if (code !== null) return this.offer(code)
    if (!this.security.askForCode) {
      this.link.fail(new FramecastError('CODE_REQUIRED', `${this.link.address} asks for its pairing code`))
      return
    }
    this.waitingForCode = true
    this.link.awaitingCode()
  }

  /** The person typed the code (6 digits; anything else is INVALID_ARGUMENT, thrown). */
  enterCode(code: string): void {
    if (!isPairingCode(code)) throw new FramecastError('INVALID_ARGUMENT', 'A pairing code is 6 digits')
    if (!this.waitingForCode) return
    this.waitingForCode = false
    this.offer(code)
  }

  share(element: Uint8Array): void {
    const party = this.party
    if (party === null || this.expected !== null) {
      this.link.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.link.address} sent a PAKE share out of turn`))
      return
    }
    const isk = party.finish(element)
    if (isk === null) return this.refuse('the broadcaster’s pairing share is not a valid element')
    this.expected = confirmationTag(isk, 'broadcaster', party.share)
    this.confirmation = confirmationTag(isk, 'viewer', element)
  }

  confirm(tag: Uint8Array): void {
    const session = this.session
    if (this.expected === null || this.confirmation === null || session === null) {
      this.link.fail(new FramecastError('UNEXPECTED_MESSAGE', `${this.link.address} sent a PAKE confirmation out of turn`))
      return
    }
    if (!tagsMatch(tag, this.expected)) return this.refuse(`That is not the code ${this.link.address} shows`)
    this.link.send(encodePakeConfirm(this.confirmation))
    this.confirmation = null
    void this.security.store.remember('broadcaster', session.peerFingerprint, '', this.link.address)
  }

  /** INFO arrived: the broadcaster let us in; remember its name and where it was. */
  informed(name: string): void {
    const fp = this.peerFingerprint
    if (fp === null) return
    if (this.pairedNow) void this.security.store.remember('broadcaster', fp, name, this.link.address)
    else void this.security.store.seen('broadcaster', fp, this.link.address)
  }

  private confirmation: Uint8Array | null = null

  private offer(code: string): void {
    const session = this.session!
    this.party = new CpaceParty(cpaceInputs(code, session.peerFingerprint, session.ownFingerprint, session.exporter), 'initiator')
    this.link.send(encodePakeShare(this.party.share))
  }

  private refuse(message: string): void {
    this.link.send(encodeError('PAIRING_FAILED', message))
    this.link.fail(new FramecastError('PAIRING_FAILED', message))
  }
}
