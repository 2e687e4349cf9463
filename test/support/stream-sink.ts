// A StreamSink that records what a stream adapter reports, for driving adapters without a socket or a lifecycle.

import fc from 'fast-check'
import { expect } from 'vitest'
import { FramecastError } from '../../src/core/errors'
import type { StreamAdapter, StreamSink, WatchedFrame } from '../../src/core/watch/stream-adapter'
import type { StreamInfo } from '../../src/shared/protocol'
import { splitAt } from './chunks'
import { NUM_RUNS } from './runs'

/** What an adapter reported, in order, plus the bytes it wrote and the adapters it handed over to. */
export interface SinkRecord {
  /** Every report in order, by kind: 'heard', 'introduced', 'described', 'gap', 'skipped', 'frame', 'fail', 'adopt'. */
  log: string[]
  infos: StreamInfo[]
  frames: WatchedFrame[]
  gaps: number
  skippedWhileEncoding: number
  failures: FramecastError[]
  /** Everything written to the peer, one entry a write. */
  sent: Uint8Array[]
  adopted: StreamAdapter[]
}

/** A sink for the peer `where` that records every call; an adopted adapter is recorded, not fed. */
export function recordingSink(where = '192.0.2.7:9999'): { sink: StreamSink; record: SinkRecord } {
  const record: SinkRecord = { log: [], infos: [], frames: [], gaps: 0, skippedWhileEncoding: 0, failures: [], sent: [], adopted: [] }
  const sink: StreamSink = {
    where,
    heard: () => void record.log.push('heard'),
    introduced: () => void record.log.push('introduced'),
    described: (info) => {
      record.log.push('described')
      record.infos.push(info)
    },
    gap: (frames) => {
      record.log.push('gap')
      record.gaps += frames
    },
    skippedWhileEncoding: (images) => {
      record.log.push('skipped')
      record.skippedWhileEncoding += images
    },
    frame: (frame) => {
      record.log.push('frame')
      record.frames.push(frame)
    },
    fail: (error) => {
      record.log.push('fail')
      record.failures.push(error)
    },
    send: (bytes) => void record.sent.push(Uint8Array.from(bytes)),
    adopt: (adapter) => {
      record.log.push('adopt')
      record.adopted.push(adapter)
    },
    startTls: () => void record.log.push('startTls'),
    security: () => void record.log.push('security'),
    awaitingCode: () => void record.log.push('awaitingCode'),
    code: () => null
  }
  return { sink, record }
}

/**
 * Property: `stream` with up to 8 bytes overwritten (within its first `within` bytes) and cut anywhere never makes the
 * adapter throw; it fails at most once, with a FramecastError, and reports nothing after failing.
 */
export function expectCorruptionHandled(stream: Uint8Array, make: (sink: StreamSink) => StreamAdapter, within = stream.length): void {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
      fc.array(fc.nat(), { maxLength: 20 }),
      (flips, cuts) => {
        const bytes = Uint8Array.from(stream)
        for (const [at, value] of flips) bytes[at % Math.min(bytes.length, within)] = value
        const { sink, record } = recordingSink()
        const adapter = make(sink)
        for (const c of splitAt(bytes, cuts)) adapter.push(c)
        adapter.end()
        adapter.close()
        expect(record.failures.length).toBeLessThanOrEqual(1)
        if (record.failures.length === 1) {
          expect(record.failures[0]).toBeInstanceOf(FramecastError)
          expect(record.log.at(-1)).toBe('fail')
        }
      }
    ),
    { numRuns: NUM_RUNS }
  )
}
