// A StreamSink that records what a stream adapter reports, for driving adapters without a socket or a lifecycle.

import type { FramecastError } from '../../src/core/errors'
import type { StreamAdapter, StreamSink, WatchedFrame } from '../../src/core/watch/stream-adapter'
import type { StreamInfo } from '../../src/shared/protocol'

/** What an adapter reported, in order, plus the bytes it wrote and the adapters it handed over to. */
export interface SinkRecord {
  /** Every report in order, by kind: 'heard', 'described', 'gap', 'skipped', 'frame', 'fail', 'adopt'. */
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
    }
  }
  return { sink, record }
}
