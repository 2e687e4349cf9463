import { describe, expect, it } from 'vitest'
import type { StreamInfo } from '../../src/shared/protocol'
import { sameStreamInfo } from '../../src/shared/stream-info'

const base: StreamInfo = { codec: 'jpeg', width: 640, height: 480, fps: 30, name: 'Desk' }

describe('sameStreamInfo', () => {
  it('is true for equal descriptions, an absent params being the same as no params', () => {
    expect(sameStreamInfo(base, { ...base })).toBe(true)
    expect(sameStreamInfo(null, null)).toBe(true)
  })

  it('is false as soon as one field differs, or one side is missing', () => {
    const changes: Partial<StreamInfo>[] = [{ codec: 'h264' }, { width: 641 }, { height: 481 }, { fps: 29.97 }, { name: 'Desk ' }, { params: 'avc1.42001f' }]
    for (const change of changes) expect(sameStreamInfo(base, { ...base, ...change }), JSON.stringify(change)).toBe(false)
    expect(sameStreamInfo(base, null)).toBe(false)
    expect(sameStreamInfo(null, base)).toBe(false)
  })
})
