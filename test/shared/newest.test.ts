import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NewestSlot } from '../../src/shared/newest'

describe('NewestSlot', () => {
  it('holds nothing until offered, and gives back the newest offer once', () => {
    const slot = new NewestSlot<number>()
    expect(slot.full).toBe(false)
    expect(slot.take()).toBeUndefined()
    expect(slot.offer(1)).toBeUndefined()
    expect(slot.offer(2)).toBe(1)
    expect(slot.peek()).toBe(2)
    expect(slot.take()).toBe(2)
    expect(slot.full).toBe(false)
    expect(slot.take()).toBeUndefined()
    expect(slot.replaced).toBe(1)
  })

  it('keeps falsy items apart from an empty slot', () => {
    const slot = new NewestSlot<number | null>()
    slot.offer(null)
    expect(slot.full).toBe(true)
    expect(slot.offer(0)).toBeNull()
    expect(slot.take()).toBe(0)
  })

  it('does not count a cleared item as replaced', () => {
    const slot = new NewestSlot<string>()
    slot.offer('a')
    expect(slot.clear()).toBe('a')
    slot.offer('b')
    expect(slot.replaced).toBe(0)
  })

  it('never holds more than one item: every offer is either taken or counted as replaced', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { maxLength: 200 }), (ops) => {
        const slot = new NewestSlot<number>()
        let offered = 0
        let taken = 0
        let last = -1
        for (const offer of ops) {
          if (offer) slot.offer((last = offered++))
          else if (slot.full) {
            expect(slot.take()).toBe(last)
            taken++
          }
        }
        expect(offered).toBe(taken + slot.replaced + (slot.full ? 1 : 0))
      })
    )
  })
})
