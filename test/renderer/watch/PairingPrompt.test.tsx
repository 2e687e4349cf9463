// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { PairingPrompt } from '../../../src/renderer/src/features/watch/PairingPrompt'
import { AccessChoice, OPEN_WARNING } from '../../../src/renderer/src/features/broadcast/AccessChoice'
import { useStore } from '../../../src/renderer/src/store'

afterEach(() => {
  cleanup()
  delete (window as { api?: unknown }).api
})

describe('the pairing code prompt', () => {
  it('sends the six digits typed, spaces left out', async () => {
    const enterPairingCode = vi.fn(async (_p: { code: string }) => ({ ok: true as const, value: null }))
    window.api = { enterPairingCode } as never
    render(<PairingPrompt address="192.168.1.20:9999" />)
    fireEvent.change(screen.getByTestId('pairing-code-input'), { target: { value: '042 917' } })
    fireEvent.click(screen.getByTestId('pairing-submit'))
    await waitFor(() => expect(enterPairingCode).toHaveBeenCalledWith({ code: '042917' }))
  })

  it('says what is wrong with a short code and sends nothing', async () => {
    const enterPairingCode = vi.fn()
    window.api = { enterPairingCode } as never
    render(<PairingPrompt address="192.168.1.20:9999" />)
    fireEvent.change(screen.getByTestId('pairing-code-input'), { target: { value: '0429' } })
    fireEvent.click(screen.getByTestId('pairing-submit'))
    expect((await screen.findByTestId('pairing-code-error')).textContent).toMatch(/6 digits/)
    expect(enterPairingCode).not.toHaveBeenCalled()
  })
})

describe('who can watch', () => {
  it('starts private, and warns next to the open choice', () => {
    useStore.getState().setBroadcastAccess('private')
    render(<AccessChoice classic="off" />)
    expect(screen.getByTestId('broadcast-access').getAttribute('data-access')).toBe('private')
    expect(screen.queryByTestId('open-warning')).toBeNull()
    fireEvent.click(screen.getByTestId('broadcast-access-open'))
    expect(useStore.getState().broadcast.access).toBe('open')
    expect(screen.getByTestId('open-warning').textContent).toBe(OPEN_WARNING)
    useStore.getState().setBroadcastAccess('private')
  })

  it('says classic mode is open by nature', () => {
    render(<AccessChoice classic="pickle" />)
    expect(screen.getByTestId('broadcast-access').getAttribute('data-access')).toBe('open')
    expect(screen.getByTestId('classic-open-note').textContent).toMatch(/open by nature/)
    expect((screen.getByTestId('broadcast-access-private') as HTMLInputElement).disabled).toBe(true)
  })
})
