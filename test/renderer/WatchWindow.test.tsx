// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { DiscoveredBroadcaster, EventMap, FramecastApi, WatchStatus } from '../../src/shared/ipc'
import { App } from '../../src/renderer/src/App'
import { useStore } from '../../src/renderer/src/store'

type Listeners = { [K in keyof EventMap]: ((p: EventMap[K]) => void)[] }

/** A window.api that records requests and lets the test emit events, like the preload would. */
function fakeApi(startWatch: FramecastApi['startWatch']) {
  const listeners: Listeners = { 'broadcast:status': [], 'watch:state': [], 'watch:stats': [], 'watch:frame': [], 'discovery:list': [], 'devices:changed': [] }
  const ok = async () => ({ ok: true as const, value: null })
  const devices = async () => ({ ok: true as const, value: { self: 'a'.repeat(64), devices: [] } })
  const on =
    <K extends keyof EventMap>(k: K) =>
    (l: (p: EventMap[K]) => void) => {
      listeners[k].push(l)
      return () => listeners[k].splice(listeners[k].indexOf(l) >>> 0, 1)
    }
  const api = {
    startBroadcast: vi.fn(),
    stopBroadcast: vi.fn(async (_p: Record<string, never>) => ({ ok: true as const, value: null })),
    sendFrame: vi.fn(),
    listInterfaces: vi.fn(async () => ({ ok: true as const, value: [] })),
    startWatch: vi.fn(startWatch),
    stopWatch: vi.fn(async () => ({ ok: true as const, value: null })),
    startDiscovery: vi.fn(async (_p: Record<string, never>) => ({ ok: true as const, value: { broadcasters: [] as DiscoveredBroadcaster[], error: null } })),
    stopDiscovery: vi.fn(async (_p: Record<string, never>) => ({ ok: true as const, value: null })),
    requestKeyframe: vi.fn(async (_p: { lastSeq: number }) => ({ ok: true as const, value: null })),
    openWindow: vi.fn(async (_p: { role: 'broadcast' | 'watch' }) => ({ ok: true as const, value: null })),
    onBroadcastStatus: on('broadcast:status'),
    onWatchState: on('watch:state'),
    onWatchStats: on('watch:stats'),
    onWatchFrame: on('watch:frame'),
    onDiscoveryList: on('discovery:list'),
    kickViewer: vi.fn(ok),
    blockViewer: vi.fn(ok),
    newPairingCode: vi.fn(ok),
    enterPairingCode: vi.fn(ok),
    listDevices: vi.fn(devices),
    renameDevice: vi.fn(devices),
    forgetDevice: vi.fn(devices),
    setDeviceBlocked: vi.fn(devices),
    onDevicesChanged: on('devices:changed')
  } satisfies FramecastApi
  const emit = <K extends keyof EventMap>(k: K, p: EventMap[K]) => listeners[k].forEach((l) => l(p))
  return { api, emit, listeners }
}

class FakeResizeObserver {
  observe(): void {}
  disconnect(): void {}
}

const initial = useStore.getState()

beforeEach(() => {
  localStorage.clear()
  useStore.setState(initial, true)
  vi.stubGlobal('ResizeObserver', FakeResizeObserver)
  HTMLCanvasElement.prototype.getContext = (() => ({ fillStyle: '', fillRect() {}, drawImage() {} })) as never
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
  delete (window as { api?: unknown }).api
})

describe('app shell', () => {
  it('says how to open the page when there is no window.api', () => {
    render(<App role="watch" />)
    expect(screen.getByTestId('missing-api').textContent).toMatch(/must be opened from the Framecast app or its browser host/)
  })

  it('opens a Broadcast or Watch window from the start screen', async () => {
    const f = fakeApi(async () => ({ ok: true, value: null }))
    window.api = f.api
    render(<App role="start" />)
    fireEvent.click(screen.getByTestId('open-broadcast'))
    fireEvent.click(screen.getByTestId('open-watch'))
    await waitFor(() => expect(f.api.openWindow).toHaveBeenCalledTimes(2))
    expect(f.api.openWindow.mock.calls.map((c) => c[0])).toEqual([{ role: 'broadcast' }, { role: 'watch' }])
  })
})

describe('watch window', () => {
  it('asks main to watch, remembers the partner and shows the states main reports', async () => {
    const f = fakeApi(async () => ({ ok: true, value: null }))
    window.api = f.api
    render(<App role="watch" />)
    fireEvent.change(screen.getByTestId('watch-host'), { target: { value: '192.168.1.20' } })
    fireEvent.click(screen.getByTestId('watch-connect'))
    await waitFor(() => expect(f.api.startWatch).toHaveBeenCalledWith({ host: '192.168.1.20', port: 9999, mode: 'auto', classicPrefix: 'auto', maxMessageBytes: null }))
    expect(useStore.getState().settings.recent).toEqual(['192.168.1.20:9999'])
    expect(screen.getByTestId('watch-banner').dataset.state).toBe('connecting')

    const base: WatchStatus = { state: 'live', host: '192.168.1.20', port: 9999, attempt: 1, format: 'native', info: null, security: null, error: null }
    act(() => f.emit('watch:state', base))
    expect(screen.getByTestId('watch-banner').dataset.state).toBe('live')
    expect(screen.getByTestId('watch-disconnect')).toBeTruthy()

    act(() => f.emit('watch:state', { ...base, state: 'reconnecting', attempt: 2, error: { code: 'CONNECTION_REFUSED', message: '' } }))
    expect(screen.getByTestId('watch-banner-detail').textContent).toBe('Nothing is listening on 192.168.1.20:9999 — is Broadcast started there?')

    act(() => f.emit('watch:state', { ...base, attempt: 1 }))
    act(() => f.emit('watch:stats', { fps: 29.7, kbps: 12000, frames: 300, gaps: 2, skippedWhileEncoding: 0, latencyP50Ms: 14, latencyP95Ms: 31, rttMs: 0.4 }))
    const stats = screen.getByTestId('viewer-stats')
    expect(stats.querySelector('[data-stat="latency"] dd')?.textContent).toBe('14 ms / 31 ms')
    expect(stats.querySelector('[data-stat="gaps"] dd')?.textContent).toBe('2')

    fireEvent.click(screen.getByTestId('watch-disconnect'))
    await waitFor(() => expect(f.api.stopWatch).toHaveBeenCalledTimes(1))
    await waitFor(() => expect(screen.getByTestId('watch-banner').dataset.state).toBe('idle'))
  })

  it('asks main to read a classic sender with the length prefix and size limit chosen under Compatibility', async () => {
    const f = fakeApi(async () => ({ ok: true, value: null }))
    window.api = f.api
    render(<App role="watch" />)
    fireEvent.change(screen.getByTestId('watch-classic-prefix'), { target: { value: 'u32le' } })
    fireEvent.change(screen.getByTestId('watch-frame-limit'), { target: { value: '128' } })
    fireEvent.change(screen.getByTestId('watch-host'), { target: { value: '192.168.1.20' } })
    fireEvent.click(screen.getByTestId('watch-connect'))
    await waitFor(() =>
      expect(f.api.startWatch).toHaveBeenCalledWith({ host: '192.168.1.20', port: 9999, mode: 'auto', classicPrefix: 'u32le', maxMessageBytes: 128 * 1024 * 1024 })
    )
    expect(useStore.getState().settings).toMatchObject({ watchClassicPrefix: 'u32le', watchFrameLimitMiB: 128 })
  })

  it('shows pickles skipped while encoding for a classic stream only, apart from the sender\'s gaps', async () => {
    const f = fakeApi(async () => ({ ok: true, value: null }))
    window.api = f.api
    render(<App role="watch" />)
    const base: WatchStatus = { state: 'live', host: '10.0.0.7', port: 9999, attempt: 1, format: 'native', info: null, security: null, error: null }
    act(() => f.emit('watch:state', base))
    act(() => f.emit('watch:stats', { fps: 30, kbps: 9000, frames: 90, gaps: 4, skippedWhileEncoding: 0, latencyP50Ms: null, latencyP95Ms: null, rttMs: null }))
    const stats = screen.getByTestId('viewer-stats')
    expect(stats.querySelector('[data-stat="gaps"] dd')?.textContent).toBe('4')
    expect(stats.querySelector('[data-stat="skipped-encoding"]')).toBeNull()

    act(() => f.emit('watch:state', { ...base, format: 'classic' }))
    act(() => f.emit('watch:stats', { fps: 12, kbps: 4000, frames: 40, gaps: 0, skippedWhileEncoding: 1234, latencyP50Ms: null, latencyP95Ms: null, rttMs: null }))
    const classic = screen.getByTestId('viewer-stats')
    expect(classic.querySelector('[data-stat="skipped-encoding"] dt')?.textContent).toBe('Skipped while encoding')
    expect(classic.querySelector('[data-stat="skipped-encoding"] dd')?.textContent).toBe('1,234')
    expect(classic.querySelector('[data-stat="gaps"] dd')?.textContent).toBe('0')
  })

  it('shows the error main answers with when watching cannot start', async () => {
    const f = fakeApi(async () => ({ ok: false, error: { code: 'INVALID_ARGUMENT', message: 'host: That is not an IP address or a host name' } }))
    window.api = f.api
    render(<App role="watch" />)
    fireEvent.change(screen.getByTestId('watch-host'), { target: { value: '10.0.0.1' } })
    fireEvent.click(screen.getByTestId('watch-connect'))
    await waitFor(() => expect(screen.getByTestId('watch-banner').dataset.state).toBe('error'))
    expect(screen.getByTestId('watch-banner').dataset.code).toBe('INVALID_ARGUMENT')
    expect(screen.getByTestId('watch-banner-title').textContent).toContain('host: That is not an IP address or a host name')
    expect(screen.getByTestId('watch-connect')).toBeTruthy()
  })

  it('stops listening to main when the window goes away', () => {
    const f = fakeApi(async () => ({ ok: true, value: null }))
    window.api = f.api
    const { unmount } = render(<App role="watch" />)
    expect(f.listeners['watch:state']).toHaveLength(1)
    expect(f.listeners['watch:frame']).toHaveLength(1)
    unmount()
    expect(f.listeners['watch:state']).toHaveLength(0)
    expect(f.listeners['watch:frame']).toHaveLength(0)
  })
})
