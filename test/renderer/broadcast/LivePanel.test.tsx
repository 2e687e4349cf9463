// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { BroadcastStatus } from '../../../src/shared/ipc'
import { LivePanel } from '../../../src/renderer/src/features/broadcast/LivePanel'

const status: BroadcastStatus = {
  state: 'live',
  port: 9999,
  host: '::',
  addresses: ['192.168.1.20:9999'],
  viewers: [{ id: 1, address: '192.168.1.30:50000', name: '', since: 0, fps: 29.9, kbps: 12_000, frames: 300, replaced: 7, deliveryKbps: 18_400, rttMs: 2.4, limited: true }],
  totals: { frames: 310, bytes: 1_000_000, replaced: 11, skippedWhileConverting: 4, conversionFailures: 2, viewersEver: 2, refused: 0 },
  fps: 30,
  kbps: 12_000,
  classic: 'off',
  mjpegPort: null,
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
    expect(table.querySelector('th:last-child')?.textContent).toBe('Replaced (slow)')
    expect(screen.getByTestId('broadcast-viewer').querySelector('td:last-child')?.textContent).toBe('7')
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
