// @vitest-environment jsdom
import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/react'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { CLASSIC_IS_JPEG, CodecChoice } from '../../../src/renderer/src/features/broadcast/CodecChoice'
import { NO_H264_ENCODER, NO_WEBCODECS } from '../../../src/renderer/src/features/broadcast/h264Support'
import { useStore } from '../../../src/renderer/src/store'

const initial = useStore.getState()
const asked: VideoEncoderConfig[] = []

/** An engine whose VideoEncoder says `supported` to every configuration. */
function encoder(supported: boolean): void {
  vi.stubGlobal(
    'VideoEncoder',
    class {
      static async isConfigSupported(config: VideoEncoderConfig) {
        asked.push(config)
        return { supported, config }
      }
    }
  )
}

beforeEach(() => {
  localStorage.clear()
  asked.length = 0
  useStore.setState(initial, true)
})
afterEach(() => {
  cleanup()
  vi.unstubAllGlobals()
})

const box = (): HTMLInputElement => screen.getByTestId('broadcast-h264')

describe('Smaller stream (H.264)', () => {
  it('is offered where the engine encodes H.264 at the chosen size, and remembered when ticked', async () => {
    encoder(true)
    useStore.getState().updateSettings({ preset: '1080p', fps: 60 })
    render(<CodecChoice />)
    await waitFor(() => expect(box().dataset.support).toBe('yes'))
    expect(asked.at(-1)).toMatchObject({ codec: 'avc1.42E02A', width: 1920, height: 1080, framerate: 60 })
    expect(box().disabled).toBe(false)
    fireEvent.click(box())
    expect(useStore.getState().settings.codec).toBe('h264')
    expect(box().checked).toBe(true)
    expect(screen.queryByTestId('broadcast-codec-note')).toBeNull()
  })

  it('is off with a plain note where the engine has no H.264 encoder, or no WebCodecs at all', async () => {
    encoder(false)
    useStore.getState().updateSettings({ codec: 'h264' })
    render(<CodecChoice />)
    await waitFor(() => expect(box().dataset.support).toBe('no'))
    expect(box().disabled).toBe(true)
    expect(box().checked).toBe(false)
    expect(screen.getByTestId('broadcast-codec-note').textContent).toBe(NO_H264_ENCODER)
    cleanup()
    vi.unstubAllGlobals()
    render(<CodecChoice />)
    await waitFor(() => expect(screen.getByTestId('broadcast-codec-note').textContent).toBe(NO_WEBCODECS))
  })

  it('is off while a classic mode is on, saying the classic scripts read JPEG', async () => {
    encoder(true)
    useStore.getState().updateSettings({ codec: 'h264', classic: 'pickle' })
    render(<CodecChoice />)
    await waitFor(() => expect(box().dataset.support).toBe('yes'))
    expect(box().disabled).toBe(true)
    expect(screen.getByTestId('broadcast-codec-note').textContent).toBe(CLASSIC_IS_JPEG)
  })

  it('shows why the stream fell back to JPEG while H.264 is chosen', async () => {
    encoder(true)
    useStore.getState().updateSettings({ codec: 'h264' })
    useStore.getState().setCodecNote('H.264 stopped working on this computer (boom); the stream is JPEG now.')
    render(<CodecChoice />)
    await waitFor(() => expect(box().dataset.support).toBe('yes'))
    expect(screen.getByTestId('broadcast-codec-note').textContent).toContain('stopped working')
  })
})
