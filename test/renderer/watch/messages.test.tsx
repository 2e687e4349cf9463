// @vitest-environment jsdom
import { cleanup, render, screen } from '@testing-library/react'
import { afterEach, describe, expect, it } from 'vitest'
import type { WatchState, WatchStatus } from '../../../src/shared/ipc'
import { type ErrorCode, ErrorCodes } from '../../../src/shared/protocol'
import { bannerFor, errorSentence, errorSentences, messageContext } from '../../../src/renderer/src/features/watch/messages'
import { StateBanner } from '../../../src/renderer/src/features/watch/StateBanner'

const allCodes = Object.keys(ErrorCodes) as ErrorCode[]
const allStates: WatchState[] = ['idle', 'connecting', 'pairing', 'live', 'stalled', 'lost', 'reconnecting', 'error']

function status(patch: Partial<WatchStatus>): WatchStatus {
  return { state: 'idle', host: '192.168.1.20', port: 9999, attempt: 1, format: null, info: null, security: null, error: null, ...patch }
}

afterEach(cleanup)

describe('error sentences', () => {
  it('has a sentence for every error code', () => {
    expect(Object.keys(errorSentences).sort()).toEqual([...allCodes].sort())
    const ctx = messageContext('192.168.1.20', 9999)
    for (const code of allCodes) {
      const text = errorSentence({ code }, ctx)
      expect(text.length, code).toBeGreaterThan(20)
      expect(text, code).not.toMatch(/undefined|null|\[object/)
    }
  })

  it('gives every code its own sentence', () => {
    const ctx = messageContext('10.0.0.2', 9999)
    const texts = allCodes.map((code) => errorSentence({ code }, ctx))
    expect(new Set(texts).size).toBe(allCodes.length)
  })

  it('tells the viewer that nothing listens and what to check', () => {
    expect(errorSentence({ code: 'CONNECTION_REFUSED' }, messageContext('192.168.1.20', 9999))).toBe(
      'Nothing is listening on 192.168.1.20:9999 — is Broadcast started there?'
    )
  })

  it('writes IPv6 partners with brackets', () => {
    expect(errorSentence({ code: 'CONNECTION_REFUSED' }, messageContext('fe80::1', 9999))).toContain('[fe80::1]:9999')
  })

  it('names the partner for the network and handshake codes', () => {
    const ctx = messageContext('cam.lan', 7000)
    for (const code of ['BAD_MAGIC', 'VERSION_MISMATCH', 'SERVER_FULL', 'PEER_LOST', 'CONNECTION_RESET', 'HANDSHAKE_TIMEOUT', 'CONNECT_TIMEOUT', 'UNSUPPORTED_CODEC', 'UNSUPPORTED_PICKLE'] as const) {
      expect(errorSentence({ code }, ctx), code).toContain('cam.lan:7000')
    }
    expect(errorSentence({ code: 'HOST_NOT_FOUND' }, ctx)).toContain('“cam.lan”')
    expect(errorSentence({ code: 'BAD_MAGIC' }, ctx)).toContain('not a Framecast broadcaster')
    expect(errorSentence({ code: 'VERSION_MISMATCH' }, ctx)).toContain('update both apps')
  })

  it('passes on the technical detail where the code alone says too little', () => {
    expect(errorSentence({ code: 'INVALID_ARGUMENT', message: 'port: The port must be between 1 and 65535' }, messageContext('a', 1))).toContain(
      'port: The port must be between 1 and 65535'
    )
    expect(errorSentence({ code: 'INTERNAL', message: 'boom' }, messageContext('a', 1))).toContain('(boom)')
  })

  it('says which port is taken when broadcasting fails', () => {
    expect(errorSentence({ code: 'ADDRESS_IN_USE' }, messageContext(null, 9999))).toBe(
      'Port 9999 is already in use on this computer — choose another port, or close the program using it.'
    )
  })
})

describe('state banner', () => {
  it('has a title for every watch state', () => {
    for (const state of allStates) {
      const b = bannerFor(status({ state, error: state === 'error' ? { code: 'CONNECTION_REFUSED', message: '' } : null }))
      expect(b.state).toBe(state)
      expect(b.title.length, state).toBeGreaterThan(5)
    }
  })

  it('shows the attempt number while connecting and reconnecting', () => {
    expect(bannerFor(status({ state: 'connecting', attempt: 1 })).title).toBe('Connecting to 192.168.1.20:9999…')
    expect(bannerFor(status({ state: 'connecting', attempt: 3 })).title).toBe('Connecting to 192.168.1.20:9999… (attempt 3)')
    const r = bannerFor(status({ state: 'reconnecting', attempt: 4, error: { code: 'CONNECTION_REFUSED', message: 'x' } }))
    expect(r.title).toBe('Reconnecting to 192.168.1.20:9999… (attempt 4)')
    expect(r.detail).toBe('Nothing is listening on 192.168.1.20:9999 — is Broadcast started there?')
  })

  it('describes the live stream', () => {
    const b = bannerFor(status({ state: 'live', info: { codec: 'jpeg', width: 1280, height: 720, fps: 30, name: 'Desk cam' } }))
    expect(b.title).toBe('Live from 192.168.1.20:9999')
    expect(b.detail).toBe('1280 × 720 · 30 fps · Desk cam')
    expect(bannerFor(status({ state: 'live', format: 'classic' })).detail).toBe('Classic (OpenCV script)')
  })

  it('says lost means reconnecting', () => {
    expect(bannerFor(status({ state: 'lost' })).title).toBe('Connection to 192.168.1.20:9999 lost — reconnecting…')
  })

  it('renders every state with its data-state hook', () => {
    for (const state of allStates) {
      const { unmount } = render(<StateBanner status={status({ state, error: state === 'error' ? { code: 'SERVER_FULL', message: '' } : null })} />)
      const el = screen.getByTestId('watch-banner')
      expect(el.dataset.state).toBe(state)
      expect(screen.getByTestId('watch-banner-title').textContent).toBe(bannerFor(status({ state, error: state === 'error' ? { code: 'SERVER_FULL', message: '' } : null })).title)
      unmount()
    }
  })

  it('renders the sentence for every error code', () => {
    for (const code of allCodes) {
      const s = status({ state: 'error', host: '10.9.8.7', port: 4321, error: { code, message: 'detail' } })
      const { unmount } = render(<StateBanner status={s} />)
      const el = screen.getByTestId('watch-banner')
      expect(el.dataset.state).toBe('error')
      expect(el.dataset.code).toBe(code)
      expect(screen.getByTestId('watch-banner-title').textContent).toBe(errorSentence({ code, message: 'detail' }, messageContext('10.9.8.7', 4321)))
      unmount()
    }
  })
})
