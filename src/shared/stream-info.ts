// When two stream descriptions are the same: a viewer ignores an INFO that describes the stream as it already is, and
// a broadcaster never sends one (docs/protocol.md, INFO: "never twice in a row unchanged").

import type { StreamInfo } from './protocol'

/** True when `a` and `b` describe the same stream: codec, size, frame rate, codec parameters and name all equal. */
export function sameStreamInfo(a: StreamInfo | null, b: StreamInfo | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.codec === b.codec &&
    a.width === b.width &&
    a.height === b.height &&
    a.fps === b.fps &&
    a.name === b.name &&
    (a.params ?? '') === (b.params ?? '')
  )
}
