// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { NetInterface } from '../../../src/shared/ipc'
import { BroadcastSettings } from '../../../src/renderer/src/features/broadcast/BroadcastSettings'
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
