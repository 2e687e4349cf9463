// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest'
import { api, ApiError, hasApi, MISSING_API_MESSAGE, unwrap } from '../../../src/renderer/src/lib/api'

afterEach(() => {
  delete (window as { api?: unknown }).api
})

describe('api wrapper', () => {
  it('resolves a successful result to its value', () => {
    expect(unwrap({ ok: true, value: 42 })).toBe(42)
  })

  it('throws ApiError with the code and message main gave', () => {
    try {
      unwrap({ ok: false, error: { code: 'SERVER_FULL', message: 'full' } })
      expect.unreachable()
    } catch (e) {
      expect(e).toBeInstanceOf(ApiError)
      expect((e as ApiError).code).toBe('SERVER_FULL')
      expect((e as ApiError).message).toBe('full')
    }
  })

  it('reports a missing window.api in words', async () => {
    expect(hasApi()).toBe(false)
    await expect(api.listInterfaces({})).rejects.toThrow(MISSING_API_MESSAGE)
  })

  it('passes requests through and turns a failing transport into an ApiError', async () => {
    const listInterfaces = vi.fn(async () => ({ ok: true as const, value: [{ name: 'eth0', address: '10.0.0.2', family: 'IPv4' as const, internal: false }] }))
    const startWatch = vi.fn(async () => {
      throw new Error('socket closed')
    })
    ;(window as { api?: unknown }).api = { listInterfaces, startWatch }
    expect(hasApi()).toBe(true)
    await expect(api.listInterfaces({})).resolves.toEqual([{ name: 'eth0', address: '10.0.0.2', family: 'IPv4', internal: false }])
    expect(listInterfaces).toHaveBeenCalledWith({})
    await expect(api.startWatch({ host: 'a', port: 1 })).rejects.toMatchObject({ code: 'INTERNAL', message: expect.stringContaining('socket closed') })
  })
})
