// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { BroadcastStatus } from '../../../src/shared/ipc'
import { LivePanel } from '../../../src/renderer/src/features/broadcast/LivePanel'

const status: BroadcastStatus = {
  state: 'live',
  port: 9999,
  host: '::',
  addresses: ['192.168.1.20:9999'],
  globalAddresses: [],
  access: 'open',
  pairing: null,
  fingerprint: null,
  viewers: [{ id: 1, address: '192.168.1.30:50000', name: '', fingerprint: null, since: 0, fps: 29.9, kbps: 12_000, frames: 300, replaced: 7, deliveryKbps: 18_400, rttMs: 2.4, limited: true }],
  totals: { frames: 310, bytes: 1_000_000, replaced: 11, skippedWhileConverting: 4, conversionFailures: 2, viewersEver: 2, refused: 0 },
  fps: 30,
  kbps: 12_000,
  classic: 'off',
  mjpegPort: null,
  advertised: null,
  mjpegPath: null,
  adaptation: { state: 'limited', ceiling: 70, target: { quality: 45, scale: 1, bitrateBps: 15_600_000 } },
  error: null
}

function stat(key: string): string | null | undefined {
  return screen.getByTestId('broadcast-stats').querySelector(`[data-stat="${key}"] dd`)?.textContent
}

afterEach(cleanup)

describe('the live Broadcast panel', () => {
  it('shows the frames replaced for each slow viewer and in total', () => {
    render(<LivePanel status={status} />)
    const table = screen.getByTestId('broadcast-viewers')
    // The last column holds the Kick and Block buttons; the one before it the frames replaced.
    expect(table.querySelector('th:nth-last-child(2)')?.textContent).toBe('Replaced (slow)')
    expect(screen.getByTestId('broadcast-viewer').querySelector('td:nth-last-child(2)')?.textContent).toBe('7')
    expect(stat('replaced')).toBe('11')
  })

  it('shows what the pickle conversion skipped only for a classic pickle broadcast', () => {
    render(<LivePanel status={status} />)
    expect(stat('skipped-converting')).toBeUndefined()
    cleanup()
    render(<LivePanel status={{ ...status, classic: 'pickle' }} />)
    expect(stat('skipped-converting')).toBe('4')
    expect(stat('conversion-failures')).toBe('2')
  })

  it('names the broadcast as Watch windows on this network list it, once it is advertised', () => {
    render(<LivePanel status={status} />)
    expect(screen.queryByTestId('broadcast-advertised')).toBeNull()
    cleanup()
    render(<LivePanel status={{ ...status, advertised: 'Studio cam on studio-pc' }} />)
    expect(screen.getByTestId('broadcast-advertised').textContent).toBe('Or choose Studio cam on studio-pc in a Watch window on this network.')
  })

  it('says in words that the network is the limit and what quality and size the picture was lowered to', () => {
    render(<LivePanel status={status} />)
    const line = screen.getByTestId('broadcast-adaptation')
    expect(line.textContent).toBe('Network-limited: quality lowered to 45 %')
    expect(line.dataset.state).toBe('limited')
    cleanup()
    render(<LivePanel status={{ ...status, adaptation: { state: 'recovering', ceiling: 70, target: { quality: 55, scale: 0.75, bitrateBps: 9e6 } } }} />)
    expect(screen.getByTestId('broadcast-adaptation').textContent).toBe('Network recovering: quality back up to 55 %, picture at 75 % size')
    cleanup()
    render(<LivePanel status={{ ...status, adaptation: { state: 'off', ceiling: 70, target: { quality: 70, scale: 1, bitrateBps: null } } }} />)
    expect(screen.getByTestId('broadcast-adaptation').textContent).toBe('Fixed quality: 70 % (adaptation off)')
  })

  it("shows each viewer's delivery rate and RTT, and 'not measured' for a reader that cannot acknowledge", () => {
    const classicReader = { ...status.viewers[0]!, id: 2, address: '192.168.1.31:50001', deliveryKbps: null, rttMs: null, limited: false }
    render(<LivePanel status={{ ...status, viewers: [status.viewers[0]!, classicReader] }} />)
    const cells = screen.getAllByTestId('viewer-delivery')
    expect(cells.map((c) => c.textContent)).toEqual(['18.4 Mbit/s · RTT 2.4 ms · limited', 'not measured'])
    expect(cells.map((c) => c.dataset.limited)).toEqual(['yes', 'no'])
  })
})

describe('the live Broadcast panel, who may watch', () => {
  const fp = '3f2a9c0b71de0a55'.padEnd(64, '0')
  const privateStatus: BroadcastStatus = {
    ...status,
    access: 'private',
    pairing: { code: '042917', expiresAt: Date.now() + 9 * 60_000 },
    fingerprint: fp,
    viewers: [{ ...status.viewers[0]!, id: 4, name: 'Mia’s laptop', fingerprint: 'b'.repeat(64) }]
  }

  function withApi(): { calls: Array<[string, unknown]> } {
    const calls: Array<[string, unknown]> = []
    const ok = (name: string) => async (p: unknown) => {
      calls.push([name, p])
      return { ok: true as const, value: name === 'listDevices' ? { self: fp, devices: [] } : null }
    }
    window.api = new Proxy({}, { get: (_t, name: string) => (name.startsWith('on') ? () => () => undefined : ok(name)) }) as never
    return { calls }
  }

  afterEach(() => {
    delete (window as { api?: unknown }).api
  })

  it('shows the pairing code in large digits with this computer’s fingerprint, and no open warning', () => {
    withApi()
    render(<LivePanel status={privateStatus} />)
    const code = screen.getByTestId('pairing-code')
    expect(code.getAttribute('data-code')).toBe('042917')
    expect(code.textContent).toBe('042917')
    expect(screen.getByTestId('broadcast-fingerprint').textContent).toBe('3f2a 9c0b 71de 0a55')
    expect(screen.queryByTestId('open-broadcast-warning')).toBeNull()
    expect(screen.getByTestId('viewer-name').textContent).toContain('Mia’s laptop')
  })

  it('kicks and blocks a viewer by its id', async () => {
    const { calls } = withApi()
    render(<LivePanel status={privateStatus} />)
    fireEvent.click(screen.getByTestId('kick-viewer'))
    fireEvent.click(screen.getByTestId('block-viewer'))
    await waitFor(() => expect(calls.filter(([n]) => n !== 'listDevices')).toEqual([['kickViewer', { viewerId: 4 }], ['blockViewer', { viewerId: 4 }]]))
  })

  it('says plainly that an open broadcast is unencrypted, and offers no Block for viewers it cannot identify', () => {
    render(<LivePanel status={status} />)
    expect(screen.getByTestId('open-broadcast-warning').textContent).toMatch(/anyone on this network can watch, unencrypted/)
    expect(screen.queryByTestId('pairing-card')).toBeNull()
    expect(screen.queryByTestId('block-viewer')).toBeNull()
    expect(screen.getByTestId('kick-viewer')).toBeTruthy()
  })

  it('lists global IPv6 addresses only when asked', () => {
    render(<LivePanel status={{ ...status, globalAddresses: ['[2001:db8::5]:9999'] }} />)
    const listed = (): string[] => screen.getAllByTestId('broadcast-address').map((a) => a.getAttribute('data-address') ?? '')
    expect(listed()).toEqual(['192.168.1.20:9999'])
    fireEvent.click(screen.getByTestId('show-global-addresses'))
    expect(listed()).toEqual(['192.168.1.20:9999', '[2001:db8::5]:9999'])
  })
})
