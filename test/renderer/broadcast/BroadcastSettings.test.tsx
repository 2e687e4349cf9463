// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NetInterface } from '../../../src/shared/ipc'
import { BroadcastSettings, PICKLE_WARNING } from '../../../src/renderer/src/features/broadcast/BroadcastSettings'
import { useStore } from '../../../src/renderer/src/store'

const initial = useStore.getState()

function withInterfaces(list: NetInterface[]): void {
  ;(window as unknown as { api: unknown }).api = { listInterfaces: async () => ({ ok: true, value: list }) }
}

const LO4: NetInterface = { name: 'lo', address: '127.0.0.1', family: 'IPv4', internal: true }
const LO6: NetInterface = { name: 'lo', address: '::1', family: 'IPv6', internal: true }
const ETH: NetInterface = { name: 'eth0', address: '192.168.1.5', family: 'IPv4', internal: false }

function optionLabels(): string[] {
  return [...(screen.getByTestId('broadcast-interface') as HTMLSelectElement).options].map((o) => o.textContent ?? '')
}

beforeEach(() => {
  localStorage.clear()
  useStore.setState(initial, true)
})
afterEach(() => {
  cleanup()
  delete (window as { api?: unknown }).api
})

describe('broadcast interface choice', () => {
  it('offers listening on this computer only, next to every interface', async () => {
    withInterfaces([LO4, LO6, ETH])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    await waitFor(() => expect(optionLabels()).toContain('eth0 — 192.168.1.5'))
    expect(optionLabels()).toEqual([
      'All interfaces',
      'All IPv4 interfaces',
      'This computer only (127.0.0.1)',
      'This computer only, IPv6 (::1)',
      'eth0 — 192.168.1.5'
    ])
  })

  it('leaves out the IPv6 loopback where the computer has none', async () => {
    withInterfaces([LO4, ETH])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    await waitFor(() => expect(optionLabels()).toContain('eth0 — 192.168.1.5'))
    expect(optionLabels()).not.toContain('This computer only, IPv6 (::1)')
    expect(optionLabels()).toContain('This computer only (127.0.0.1)')
  })

  it('remembers the loopback choice and reads it back instead of "All interfaces"', async () => {
    withInterfaces([LO4, ETH])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const select = screen.getByTestId('broadcast-interface') as HTMLSelectElement
    fireEvent.change(select, { target: { value: '127.0.0.1' } })
    expect(useStore.getState().settings.bindHost).toBe('127.0.0.1')
    cleanup()
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const again = screen.getByTestId('broadcast-interface') as HTMLSelectElement
    expect(again.value).toBe('127.0.0.1')
    expect(again.selectedOptions[0]?.textContent).toBe('This computer only (127.0.0.1)')
  })
})

describe('broadcast ports', () => {
  it('asks for a port when the field is emptied, in the Watch form’s words, and keeps the stored port', () => {
    withInterfaces([])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const port = screen.getByTestId('broadcast-port') as HTMLInputElement
    const before = useStore.getState().settings.port
    fireEvent.change(port, { target: { value: '' } })
    const error = screen.getByTestId('broadcast-port-error')
    expect(error.textContent).toBe('Enter a port between 1 and 65535')
    expect(port.getAttribute('aria-invalid')).toBe('true')
    expect(port.getAttribute('aria-describedby')).toBe(error.id)
    expect(useStore.getState().settings.port).toBe(before)
    fireEvent.change(port, { target: { value: ' 8123 ' } })
    expect(screen.queryByTestId('broadcast-port-error')).toBeNull()
    expect(port.hasAttribute('aria-invalid')).toBe(false)
    expect(useStore.getState().settings.port).toBe(8123)
  })

  it('says what is wrong with the MJPEG port only while MJPEG is on, and turns it on only with a valid port', () => {
    withInterfaces([])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const mjpeg = screen.getByTestId('broadcast-mjpeg') as HTMLInputElement
    const port = screen.getByTestId('broadcast-mjpeg-port') as HTMLInputElement
    fireEvent.change(port, { target: { value: '70000' } })
    expect(screen.queryByTestId('broadcast-mjpeg-port-error')).toBeNull()
    fireEvent.click(mjpeg)
    expect(useStore.getState().settings.mjpegPort).toBeNull()
    fireEvent.change(port, { target: { value: '8081' } })
    fireEvent.click(mjpeg)
    expect(useStore.getState().settings.mjpegPort).toBe(8081)
    fireEvent.change(port, { target: { value: '70000' } })
    expect(screen.getByTestId('broadcast-mjpeg-port-error').textContent).toBe('The port must be between 1 and 65535')
    expect(port.getAttribute('aria-describedby')).toBe('broadcast-mjpeg-port-error')
    expect(useStore.getState().settings.mjpegPort).toBe(8081)
  })

  it('turns adaptive quality off and on, remembered with the settings (on by default)', () => {
    withInterfaces([])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const adaptive = screen.getByTestId('broadcast-adaptive') as HTMLInputElement
    expect(adaptive.checked).toBe(true)
    fireEvent.click(adaptive)
    expect(useStore.getState().settings.adaptive).toBe(false)
    expect(adaptive.checked).toBe(false)
    fireEvent.click(adaptive)
    expect(useStore.getState().settings.adaptive).toBe(true)
  })
})

describe('classic pickle switch', () => {
  it('says next to the switch that receivers run pickle.loads, while pickled frames are chosen and only then', () => {
    withInterfaces([])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    expect(screen.queryByText(PICKLE_WARNING)).toBeNull()
    const select = screen.getByTestId('broadcast-classic') as HTMLSelectElement
    fireEvent.change(select, { target: { value: 'pickle' } })
    expect(screen.getByText(PICKLE_WARNING)).toBeTruthy()
    expect(PICKLE_WARNING).toMatch(/pickle\.loads/)
    fireEvent.change(select, { target: { value: 'jpeg' } })
    expect(screen.queryByText(PICKLE_WARNING)).toBeNull()
  })
})

describe('listing the broadcast on the network', () => {
  it('is on by default and remembered when turned off', async () => {
    withInterfaces([LO4, ETH])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const box = screen.getByTestId('broadcast-advertise') as HTMLInputElement
    expect(box.checked).toBe(true)
    fireEvent.click(box)
    expect(useStore.getState().settings.advertise).toBe(false)
    cleanup()
    render(<BroadcastSettings cameras={[]} locked={false} />)
    expect((screen.getByTestId('broadcast-advertise') as HTMLInputElement).checked).toBe(false)
  })
})

describe('classic compatibility settings', () => {
  it('offer the length prefix and largest frame only while the classic format is on, and remember them', () => {
    withInterfaces([])
    render(<BroadcastSettings cameras={[]} locked={false} />)
    const prefix = screen.getByTestId('broadcast-classic-prefix') as HTMLSelectElement
    const limit = screen.getByTestId('broadcast-frame-limit') as HTMLSelectElement
    expect([prefix.disabled, limit.disabled]).toEqual([true, true])
    expect(prefix.value).toBe('u64le')
    // A broadcast writes one prefix: there is no Automatic.
    expect([...prefix.options].map((o) => o.value)).toEqual(['u64le', 'u32le', 'u32be', 'u64be', 'u16le', 'u16be'])
    fireEvent.change(screen.getByTestId('broadcast-classic'), { target: { value: 'pickle' } })
    expect([prefix.disabled, limit.disabled]).toEqual([false, false])
    fireEvent.change(prefix, { target: { value: 'u32be' } })
    fireEvent.change(limit, { target: { value: '256' } })
    expect(useStore.getState().settings).toMatchObject({ classic: 'pickle', classicPrefix: 'u32be', classicFrameLimitMiB: 256 })
  })
})
