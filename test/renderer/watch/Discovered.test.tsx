// @vitest-environment jsdom
// The Watch window's list of broadcasters on the network: it asks main for the list while it is open, shows each one
// as it comes and goes, and choosing one fills the form and connects.

import { act, cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Discovered, LOOKING_MS, watchModeFor } from '../../../src/renderer/src/features/watch/Discovered'
import { WatchForm } from '../../../src/renderer/src/features/watch/WatchForm'
import { useStore } from '../../../src/renderer/src/store'
import type { DiscoveryList } from '../../../src/shared/ipc'
import { discoveredBroadcaster } from '../../support/discovered'

const initial = useStore.getState()
const FP = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90'

const found = discoveredBroadcaster

/** A window.api with the discovery calls only; `emit` plays main sending discovery:list. */
function fakeApi(first: DiscoveryList = { broadcasters: [], error: null }) {
  const listeners = new Set<(l: DiscoveryList) => void>()
  const api = {
    startDiscovery: vi.fn(async () => ({ ok: true as const, value: first })),
    stopDiscovery: vi.fn(async () => ({ ok: true as const, value: null })),
    onDiscoveryList: vi.fn((l: (list: DiscoveryList) => void) => {
      listeners.add(l)
      return () => void listeners.delete(l)
    })
  }
  ;(window as unknown as { api: unknown }).api = api
  return { api, emit: (list: DiscoveryList) => act(() => listeners.forEach((l) => l(list))), listeners }
}

function form(active = false) {
  const onConnect = vi.fn()
  render(<WatchForm active={active} busy={false} onConnect={onConnect} onDisconnect={vi.fn()} />)
  return onConnect
}

const rows = (): HTMLButtonElement[] => screen.queryAllByTestId('discovered-broadcaster') as HTMLButtonElement[]

beforeEach(() => {
  localStorage.clear()
  useStore.setState(initial, true)
})
afterEach(() => {
  cleanup()
  vi.useRealTimers()
  delete (window as { api?: unknown }).api
})

describe('the list of broadcasters on the network', () => {
  it('asks main for the list while the window is open, and stops when it closes', async () => {
    const f = fakeApi({ broadcasters: [found()], error: null })
    const { unmount } = render(<Discovered hidden={false} onChoose={vi.fn()} />)
    await waitFor(() => expect(rows()).toHaveLength(1))
    expect(f.api.startDiscovery).toHaveBeenCalledWith({})
    unmount()
    expect(f.api.stopDiscovery).toHaveBeenCalledWith({})
    expect(f.listeners.size).toBe(0)
  })

  it('shows broadcasters as they come and go, with their device, address and kind, and leaves out MJPEG endpoints', async () => {
    const f = fakeApi()
    form()
    await waitFor(() => expect(f.api.startDiscovery).toHaveBeenCalled())
    f.emit({ broadcasters: [found(), found({ id: 'b', name: 'Old script', kind: 'classic-pickle', port: 9000, protocolVersion: null, codec: null })], error: null })
    expect(rows().map((r) => r.textContent)).toEqual([
      'Studio camstudio-pc · 192.168.1.20:9999 · Framecast, JPEGWatch',
      'Old scriptstudio-pc · 192.168.1.20:9000 · Classic OpenCV script, pickled framesWatch'
    ])
    f.emit({ broadcasters: [found({ id: 'b', name: 'Old script', kind: 'classic-pickle' }), found({ id: 'm', kind: 'mjpeg', path: '/stream.mjpg' })], error: null })
    expect(rows().map((r) => r.dataset.kind)).toEqual(['classic-pickle'])
  })

  it('fills the form and connects to the broadcaster chosen, in the mode its kind needs', async () => {
    const f = fakeApi()
    useStore.getState().updateSettings({ watchMode: 'native' })
    const onConnect = form()
    await waitFor(() => expect(f.api.startDiscovery).toHaveBeenCalled())
    f.emit({ broadcasters: [found({ host: 'fe80::1', port: 9000, kind: 'classic-jpeg' })], error: null })
    fireEvent.click(rows()[0]!)
    expect(onConnect).toHaveBeenCalledWith({ host: 'fe80::1', port: 9000, mode: 'auto', address: '[fe80::1]:9000' })
    expect((screen.getByTestId('watch-host') as HTMLInputElement).value).toBe('fe80::1')
    expect((screen.getByTestId('watch-port') as HTMLInputElement).value).toBe('9000')
    expect(useStore.getState().settings).toMatchObject({ watchHost: 'fe80::1', watchPort: '9000', watchMode: 'auto' })
  })

  it('keeps the window’s mode where it fits the broadcaster', () => {
    expect(watchModeFor('framecast', 'native')).toBe('native')
    expect(watchModeFor('framecast', 'auto')).toBe('auto')
    expect(watchModeFor('framecast', 'classic')).toBe('auto')
    expect(watchModeFor('classic-pickle', 'classic')).toBe('classic')
    expect(watchModeFor('classic-jpeg', 'native')).toBe('auto')
  })

  it('marks paired broadcasters, those that ask for a code, and shows device keys', async () => {
    fakeApi({
      broadcasters: [
        found({ id: 'p', name: 'Paired one', fingerprint: FP, pairing: true }),
        found({ id: 'n', name: 'New one', fingerprint: FP.replace('a1', 'ff'), pairing: true }),
        found({ id: 'o', name: 'Open one' })
      ],
      error: null
    })
    render(<Discovered hidden={false} onChoose={vi.fn()} paired={new Set([FP])} />)
    await waitFor(() => expect(rows()).toHaveLength(3))
    const [paired, unknown, open] = rows()
    expect(paired!.querySelector('[data-testid="discovered-paired"]')).not.toBeNull()
    expect(paired!.querySelector('[data-testid="discovered-pairing"]')).toBeNull()
    expect(paired!.textContent).toContain('a1b2 c3d4 e5f6 0718')
    expect(unknown!.querySelector('[data-testid="discovered-pairing"]')?.textContent).toBe('Asks for a pairing code')
    expect(open!.querySelector('.tag')).toBeNull()
  })

  it('marks as paired the broadcasters in the paired-devices list, by fingerprint, and only those', async () => {
    fakeApi({
      broadcasters: [found({ id: 'p', name: 'Paired one', fingerprint: FP, pairing: true }), found({ id: 'n', name: 'New one', fingerprint: FP.replace('a1', 'ff'), pairing: true })],
      error: null
    })
    const device = { name: 'Desk', blocked: false, pairedAt: 1, lastSeenAt: 1, addresses: [] }
    useStore.getState().setDeviceList({
      self: 'c'.repeat(64),
      // The same key as a viewer of this device does not count: only broadcasters this device paired with.
      devices: [
        { ...device, role: 'broadcaster' as const, fingerprint: FP },
        { ...device, role: 'viewer' as const, fingerprint: FP.replace('a1', 'ff') }
      ]
    })
    render(<Discovered hidden={false} onChoose={vi.fn()} />)
    await waitFor(() => expect(rows()).toHaveLength(2))
    const [paired, unknown] = rows()
    expect(paired!.querySelector('[data-testid="discovered-paired"]')).not.toBeNull()
    expect(unknown!.querySelector('[data-testid="discovered-paired"]')).toBeNull()
  })

  it('shows a broadcaster of another version but does not let it be chosen', async () => {
    fakeApi({ broadcasters: [found({ protocolVersion: 3, supported: false })], error: null })
    const onChoose = vi.fn()
    render(<Discovered hidden={false} onChoose={onChoose} />)
    await waitFor(() => expect(rows()).toHaveLength(1))
    expect(rows()[0]!.disabled).toBe(true)
    expect(rows()[0]!.textContent).toContain('needs another version of Framecast')
    fireEvent.click(rows()[0]!)
    expect(onChoose).not.toHaveBeenCalled()
  })

  it('says it is looking, then that it heard nothing, then why it cannot look', async () => {
    vi.useFakeTimers()
    const f = fakeApi()
    render(<Discovered hidden={false} onChoose={vi.fn()} />)
    await act(async () => undefined)
    expect(screen.getByTestId('discovered-empty').textContent).toBe('Looking for broadcasters…')
    act(() => void vi.advanceTimersByTime(LOOKING_MS))
    expect(screen.getByTestId('discovered-empty').textContent).toMatch(/^No broadcasters heard on this network yet/)
    f.emit({ broadcasters: [], error: { code: 'ADDRESS_IN_USE', message: 'Port 5353 is already in use by another program' } })
    expect(screen.getByTestId('discovered-error').textContent).toBe(
      'Cannot look for broadcasters here (Port 5353 is already in use by another program). Type the partner’s address above.'
    )
  })

  it('hides the list while a stream runs but keeps listening', async () => {
    const f = fakeApi({ broadcasters: [found()], error: null })
    form(true)
    await waitFor(() => expect(useStore.getState().discovery.broadcasters).toHaveLength(1))
    expect(screen.queryByTestId('discovered')).toBeNull()
    expect(f.api.stopDiscovery).not.toHaveBeenCalled()
  })
})
