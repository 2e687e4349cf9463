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
})
