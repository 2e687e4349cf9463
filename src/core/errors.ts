import { formatHostPort } from '../shared/address'
import type { ErrorCode } from '../shared/protocol'

export type { ErrorCode } from '../shared/protocol'

/** The one error type of the networking core. `code` is stable and closed; `message` is for people and logs. */
export class FramecastError extends Error {
  override readonly name = 'FramecastError'
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown }
  ) {
    super(message, options)
  }
}

/** PEER_LOST because the broadcaster said so (BYE 'stopped'), not because it vanished. */
export class PeerStoppedError extends FramecastError {
  constructor(message: string) {
    super('PEER_LOST', message)
  }
}

export function isFramecastError(e: unknown): e is FramecastError {
  return e instanceof FramecastError
}

/** Turn an operating-system socket error into a FramecastError a person can act on. */
export function fromSocketError(err: unknown, where: { host?: string; port?: number } = {}): FramecastError {
  if (err instanceof FramecastError) return err
  const e = err as NodeJS.ErrnoException
  const at = where.host !== undefined ? `${formatHostPort(where.host, where.port ?? 0)}` : `port ${where.port ?? '?'}`
  switch (e?.code) {
    case 'ECONNREFUSED':
      return new FramecastError('CONNECTION_REFUSED', `Nothing is listening on ${at}`, { cause: err })
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ENETDOWN':
    case 'EHOSTDOWN':
      return new FramecastError('HOST_UNREACHABLE', `${at} cannot be reached from this network`, { cause: err })
    case 'ETIMEDOUT':
      return new FramecastError('CONNECT_TIMEOUT', `No answer from ${at}`, { cause: err })
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new FramecastError('HOST_NOT_FOUND', `The name ${where.host ?? ''} could not be resolved`, { cause: err })
    case 'ECONNRESET':
    case 'EPIPE':
      return new FramecastError('CONNECTION_RESET', `The connection to ${at} was reset`, { cause: err })
    case 'EADDRINUSE':
      return new FramecastError('ADDRESS_IN_USE', `Port ${where.port ?? '?'} is already in use by another program`, { cause: err })
    case 'EACCES':
    case 'EPERM':
      return new FramecastError('ACCESS_DENIED', `Not allowed to listen on port ${where.port ?? '?'}`, { cause: err })
    case 'EADDRNOTAVAIL':
      return new FramecastError('ADDRESS_NOT_AVAILABLE', `${at} is not an address of this machine`, { cause: err })
    default:
      return new FramecastError('INTERNAL', `${e?.message ?? String(err)}`, { cause: err })
  }
}
