// Every error code and every watch state, in sentences that say what to do.

import type { IpcError, WatchSecurity, WatchState, WatchStatus } from '../../../../shared/ipc'
import { displayFingerprint } from '../../../../shared/fingerprint'
import type { ErrorCode } from '../../../../shared/protocol'
import { formatHostPort } from '../../../../shared/address'

export interface MessageContext {
  /** "192.168.1.20:9999", or "the partner" when unknown */
  address: string
  host: string
  port: number | null
  /** The technical message that came with the error. */
  detail: string
}

export function messageContext(host: string | null | undefined, port: number | null | undefined, detail = ''): MessageContext {
  const h = host ?? ''
  const address = h !== '' && port ? formatHostPort(h, port) : h !== '' ? h : port ? `port ${port}` : 'the partner'
  return { address, host: h !== '' ? h : 'the partner', port: port ?? null, detail }
}

const portText = (c: MessageContext): string => (c.port ? `port ${c.port}` : 'that port')
const withDetail = (text: string, c: MessageContext): string => (c.detail ? `${text} (${c.detail})` : text)

export const errorSentences: Record<ErrorCode, (c: MessageContext) => string> = {
  BAD_MAGIC: (c) =>
    `${c.address} answered, but it is not a Framecast broadcaster — check the address and port, or choose Classic (OpenCV script) if it runs the Python script.`,
  VERSION_MISMATCH: (c) => `${c.address} runs a different version of Framecast — update both apps to the same version.`,
  BAD_ROLE: (c) => `${c.address} is a Framecast viewer, not a broadcaster — connect to the machine that shows Broadcast.`,
  UNSUPPORTED_TRANSPORT: (c) =>
    `${c.address} only streams encrypted, and this connection was not — update this app, then connect again.`,
  UNSUPPORTED_CODEC: (c) => `${c.address} sends video in a format this version cannot show — update this app.`,
  MESSAGE_TOO_LARGE: (c) =>
    withDetail(`${c.address} sent a picture larger than this window accepts — raise “Largest frame” under Compatibility, or lower the resolution on the sending side.`, c),
  MALFORMED_MESSAGE: (c) =>
    `${c.address} sent data Framecast cannot read — make sure both sides run Framecast, then connect again.`,
  UNEXPECTED_MESSAGE: (c) => `${c.address} broke the Framecast protocol — update both apps, then connect again.`,
  TRUNCATED: (c) => `The connection to ${c.address} ended in the middle of a picture — connect again.`,
  HANDSHAKE_TIMEOUT: (c) =>
    `${c.address} accepted the connection but never answered like a Framecast broadcaster — check the port, or choose Classic (OpenCV script).`,
  IDLE_TIMEOUT: (c) => `${c.address} went quiet for too long and the connection was closed — connect again.`,
  SERVER_FULL: (c) =>
    `${c.address} already has as many viewers as it allows — ask the broadcaster to close a viewer, then connect again.`,
  STALLED: (c) => `This window could not keep up with ${c.address} and was disconnected — close other heavy programs and connect again.`,
  KICKED: (c) => `The person broadcasting on ${c.address} closed this viewer — ask them before connecting again.`,
  CONNECTION_REFUSED: (c) => `Nothing is listening on ${c.address} — is Broadcast started there?`,
  HOST_UNREACHABLE: (c) =>
    `${c.host} cannot be reached from this network — are both computers on the same network (Wi-Fi or cable)?`,
  CONNECT_TIMEOUT: (c) =>
    `No answer from ${c.address} — check the address, and that a firewall on that computer allows Framecast on ${portText(c)}.`,
  HOST_NOT_FOUND: (c) => `The name “${c.host}” could not be found — type the IP address shown in the Broadcast window instead.`,
  CONNECTION_RESET: (c) => `The connection to ${c.address} was cut — the broadcaster may have stopped or restarted.`,
  PEER_LOST: (c) => `${c.address} stopped answering — the broadcaster may have stopped, slept, or left the network.`,
  ADDRESS_IN_USE: (c) =>
    `${portText(c)[0]!.toUpperCase()}${portText(c).slice(1)} is already in use on this computer — choose another port, or close the program using it.`,
  ACCESS_DENIED: (c) => `This computer does not allow Framecast to use ${portText(c)} — choose a port above 1024.`,
  ADDRESS_NOT_AVAILABLE: (c) =>
    `${c.host} is not an address of this computer any more — choose another interface, or All interfaces.`,
  INVALID_ARGUMENT: (c) => withDetail('Framecast refused a setting — check the fields and try again.', c),
  UNSUPPORTED_PICKLE: (c) =>
    `${c.address} sent a Classic (OpenCV script) frame Framecast will not open — only plain NumPy images and JPEG frames are accepted, never other Python objects.`,
  BAD_LENGTH_PREFIX: (c) =>
    withDetail(`${c.address} sends the Classic (OpenCV script) format with another length prefix — under Compatibility, choose the one its struct.pack uses, or Automatic.`, c),
  PAIRING_FAILED: (c) => `That is not the code ${c.address} shows — look at the Broadcast window and type its code again.`,
  CODE_EXPIRED: (c) => `The code changed on ${c.address} after too many tries or too long — type the new code from its Broadcast window.`,
  KEY_CHANGED: (c) =>
    `This is not the Framecast you paired with at ${c.address} — its key changed. If you did not reinstall it, someone may be in between; forget the device only if you are sure.`,
  BLOCKED: (c) => `${c.address} has blocked this device — ask the person broadcasting to unblock it.`,
  RATE_LIMITED: (c) => `Too many pairing attempts to ${c.address} — wait a minute, then try the code again.`,
  CODE_REQUIRED: (c) => `${c.address} asks for its pairing code — type the 6 digits shown in its Broadcast window.`,
  INTERNAL: (c) => withDetail('Something went wrong inside Framecast — try again; if it keeps happening, restart the app.', c)
}

/** The sentence for an error, naming the partner's address where that helps. */
export function errorSentence(error: Pick<IpcError, 'code'> & Partial<IpcError>, context: MessageContext): string {
  const fn = errorSentences[error.code] ?? errorSentences.INTERNAL
  return fn({ ...context, detail: context.detail || (error.message ?? '') })
}

/** How the stream is protected, in words (null while unknown). */
export function securityText(security: WatchSecurity | null): { tone: 'good' | 'warn'; text: string } | null {
  if (security === null) return null
  if (!security.encrypted) return { tone: 'warn', text: 'Unencrypted: anyone on this network can watch this stream too.' }
  const who = security.fingerprint ? ` · broadcaster ${displayFingerprint(security.fingerprint)}` : ''
  return { tone: 'good', text: `Encrypted${security.paired ? ', paired device' : ''}${who}` }
}

export type BannerTone = 'neutral' | 'progress' | 'good' | 'warn' | 'bad'

export interface Banner {
  state: WatchState
  tone: BannerTone
  title: string
  detail: string | null
}

function attemptText(n: number): string {
  return n > 1 ? ` (attempt ${n})` : ''
}

/** What the banner says for a watch status. */
export function bannerFor(status: WatchStatus): Banner {
  const c = messageContext(status.host, status.port)
  const why = status.error ? errorSentence(status.error, c) : null
  switch (status.state) {
    case 'idle':
      return {
        state: 'idle',
        tone: 'neutral',
        title: 'Not connected',
        detail: 'Choose the partner under On this network, or type the address its Broadcast window shows and press Connect.'
      }
    case 'connecting':
      return { state: 'connecting', tone: 'progress', title: `Connecting to ${c.address}…${attemptText(status.attempt)}`, detail: why }
    case 'pairing':
      return {
        state: 'pairing',
        tone: why ? 'warn' : 'progress',
        title: `${c.address} asks for its pairing code`,
        detail: why ?? 'Type the 6 digits its Broadcast window shows. This device remembers it afterwards.'
      }
    case 'live': {
      const info = status.info
      const parts = info ? [`${info.width} × ${info.height}`, `${Math.round(info.fps)} fps`, info.name].filter(Boolean) : []
      if (status.format === 'classic') parts.push('Classic (OpenCV script)')
      return { state: 'live', tone: 'good', title: `Live from ${c.address}`, detail: parts.length ? parts.join(' · ') : null }
    }
    case 'stalled':
      return {
        state: 'stalled',
        tone: 'warn',
        title: `The picture from ${c.address} has paused`,
        detail: 'Still connected, waiting for new frames — the camera or network on the other side may be busy.'
      }
    case 'lost':
      return {
        state: 'lost',
        tone: 'warn',
        title: `Connection to ${c.address} lost — reconnecting…`,
        detail: why ?? 'Framecast will keep trying; the picture comes back as soon as Broadcast is running again.'
      }
    case 'reconnecting':
      return {
        state: 'reconnecting',
        tone: 'progress',
        title: `Reconnecting to ${c.address}…${attemptText(status.attempt)}`,
        detail: why ?? 'Waiting for Broadcast to come back.'
      }
    case 'error':
      return {
        state: 'error',
        tone: 'bad',
        title: why ?? `Could not watch ${c.address}.`,
        detail: 'Fix the problem above, then press Connect again.'
      }
  }
}
