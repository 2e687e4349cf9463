import type { Readable, Writable } from 'node:stream'
import { readPort } from '../shared/address'
import { type ClassicPrefix, type ClassicPrefixChoice, MESSAGE_LIMIT_MAX_BYTES, MESSAGE_LIMIT_MIN_BYTES, MIB, parsePrefix } from '../shared/classic'
import { FramecastError } from '../core/errors'

/** Exit codes of the `framecast` command (also listed in --help). */
export const Exit = {
  ok: 0,
  /** The stream failed or could not be watched: refused, not a Framecast/classic peer, timed out, cut off. */
  failed: 1,
  /** Bad command line. */
  usage: 2,
  /** Could not start: the port is taken or not allowed, or the source cannot be read. */
  cannotStart: 3
} as const

export const EXIT_CODES_HELP = `Exit codes:
  0  done (the frame count was reached, the source ended, or Ctrl-C / SIGTERM)
  1  the stream failed: refused, not a Framecast or classic peer, cut off, or --timeout passed
  2  bad command line
  3  could not start: the port is in use or not allowed, or the source cannot be read`

export interface Io {
  stdin: Readable
  stdout: Writable & { isTTY?: boolean }
  stderr: Writable & { isTTY?: boolean }
  /** Resolves when the user asks to stop (SIGINT/SIGTERM). */
  interrupted: Promise<void>
}

/** A command line that cannot be run (unknown option, bad value): reported with the usage hint, exit code 2. */
export class UsageError extends Error {}

/** One status line on stderr: rewritten in place on a terminal, printed every few seconds otherwise. */
export class StatusLine {
  private lastPrinted = 0
  constructor(
    private readonly stderr: Io['stderr'],
    private readonly quiet: boolean
  ) {}

  update(text: string): void {
    if (this.quiet) return
    if (this.stderr.isTTY) {
      this.stderr.write(`\r\x1b[2K${text}`)
    } else if (Date.now() - this.lastPrinted >= 5_000) {
      this.stderr.write(`${text}\n`)
      this.lastPrinted = Date.now()
    }
  }

  done(): void {
    if (!this.quiet && this.stderr.isTTY) this.stderr.write('\n')
  }
}

/**
 * The number given to option `--name` (undefined when the option is absent), from `min` to `max`, a whole number
 * unless `integer` is false. Throws UsageError naming the option and the bounds. Ports go through portOption.
 */
export function parseNumber(name: string, value: string | undefined, min: number, max: number, integer = true): number | undefined {
  if (value === undefined) return undefined
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    throw new UsageError(`--${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, not "${value}"`)
  }
  return n
}

/**
 * The port given to option `--name` (undefined when absent), read by readPort with 0 allowed (a server on port 0 gets
 * a free one). Throws UsageError with readPort's words: `--port "70000": The port must be between 0 and 65535`.
 */
export function portOption(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const r = readPort(value, { anyFree: true })
  if (r.port === null) throw new UsageError(`--${name} ${JSON.stringify(value)}: ${r.problem}`)
  return r.port
}

/** The classic length prefix given to --prefix (undefined when absent), 'auto' only where `auto` allows it. */
export function prefixOption(value: string | undefined, auto: true): ClassicPrefixChoice | undefined
export function prefixOption(value: string | undefined, auto: false): ClassicPrefix | undefined
export function prefixOption(value: string | undefined, auto: boolean): ClassicPrefixChoice | undefined {
  if (value === undefined) return undefined
  const p = parsePrefix(value)
  if (typeof p !== 'string') throw new UsageError(`--prefix ${p.problem}`)
  if (p === 'auto' && !auto) throw new UsageError('--prefix auto is for watching: a broadcast writes one prefix, such as Q (the default) or <L')
  return p
}

/** --max-frame-mib N: the message limit in bytes (undefined when absent), N a whole number of MiB from 1 to 1024. */
export function frameLimitOption(value: string | undefined): number | undefined {
  const mib = parseNumber('max-frame-mib', value, MESSAGE_LIMIT_MIN_BYTES / MIB, MESSAGE_LIMIT_MAX_BYTES / MIB)
  return mib === undefined ? undefined : mib * MIB
}

/** Exit code for an error that stopped a command. */
export function exitCodeFor(e: unknown): number {
  if (e instanceof UsageError) return Exit.usage
  if (e instanceof FramecastError) {
    if (e.code === 'ADDRESS_IN_USE' || e.code === 'ACCESS_DENIED' || e.code === 'ADDRESS_NOT_AVAILABLE' || e.code === 'INVALID_ARGUMENT') {
      return Exit.cannotStart
    }
    return Exit.failed
  }
  return Exit.failed
}

export function describeError(e: unknown): string {
  if (e instanceof FramecastError) return `${e.message} (${e.code})`
  return e instanceof Error ? e.message : String(e)
}
