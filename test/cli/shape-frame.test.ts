import { beforeAll, describe, expect, it } from 'vitest'
import { shapeFrame } from '../../src/cli/shape-frame'
import { jpegSize } from '../../src/core/jpeg/jpeg'
import { noisyJpegs } from '../support/noisy-jpegs'

const FULL = { quality: 100, scale: 1, bitrateBps: null }
let q90: Buffer
let q30: Buffer

beforeAll(async () => {
  q90 = (await noisyJpegs(320, 240, 1, 90))[0]!
  q30 = (await noisyJpegs(320, 240, 1, 30))[0]!
})

describe('shapeFrame: a ready-made frame under the encoder target', () => {
  it('sends the frame as read while the target is the full picture', async () => {
    const shaped = await shapeFrame(q90, FULL, undefined)
    expect(shaped.payload).toBe(q90)
    expect(shaped.quality).toBe(0)
  })

  it('re-encodes at the lowered quality, and at the smaller size when the target steps it down', async () => {
    const lower = await shapeFrame(q90, { quality: 40, scale: 1, bitrateBps: 5e6 }, undefined)
    expect(lower.quality).toBe(40)
    expect(lower.payload.length).toBeLessThan(q90.length / 2)
    expect(jpegSize(lower.payload)).toEqual({ width: 320, height: 240 })
    const half = await shapeFrame(q90, { quality: 45, scale: 0.5, bitrateBps: 2e6 }, undefined)
    expect(jpegSize(half.payload)).toEqual({ width: 160, height: 120 })
    expect(half.quality).toBe(45)
  })

  it('keeps the frame as read when re-encoding would make it larger', async () => {
    const shaped = await shapeFrame(q30, { quality: 80, scale: 1, bitrateBps: 9e6 }, undefined)
    expect(shaped.payload).toBe(q30)
    expect(shaped.quality).toBe(0)
  })

  it('with --quality, re-encodes every frame at it, and lower when the target asks for less', async () => {
    const fixed = await shapeFrame(q90, FULL, 50)
    expect(fixed.quality).toBe(50)
    expect(fixed.payload.length).toBeLessThan(q90.length)
    expect((await shapeFrame(q90, { quality: 35, scale: 1, bitrateBps: 1e6 }, 50)).quality).toBe(35)
  })
})
