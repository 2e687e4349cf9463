// Which adapter a connection gets: fixed by the watch mode ('native', 'classic'), or, in 'auto', chosen from the first
// bytes the peer sends (`sniffStream`: the Framecast magic, or a plausible classic length followed by a pickle or JPEG
// start). The sniffing adapter holds those bytes until it can tell, hands the connection over to the chosen adapter and
// replays them into it, so the chosen adapter sees the stream from its first byte as if it had been there all along.

import type { WatchMode } from '../../shared/status'
import type { ClockOffset } from '../../shared/stats'
import type { StreamFormat } from '../classic/framing'
import { FramecastError } from '../errors'
import { ClassicAdapter, type ClassicReading } from './classic-adapter'
import { FirstBytes } from './first-bytes'
import { NativeAdapter, viewerPreamble } from './native-adapter'
import type { ViewerSecurity } from '../secure/pairing-initiator'
import type { StreamAdapter, StreamSink } from './stream-adapter'

/** What the lifecycle lends the adapters: limits, and the state it keeps across connections. */
export interface AdapterOptions {
  /** Largest message accepted from a Framecast broadcaster, bytes. */
  maxMessageBytes: number
  /** How a classic stream is read: its length prefix ('auto' tells it from the first messages) and size limit. */
  classic: ClassicReading
  /** The watch's clock-offset estimate (native). */
  clock: ClockOffset
  /** This device's name, for the native HELLO. */
  deviceName: string
  /** This device's identity, pins and pairing code (native): the viewer asks for TLS; absent, it speaks in the clear. */
  security?: ViewerSecurity
  /** The next arrival number for a classic frame. */
  nextSeq: () => number
}

/** The adapter that speaks `format`. */
export function adapterFor(format: StreamFormat, sink: StreamSink, options: AdapterOptions): StreamAdapter {
  return format === 'native' ? new NativeAdapter(sink, options) : new ClassicAdapter(sink, { ...options.classic, nextSeq: options.nextSeq })
}

/** The adapter a new connection starts with: the mode's own, or for 'auto' the sniffing adapter. */
export function openStream(mode: WatchMode, sink: StreamSink, options: AdapterOptions): StreamAdapter {
  return mode === 'auto' ? new SniffingAdapter(sink, options) : adapterFor(mode, sink, options)
}

/**
 * 'auto': holds the first bytes until `sniffStream` can tell the format (at most SNIFF_BYTES, 11), then calls
 * `sink.adopt` with the adapter for that format and pushes into it first the bytes it held, then the chunk that decided
 * (whole, as the view it came as). Bytes that are neither format fail with BAD_MAGIC naming the peer. Greets with the
 * native preamble, which a classic sender never reads, and does not ping until a native adapter takes over.
 */
export class SniffingAdapter implements StreamAdapter {
  readonly format = null
  readonly greeting: Uint8Array
  readonly pings = false
  readonly silence = 'never introduced itself as a Framecast broadcaster'

  private readonly first: FirstBytes
  private done = false

  constructor(
    private readonly sink: StreamSink,
    private readonly options: AdapterOptions
  ) {
    this.first = new FirstBytes()
    this.greeting = viewerPreamble(options.security)
  }

  push(chunk: Uint8Array): void {
    if (this.done || chunk.length === 0) return
    const heldBytes = this.first.bytes.length
    this.first.add(chunk)
    const verdict = this.first.verdict()
    // Undecided means fewer than SNIFF_BYTES have arrived, so every byte so far is held in `first`.
    if (verdict === undefined) return
    this.done = true
    if (verdict instanceof FramecastError) {
      this.sink.fail(new FramecastError(verdict.code, `${this.sink.where}: ${verdict.message}`))
      return
    }
    const chosen = adapterFor(verdict, this.sink, this.options)
    this.sink.adopt(chosen)
    if (heldBytes > 0) chosen.push(this.first.bytes.subarray(0, heldBytes))
    chosen.push(chunk)
  }

  ping(): void {}

  end(): FramecastError | undefined {
    return undefined
  }

  close(): void {
    this.done = true
  }
}
