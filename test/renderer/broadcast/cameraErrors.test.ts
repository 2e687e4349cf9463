import { describe, expect, it } from 'vitest'
import { cameraProblemFromError } from '../../../src/renderer/src/features/broadcast/cameraErrors'

const domError = (name: string, message = '') => Object.assign(new Error(message), { name })

describe('camera problems', () => {
  it('explains a denied permission and how to allow it', () => {
    const p = cameraProblemFromError(domError('NotAllowedError'))
    expect(p.kind).toBe('denied')
    expect(p.title).toBe('Camera permission was denied')
    expect(p.detail).toMatch(/privacy settings/)
  })

  it('calls a missing or unsuitable camera "no camera"', () => {
    expect(cameraProblemFromError(domError('NotFoundError')).kind).toBe('missing')
    expect(cameraProblemFromError(domError('OverconstrainedError')).kind).toBe('missing')
  })

  it('says the camera is busy in another app when it cannot be read', () => {
    const p = cameraProblemFromError(domError('NotReadableError', 'Could not start video source'))
    expect(p.kind).toBe('busy')
    expect(p.title).toBe('The camera is busy in another app')
    expect(p.retry).toBe(true)
  })

  it('keeps the technical message for errors it does not know', () => {
    const p = cameraProblemFromError(domError('WeirdError', 'driver said no'))
    expect(p.kind).toBe('other')
    expect(p.detail).toContain('driver said no')
  })
})
