import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { cachedInterfaces } from '../../src/service/interface-cache'
import type { NetInterface } from '../../src/shared/status'

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['performance'] })
})
afterEach(() => {
  vi.useRealTimers()
})

describe('cachedInterfaces', () => {
  it('looks the interfaces up once per time-to-live, and sees a change after it', () => {
    let address = '192.0.2.1'
    const list = vi.fn((): NetInterface[] => [{ name: 'eth0', address, family: 'IPv4', internal: false }])
    const cache = cachedInterfaces(list, 5_000)
    for (let i = 0; i < 1_000; i++) expect(cache.get()[0]!.address).toBe('192.0.2.1')
    expect(list).toHaveBeenCalledTimes(1)
    address = '192.0.2.2'
    vi.advanceTimersByTime(4_999)
    expect(cache.get()[0]!.address).toBe('192.0.2.1')
    vi.advanceTimersByTime(1)
    expect(cache.get()[0]!.address).toBe('192.0.2.2')
    expect(cache.lookups).toBe(2)
  })
})
