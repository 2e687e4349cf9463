// Which codec the Watch window's viewer decodes: the stream's, from its INFO, kept while the stream has no description
// (reconnecting), so the last picture stays on screen and the pipeline is rebuilt only when the codec really changes.

import { useState } from 'react'
import type { CodecName, StreamInfo } from '../../../../shared/protocol'

export interface StreamCodec {
  codec: CodecName
  /** INFO's codec parameters ('' for JPEG). */
  params: string
}

const JPEG: StreamCodec = { codec: 'jpeg', params: '' }

/** The codec of `info`, or of the last non-null `info` seen; JPEG before any. One object per distinct codec. */
export function useStreamCodec(info: StreamInfo | null): StreamCodec {
  const [codec, setCodec] = useState<StreamCodec>(JPEG)
  const next = info?.codec
  const params = info?.params ?? ''
  // Adjusted while rendering (React's pattern for state derived from props): the new pipeline is built in the same
  // commit that shows the new description, not one render later.
  if (next !== undefined && (codec.codec !== next || codec.params !== params)) {
    const changed = { codec: next, params }
    setCodec(changed)
    return changed
  }
  return codec
}
