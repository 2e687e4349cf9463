// @vitest-environment jsdom
import { beforeEach, describe, expect, it } from 'vitest'
import type { BroadcastStatus, WatchStatus } from '../../../src/shared/ipc'
import { idleStatus } from '../../../src/shared/status'
import { SETTINGS_STORAGE_KEY, useStore } from '../../../src/renderer/src/store'
import { addRecentPartner, defaultSettings, RECENT_LIMIT, sanitizeSettings } from '../../../src/renderer/src/store/settings'

const initial = useStore.getState()

function stored(): { state: Record<string, unknown>; version: number } {
  return JSON.parse(localStorage.getItem(SETTINGS_STORAGE_KEY) ?? 'null')
}

const liveStatus: BroadcastStatus = { ...idleStatus(), state: 'live', port: 9999, host: '::', addresses: ['192.168.1.20:9999'] }

beforeEach(() => {
  localStorage.clear()
  useStore.setState(initial, true)
})

describe('recent partners', () => {
  it('puts the newest first and removes duplicates', () => {
    let list: string[] = []
    list = addRecentPartner(list, '10.0.0.1:9999')
    list = addRecentPartner(list, '10.0.0.2:9999')
    list = addRecentPartner(list, '10.0.0.1:9999')
    expect(list).toEqual(['10.0.0.1:9999', '10.0.0.2:9999'])
  })

  it('treats host names that differ only in case as the same partner', () => {
    expect(addRecentPartner(['Cam.LAN:9999'], 'cam.lan:9999')).toEqual(['cam.lan:9999'])
  })

  it('keeps at most the limit, dropping the oldest', () => {
    let list: string[] = []
    for (let i = 1; i <= RECENT_LIMIT + 3; i++) list = addRecentPartner(list, `10.0.0.${i}:9999`)
    expect(list).toHaveLength(RECENT_LIMIT)
    expect(list[0]).toBe(`10.0.0.${RECENT_LIMIT + 3}:9999`)
    expect(list).not.toContain('10.0.0.1:9999')
  })
})

describe('settings slice', () => {
  it('persists settings, and only settings, to localStorage', () => {
    useStore.getState().updateSettings({ port: 8123, fps: 60, preset: '1080p' })
    useStore.getState().rememberPartner('192.168.1.20:9999')
    useStore.getState().setWatchStatus({ ...initial.watch.status, state: 'live', host: 'x', port: 1 })
    const saved = stored()
    expect(Object.keys(saved.state)).toEqual(['settings'])
    expect(saved.state.settings).toMatchObject({ port: 8123, fps: 60, preset: '1080p', recent: ['192.168.1.20:9999'] })
  })

  it('reads remembered settings back and repairs values that are not valid', async () => {
    localStorage.setItem(
      SETTINGS_STORAGE_KEY,
      JSON.stringify({ state: { settings: { port: 70000, fps: 45, quality: 0.6, watchMode: 'classic', recent: ['a:1'], bindHost: 'not-an-ip' } }, version: 1 })
    )
    await useStore.persist.rehydrate()
    const s = useStore.getState().settings
    expect(s.port).toBe(defaultSettings.port)
    expect(s.fps).toBe(defaultSettings.fps)
    expect(s.quality).toBe(0.6)
    expect(s.watchMode).toBe('classic')
    expect(s.recent).toEqual(['a:1'])
    expect(s.bindHost).toBe('::')
  })

  it('starts from defaults: port 9999, all interfaces, automatic mode', () => {
    expect(sanitizeSettings(undefined)).toEqual(defaultSettings)
    expect(defaultSettings).toMatchObject({ port: 9999, bindHost: '::', watchMode: 'auto', fps: 30, preset: '720p', recent: [] })
  })

  it('forgets a partner on request', () => {
    const s = useStore.getState()
    s.rememberPartner('a:1')
    s.rememberPartner('b:2')
    useStore.getState().forgetPartner('a:1')
    expect(useStore.getState().settings.recent).toEqual(['b:2'])
  })
})

describe('watch slice', () => {
  it('follows status updates and keeps stats until the window goes idle', () => {
    const s = useStore.getState()
    const live: WatchStatus = { ...initial.watch.status, state: 'live', host: '10.0.0.9', port: 9999 }
    s.setWatchStatus(live)
    s.setWatchStats({ fps: 30, kbps: 9000, frames: 90, gaps: 1, skippedWhileEncoding: 0, latencyP50Ms: 12, latencyP95Ms: 20, rttMs: 1 })
    expect(useStore.getState().watch.status.state).toBe('live')
    expect(useStore.getState().watch.stats?.fps).toBe(30)
    s.setWatchStatus({ ...live, state: 'stalled' })
    expect(useStore.getState().watch.stats?.fps).toBe(30)
    s.setWatchStatus({ ...live, state: 'idle' })
    expect(useStore.getState().watch.stats).toBeNull()
  })
})

describe('broadcast slice', () => {
  it('goes live with a live status and back to idle when main reports idle', () => {
    const s = useStore.getState()
    s.setBroadcastPhase('starting')
    s.setBroadcastStatus(liveStatus)
    expect(useStore.getState().broadcast.phase).toBe('live')
    expect(useStore.getState().broadcast.status?.addresses).toEqual(['192.168.1.20:9999'])
    s.setBroadcastStatus({ ...liveStatus, state: 'idle' })
    expect(useStore.getState().broadcast.phase).toBe('idle')
  })

  it('keeps the error main reports and clears old errors when starting again', () => {
    const s = useStore.getState()
    s.setBroadcastStatus({ ...liveStatus, state: 'error', error: { code: 'ADDRESS_IN_USE', message: 'in use' } })
    expect(useStore.getState().broadcast.error?.code).toBe('ADDRESS_IN_USE')
    s.setBroadcastPhase('starting')
    expect(useStore.getState().broadcast.error).toBeNull()
  })

  it('does not flip back to live while stopping', () => {
    const s = useStore.getState()
    s.setBroadcastStatus(liveStatus)
    s.setBroadcastPhase('stopping')
    s.setBroadcastStatus(liveStatus)
    expect(useStore.getState().broadcast.phase).toBe('stopping')
  })
})
