import { beforeAll, describe, expect, it, vi } from 'vitest'
import { contextBridge, ipcRenderer } from './fake-electron'
import { apiEvents, apiRequests, IPC_REQUEST_CHANNEL, type FramecastApi } from '../../src/shared/ipc'

vi.mock('electron', () => import('./fake-electron'))

let api: FramecastApi
beforeAll(async () => {
  await import('../../src/preload/index')
  api = contextBridge.exposed.get('api') as FramecastApi
})

describe('preload', () => {
  it('exposes only window.api, with exactly one function per request and event channel', () => {
    expect([...contextBridge.exposed.keys()]).toEqual(['api'])
    expect(Object.keys(api).sort()).toEqual([...Object.keys(apiRequests), ...Object.keys(apiEvents)].sort())
    for (const fn of Object.values(api)) expect(fn).toBeTypeOf('function')
    expect(Object.isFrozen(api)).toBe(true)
    for (const leak of ['ipcRenderer', 'invoke', 'send', 'on', 'require', 'process']) expect(Object.keys(api)).not.toContain(leak)
  })

  it('sends each request on the one request channel with its own channel name and returns the reply', async () => {
    ipcRenderer.invoke.mockResolvedValueOnce({ ok: true, value: null })
    const r = await api.startWatch({ host: '192.168.1.20', port: 9999 })
    expect(r).toEqual({ ok: true, value: null })
    expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_REQUEST_CHANNEL, 'watch:start', { host: '192.168.1.20', port: 9999 })
    for (const [method, channel] of Object.entries(apiRequests)) {
      await (api[method as keyof typeof apiRequests] as (p: unknown) => Promise<unknown>)({})
      expect(ipcRenderer.invoke).toHaveBeenLastCalledWith(IPC_REQUEST_CHANNEL, channel, {})
    }
  })

  it('turns a failed invoke into an error Result instead of a rejection', async () => {
    ipcRenderer.invoke.mockRejectedValueOnce(new Error('No handler registered'))
    expect(await api.stopWatch({})).toEqual({ ok: false, error: { code: 'INTERNAL', message: 'No handler registered' } })
  })

  it('hands listeners the payload only and stops calling them after unsubscribe', () => {
    const got: unknown[][] = []
    const off = api.onWatchState((...args: unknown[]) => got.push(args))
    const event = { sender: ipcRenderer, ports: [] }
    ipcRenderer.emit('watch:state', event, { state: 'live' })
    expect(got).toEqual([[{ state: 'live' }]])
    off()
    ipcRenderer.emit('watch:state', event, { state: 'idle' })
    expect(got).toHaveLength(1)
    expect(ipcRenderer.listenerCount('watch:state')).toBe(0)
  })

  it('subscribes each on* function to its own event channel', () => {
    for (const [method, channel] of Object.entries(apiEvents)) {
      const seen: unknown[] = []
      const off = (api[method as keyof typeof apiEvents] as (l: (p: unknown) => void) => () => void)((p) => seen.push(p))
      ipcRenderer.emit(channel, {}, channel)
      off()
      expect(seen).toEqual([channel])
    }
  })

  it('refuses a listener that is not a function', () => {
    expect(() => (api.onWatchFrame as (l: unknown) => void)('alert(1)')).toThrow(TypeError)
  })
})
