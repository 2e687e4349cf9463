import { describe, expect, it } from 'vitest'
import { fitRect } from '../../../src/renderer/src/lib/fit'

describe('aspect fit', () => {
  it('letterboxes a wide picture in a tall area', () => {
    expect(fitRect(1280, 720, 800, 800)).toEqual({ x: 0, y: 175, w: 800, h: 450 })
  })

  it('pillarboxes a 4:3 picture in a 16:9 area', () => {
    expect(fitRect(640, 480, 1280, 720)).toEqual({ x: 160, y: 0, w: 960, h: 720 })
  })

  it('fills the area exactly when the aspect ratios match', () => {
    expect(fitRect(1920, 1080, 1280, 720)).toEqual({ x: 0, y: 0, w: 1280, h: 720 })
  })

  it('draws nothing for empty sizes', () => {
    expect(fitRect(0, 480, 100, 100)).toEqual({ x: 0, y: 0, w: 0, h: 0 })
  })
})
