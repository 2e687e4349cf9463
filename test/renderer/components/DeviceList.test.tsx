// @vitest-environment jsdom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { DeviceList, FORGET_EFFECT } from '../../../src/renderer/src/components/DeviceList'
import { useStore } from '../../../src/renderer/src/store'
import type { DeviceList as Devices, PairedDevice } from '../../../src/shared/status'

const HOUR = 3_600_000
const self = 'a'.repeat(64)

function device(over: Partial<PairedDevice> & Pick<PairedDevice, 'fingerprint' | 'role' | 'name'>): PairedDevice {
  return { pairedAt: Date.now() - 48 * HOUR, lastSeenAt: Date.now() - 2 * HOUR, blocked: false, addresses: [], ...over }
}

/**
 * A stand-in for main behind window.api: it keeps a device list and answers devices:* as the session services do
 * (each change answers with the new list), recording every request; `refuse` makes the next change fail.
 */
function fakeMain(devices: PairedDevice[]) {
  const state = { list: { self, devices: structuredClone(devices) } as Devices, calls: [] as Array<[string, unknown]>, refuse: null as string | null }
  let changed: ((l: Devices) => void) | null = null
  const answer = (name: string, edit: (p: never) => void) => async (p: unknown) => {
    state.calls.push([name, p])
    if (state.refuse !== null) return { ok: false as const, error: { code: 'INVALID_ARGUMENT', message: state.refuse } }
    edit(p as never)
    return { ok: true as const, value: structuredClone(state.list) }
  }
  const find = (p: { role?: string; fingerprint: string }) =>
    state.list.devices.find((d) => d.fingerprint === p.fingerprint && (p.role === undefined || d.role === p.role))!
  window.api = {
    listDevices: answer('listDevices', () => undefined),
    renameDevice: answer('renameDevice', (p: { role: string; fingerprint: string; name: string }) => (find(p).name = p.name)),
    forgetDevice: answer('forgetDevice', (p: { role: string; fingerprint: string }) => {
      state.list.devices = state.list.devices.filter((d) => d !== find(p))
    }),
    setDeviceBlocked: answer('setDeviceBlocked', (p: { fingerprint: string; blocked: boolean }) => (find({ ...p, role: 'viewer' }).blocked = p.blocked)),
    onDevicesChanged: (l: (d: Devices) => void) => {
      changed = l
      return () => (changed = null)
    }
  } as never
  return { state, push: (l: Devices) => act(() => changed?.(l)) }
}

const mia = device({ fingerprint: 'b'.repeat(64), role: 'viewer', name: 'Mia’s laptop', lastSeenAt: Date.now() - 5 * 60_000 })
const kitchen = device({ fingerprint: 'c'.repeat(64), role: 'viewer', name: 'Kitchen tablet' })
const studio = device({ fingerprint: 'd'.repeat(64), role: 'broadcaster', name: 'Studio camera', addresses: ['192.168.1.20:9999'] })

function rows(): HTMLElement[] {
  return screen.queryAllByTestId('paired-device')
}

beforeEach(() => useStore.setState({ devices: { list: null, error: null } }))
afterEach(() => {
  cleanup()
  delete (window as { api?: unknown }).api
})

describe('the paired-devices list', () => {
  it('lists the devices of its role only, most recently seen first, with name, short fingerprint and when', async () => {
    fakeMain([kitchen, studio, mia])
    render(<DeviceList role="viewer" title="Paired devices" empty="No device has paired yet." />)
    await waitFor(() => expect(rows()).toHaveLength(2))
    expect(rows().map((r) => within(r).getByTestId('device-name').textContent)).toEqual(['Mia’s laptop', 'Kitchen tablet'])
    expect(within(rows()[0]!).getByText('bbbb bbbb bbbb bbbb')).toBeTruthy()
    expect(within(rows()[0]!).getByTestId('device-when').textContent).toBe('Paired 2 days ago · last seen 5 min ago')
    expect(screen.getByRole('heading', { name: /Paired devices/ }).textContent).toContain('2')
    expect(screen.getByTestId('own-fingerprint').textContent).toBe('aaaa aaaa aaaa aaaa')
  })

  it('says so when nothing has paired', async () => {
    const { state } = fakeMain([studio])
    render(<DeviceList role="viewer" title="Paired devices" empty="No device has paired yet." />)
    await waitFor(() => expect(state.calls).toEqual([['listDevices', {}]]))
    expect(await screen.findByText('No device has paired yet.')).toBeTruthy()
    expect(rows()).toHaveLength(0)
  })

  it('renames a device with Enter and shows the name main answers with', async () => {
    const { state } = fakeMain([mia, studio])
    render(<DeviceList role="broadcaster" title="Broadcasters" empty="None" />)
    fireEvent.click(await screen.findByRole('button', { name: 'Rename Studio camera' }))
    const input = screen.getByRole('textbox', { name: 'New name for Studio camera' })
    fireEvent.change(input, { target: { value: '  Garage camera ' } })
    fireEvent.keyDown(input, { key: 'Enter' })
    await waitFor(() => expect(screen.getByTestId('device-name').textContent).toBe('Garage camera'))
    expect(state.calls.at(-1)).toEqual(['renameDevice', { role: 'broadcaster', fingerprint: studio.fingerprint, name: 'Garage camera' }])
  })

  it('sends nothing when a rename is cancelled with Escape or left empty', async () => {
    const { state } = fakeMain([studio])
    render(<DeviceList role="broadcaster" title="Broadcasters" empty="None" />)
    fireEvent.click(await screen.findByTestId('rename-device'))
    fireEvent.change(screen.getByTestId('device-name-input'), { target: { value: 'Something else' } })
    fireEvent.keyDown(screen.getByTestId('device-name-input'), { key: 'Escape' })
    expect(screen.getByTestId('device-name').textContent).toBe('Studio camera')
    fireEvent.click(screen.getByTestId('rename-device'))
    fireEvent.change(screen.getByTestId('device-name-input'), { target: { value: '   ' } })
    fireEvent.blur(screen.getByTestId('device-name-input'))
    expect(screen.getByTestId('device-name').textContent).toBe('Studio camera')
    expect(state.calls.map(([n]) => n)).toEqual(['listDevices'])
  })

  it('asks before forgetting, says what forgetting means, and drops the row once main agrees', async () => {
    const { state } = fakeMain([mia, kitchen])
    render(<DeviceList role="viewer" title="Paired devices" empty="No device has paired yet." />)
    fireEvent.click(await screen.findByRole('button', { name: 'Forget Mia’s laptop' }))
    const ask = screen.getByRole('group', { name: 'Forget Mia’s laptop?' })
    expect(ask.textContent).toContain(FORGET_EFFECT.viewer)
    fireEvent.click(within(ask).getByRole('button', { name: 'Cancel' }))
    expect(state.calls.map(([n]) => n)).toEqual(['listDevices'])
    fireEvent.click(screen.getByRole('button', { name: 'Forget Mia’s laptop' }))
    fireEvent.click(screen.getByTestId('forget-device-confirm'))
    await waitFor(() => expect(rows().map((r) => r.getAttribute('data-fingerprint'))).toEqual([kitchen.fingerprint]))
    expect(state.calls.at(-1)).toEqual(['forgetDevice', { role: 'viewer', fingerprint: mia.fingerprint }])
  })

  it('blocks and unblocks a viewer; a broadcaster has no Block', async () => {
    const { state } = fakeMain([mia, studio])
    render(<DeviceList role="viewer" title="Paired devices" empty="None" />)
    fireEvent.click(await screen.findByRole('button', { name: 'Block Mia’s laptop' }))
    await waitFor(() => expect(rows()[0]!.getAttribute('data-blocked')).toBe('true'))
    expect(within(rows()[0]!).getByText('blocked')).toBeTruthy()
    fireEvent.click(screen.getByRole('button', { name: 'Unblock Mia’s laptop' }))
    await waitFor(() => expect(rows()[0]!.getAttribute('data-blocked')).toBe('false'))
    expect(state.calls.slice(1)).toEqual([
      ['setDeviceBlocked', { fingerprint: mia.fingerprint, blocked: true }],
      ['setDeviceBlocked', { fingerprint: mia.fingerprint, blocked: false }]
    ])
    cleanup()
    render(<DeviceList role="broadcaster" title="Broadcasters" empty="None" />)
    await waitFor(() => expect(rows()).toHaveLength(1))
    expect(screen.queryByTestId('block-device')).toBeNull()
    expect(screen.getByRole('button', { name: 'Rename Studio camera' })).toBeTruthy()
    expect(screen.getByRole('button', { name: 'Forget Studio camera' })).toBeTruthy()
  })

  it('shows a blocked viewer that never paired as such', async () => {
    fakeMain([device({ fingerprint: 'e'.repeat(64), role: 'viewer', name: '', pairedAt: 0, blocked: true, lastSeenAt: Date.now() - 30_000 })])
    render(<DeviceList role="viewer" title="Paired devices" empty="None" />)
    await waitFor(() => expect(rows()).toHaveLength(1))
    expect(screen.getByTestId('device-name').textContent).toBe('Unnamed device')
    expect(screen.getByTestId('device-when').textContent).toBe('Never paired · last tried just now')
  })

  it('follows changes main announces (another window, the CLI)', async () => {
    const { push } = fakeMain([mia])
    render(<DeviceList role="viewer" title="Paired devices" empty="None" />)
    await waitFor(() => expect(rows()).toHaveLength(1))
    push({ self, devices: [mia, { ...kitchen, lastSeenAt: Date.now() }] })
    expect(rows().map((r) => within(r).getByTestId('device-name').textContent)).toEqual(['Kitchen tablet', 'Mia’s laptop'])
  })

  it('says why main refused a change, and keeps the list as it was', async () => {
    const { state } = fakeMain([mia])
    render(<DeviceList role="viewer" title="Paired devices" empty="None" />)
    fireEvent.click(await screen.findByTestId('forget-device'))
    state.refuse = 'No such device'
    fireEvent.click(screen.getByTestId('forget-device-confirm'))
    expect((await screen.findByRole('alert')).textContent).toBe('No such device')
    expect(rows()).toHaveLength(1)
  })
})
