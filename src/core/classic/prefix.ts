// Which length prefix a classic sender writes, told from its first messages. The six layouts (2, 4 or 8 bytes, either
// byte order; src/shared/classic.ts) are read side by side over the same bytes:
//
// 1. Head: under each prefix the first message must declare MIN_CLASSIC_MESSAGE_BYTES up to the largest limit a
//    person may set, and start like a pickle or a JPEG. Usually one prefix is left, and it is chosen at once (at most
//    11 bytes in). A prefix whose message fits only a larger limit than the one in force is kept apart: it is chosen
//    only when nothing else fits, so the decoder refuses its first message as too large — the right, final error.
// 2. Second message: when several prefixes fit (always for 2-byte prefixes, whose two byte orders both give lengths
//    in range; sometimes for 4-byte ones), each is followed to where its first message would end: a pickle must end
//    with STOP, and a second message of the same kind must start there. The first prefix to pass is chosen; a wrong
//    reading passes both by chance about once in millions. Only messages within the limit in force are followed, so
//    what is held while telling is bounded by that limit.
//
// A chosen prefix ("!Q", "<L", …) is checked on the first message too, and when the bytes fit another prefix
// instead, the error names it: BAD_LENGTH_PREFIX, which no retry can fix.

import {
  CLASSIC_PREFIXES,
  type ClassicPrefix,
  type ClassicPrefixChoice,
  describePrefix,
  formatBytes,
  MESSAGE_LIMIT_MAX_BYTES,
  PREFIX_LAYOUTS
} from '../../shared/classic'
import { FramecastError } from '../errors'
import { type ClassicPayloadKind, hexBytes, lengthText, PAYLOAD_SIGNATURE_BYTES, readHead, SNIFF_BYTES } from './framing'

export interface PrefixDetectorOptions {
  /** 'auto', or the prefix a person chose. */
  choice: ClassicPrefixChoice
  /** The message limit in force, bytes. */
  maxMessageBytes: number
}

/** What the detector decided: the prefix to decode with, or why the stream is not one it can read. */
export type PrefixVerdict = { prefix: ClassicPrefix } | { error: FramecastError }

type Candidate =
  | { prefix: ClassicPrefix; state: 'head' }
  | { prefix: ClassicPrefix; state: 'out'; why: string }
  /** The first message fits; `tooLarge` when only under a larger limit than the one in force. */
  | { prefix: ClassicPrefix; state: 'fits'; length: number; kind: ClassicPayloadKind; tooLarge: boolean }

type Fits = Extract<Candidate, { state: 'fits' }>

const BAD_PREFIX = (message: string): { error: FramecastError } => ({ error: new FramecastError('BAD_LENGTH_PREFIX', message) })

/**
 * Tells the prefix of a classic stream from its first bytes. push() each chunk as it arrives (any chunking; chunks are
 * kept as they are, not copied, until the verdict) and get the verdict once there is one, undefined before; the
 * chunks pushed so far are in `held`, to be replayed into a decoder for that prefix. end() gives a verdict from what
 * arrived when the stream ends first. Never throws.
 */
export class PrefixDetector {
  private readonly chunks: Uint8Array[] = []
  private total = 0
  private readonly candidates: Candidate[]
  private verdict: PrefixVerdict | undefined

  constructor(private readonly options: PrefixDetectorOptions) {
    this.candidates = CLASSIC_PREFIXES.map((prefix) => ({ prefix, state: 'head' }))
  }

  /** The chunks pushed so far, in order. */
  get held(): readonly Uint8Array[] {
    return this.chunks
  }

  push(chunk: Uint8Array): PrefixVerdict | undefined {
    if (this.verdict !== undefined) return this.verdict
    if (chunk.length > 0) {
      this.chunks.push(chunk)
      this.total += chunk.length
    }
    this.verdict = this.judge(false)
    return this.verdict
  }

  /** The stream ended: a prefix when one fits what arrived, else why not (TRUNCATED when too little arrived to tell). */
  end(): PrefixVerdict {
    this.verdict ??= this.judge(true) ?? { error: new FramecastError('TRUNCATED', `the stream ended after ${this.total} bytes, inside its first length prefix`) }
    return this.verdict
  }

  // ---------------------------------------------------------------------------------------------------------------

  private judge(ended: boolean): PrefixVerdict | undefined {
    const head = this.peek(0, SNIFF_BYTES)
    for (const [i, c] of this.candidates.entries()) {
      if (c.state !== 'head') continue
      const r = readHead(head, c.prefix, MESSAGE_LIMIT_MAX_BYTES)
      if (r.fits === false) this.candidates[i] = { prefix: c.prefix, state: 'out', why: r.why }
      else if (r.fits) this.candidates[i] = { prefix: c.prefix, state: 'fits', length: r.length, kind: r.kind, tooLarge: r.length > this.options.maxMessageBytes }
    }
    const choice = this.options.choice
    const chosen = choice === 'auto' ? undefined : this.candidates.find((c) => c.prefix === choice)!
    if (chosen?.state === 'fits' && !chosen.tooLarge) return { prefix: chosen.prefix }
    // Until every prefix has been read (at most SNIFF_BYTES in), a later one might fit better; at the end, none will.
    if (this.candidates.some((c) => c.state === 'head') && (!ended || chosen?.state === 'head')) return undefined
    const fitting = this.candidates.filter((c): c is Fits => c.state === 'fits' && !c.tooLarge)
    const tooLarge = this.candidates.filter((c): c is Fits => c.state === 'fits' && c.tooLarge)
    if (chosen !== undefined) {
      // The chosen prefix does not fit the limit: is there one the bytes really fit instead?
      const instead = this.followUp(fitting, chosen.state === 'fits' ? 1 : 0, ended)
      if (instead === undefined) return undefined
      if (chosen.state === 'fits' && instead === null) return { prefix: chosen.prefix }
      return this.wrongChoice(chosen, (instead ?? tooLarge.find((c) => c !== chosen))?.prefix)
    }
    if (fitting.length === 0) {
      if (tooLarge.length > 0) return { prefix: tooLarge[0]!.prefix }
      if (this.candidates.some((c) => c.state === 'head')) return undefined
      return BAD_PREFIX(`its first bytes, ${hexBytes(head)}, are not a length prefix (2, 4 or 8 bytes, either byte order) followed by a pickle or a JPEG`)
    }
    const found = this.followUp(fitting, tooLarge.length, ended)
    if (found === undefined) return undefined
    // No reading that fits the limit continues: take one that does not (the decoder refuses it as too large), or the
    // likeliest, and let the decoder judge.
    return { prefix: (found ?? tooLarge[0] ?? fitting[0]!).prefix }
  }

  /**
   * Of `fitting` readings, the one to choose: the first whose second message follows, or the only one left open when
   * no `rivals` (readings beyond the limit) compete with it; null when none continues; undefined while waiting for
   * bytes. When the stream has ended, the first still open.
   */
  private followUp(fitting: Fits[], rivals: number, ended: boolean): Fits | null | undefined {
    const open: Fits[] = []
    for (const c of fitting) {
      const second = this.secondMessage(c)
      if (second === true) return c
      if (second === undefined) open.push(c)
      else this.candidates[this.candidates.indexOf(c)] = { prefix: c.prefix, state: 'out', why: 'its second message does not follow the first' }
    }
    if (open.length === 0) return null
    if ((open.length === 1 && rivals === 0) || ended) return open[0]!
    return undefined
  }

  /** BAD_LENGTH_PREFIX for a chosen prefix that does not fit: what the bytes are under it, and what they fit instead. */
  private wrongChoice(chosen: Candidate, instead: ClassicPrefix | undefined): PrefixVerdict {
    const why =
      chosen.state === 'out'
        ? chosen.why
        : chosen.state === 'fits'
          ? `the first message declares ${lengthText(chosen.length)}, more than the ${formatBytes(this.options.maxMessageBytes)} limit`
          : 'the stream ended inside it'
    const tail =
      instead !== undefined
        ? `; they fit ${describePrefix(instead)} — choose that prefix, or Automatic`
        : `; they fit no other length prefix either (the first bytes are ${hexBytes(this.peek(0, SNIFF_BYTES))})`
    return BAD_PREFIX(`Read with ${describePrefix(chosen.prefix)}, ${why}${tail}`)
  }

  /**
   * Whether the message after `c`'s first one starts where `c` says it does: the first one, if a pickle, ends with
   * STOP (`.`), and a second message of the same kind follows. Undefined until enough bytes arrived.
   */
  private secondMessage(c: Fits): boolean | undefined {
    const width = PREFIX_LAYOUTS[c.prefix].bytes
    const end = width + c.length
    const next = this.peek(end, width + PAYLOAD_SIGNATURE_BYTES)
    if (next.length < width + PAYLOAD_SIGNATURE_BYTES) return undefined
    if (c.kind === 'pickle' && this.peek(end - 1, 1)[0] !== 0x2e) return false
    const head = readHead(next, c.prefix, MESSAGE_LIMIT_MAX_BYTES)
    return head.fits === true && head.kind === c.kind
  }

  /** Up to `n` bytes from `offset` of what was pushed (fewer when fewer arrived); a view when they lie in one chunk. */
  private peek(offset: number, n: number): Uint8Array {
    const want = Math.max(0, Math.min(n, this.total - offset))
    const out = new Uint8Array(want)
    let skip = offset
    let filled = 0
    for (const c of this.chunks) {
      if (filled === want) break
      if (skip >= c.length) {
        skip -= c.length
        continue
      }
      const part = c.subarray(skip, skip + want - filled)
      if (filled === 0 && part.length === want) return part
      out.set(part, filled)
      filled += part.length
      skip = 0
    }
    return out
  }
}
