import { getEventListeners } from 'node:events'
import { describe, expect, it } from 'vitest'
import { abortable } from '../../src/shared/abortable'

describe('abortable', () => {
  it("gives the work's value and leaves nothing subscribed to the signal", async () => {
    const stop = new AbortController()
    for (let i = 0; i < 1_000; i++) expect(await abortable(Promise.resolve(i), stop.signal)).toBe(i)
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0)
  })

  it('passes a rejection on and unsubscribes', async () => {
    const stop = new AbortController()
    const e = new Error('read failed')
    await expect(abortable(Promise.reject(e), stop.signal)).rejects.toBe(e)
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0)
  })

  it('gives null as soon as the signal aborts, and at once when it already has', async () => {
    const stop = new AbortController()
    const pending = abortable(new Promise<number>(() => {}), stop.signal)
    stop.abort()
    expect(await pending).toBeNull()
    expect(await abortable(Promise.resolve(1), stop.signal)).toBeNull()
  })
})
