import * as v from 'valibot'
import type { StateCreator } from 'zustand'
import { BindHostSchema, PortSchema } from '../../../shared/address'
import { ClassicModeSchema, WatchModeSchema } from '../../../shared/status'
import { ClassicPrefixChoiceSchema, ClassicPrefixSchema, DEFAULT_CLASSIC_PREFIX, MIB } from '../../../shared/classic'
import { DEFAULT_PORT } from '../../../shared/protocol'
import type { State } from './index'

export const RESOLUTION_PRESETS = [
  { id: '480p', width: 640, height: 480, label: '640 × 480' },
  { id: '720p', width: 1280, height: 720, label: '1280 × 720 (HD)' },
  { id: '1080p', width: 1920, height: 1080, label: '1920 × 1080 (Full HD)' }
] as const
export type PresetId = (typeof RESOLUTION_PRESETS)[number]['id']
export type Preset = (typeof RESOLUTION_PRESETS)[number]

export function presetById(id: PresetId): Preset {
  return RESOLUTION_PRESETS.find((p) => p.id === id) ?? RESOLUTION_PRESETS[0]
}

export const FPS_CHOICES = [15, 30, 60] as const
export type FpsChoice = (typeof FPS_CHOICES)[number]

export const QUALITY_MIN = 0.3
export const QUALITY_MAX = 0.95
/**
 * Default JPEG quality. At 1280×720 in Chromium, drawing the camera frame plus encoding took ~13 ms at 0.6,
 * ~14 ms at 0.7, ~15 ms at 0.8 and ~16 ms at 0.9 (median, busy 2-core machine), while the frames grew from 16 to
 * 21, 33 and 70 KB for a room-like scene; the viewer's decode grows with the size too. 0.7 keeps encode p95 under
 * 20 ms and shows no visible loss over 0.8 on camera pictures.
 */
export const QUALITY_DEFAULT = 0.7
export const RECENT_LIMIT = 8

/** The largest-frame limits offered, MiB; 0 is Automatic (32 MiB for a classic stream, 8 MiB for Framecast). */
export const FRAME_LIMITS_MIB = [0, 64, 128, 256, 512, 1024] as const
export type FrameLimitMiB = (typeof FRAME_LIMITS_MIB)[number]
const FrameLimitMiBSchema = v.picklist(FRAME_LIMITS_MIB)

/** The message limit to ask for, bytes, for a chosen number of MiB: null for Automatic. */
export function frameLimitBytes(mib: FrameLimitMiB): number | null {
  return mib === 0 ? null : mib * MIB
}
/** Listen on every interface, IPv4 and IPv6. */
export const ALL_INTERFACES = '::'

/** What a person chose, remembered between runs (localStorage). Anything unreadable falls back to the default. */
export const SettingsSchema = v.object({
  cameraId: v.fallback(v.nullable(v.pipe(v.string(), v.maxLength(512))), null),
  preset: v.fallback(v.picklist(RESOLUTION_PRESETS.map((p) => p.id)), '720p'),
  fps: v.fallback(v.picklist(FPS_CHOICES), 30),
  quality: v.fallback(v.pipe(v.number(), v.minValue(QUALITY_MIN), v.maxValue(QUALITY_MAX)), QUALITY_DEFAULT),
  /** Adaptive quality: lower quality (then size) when the network is the limit; false keeps the quality fixed. */
  adaptive: v.fallback(v.boolean(), true),
  port: v.fallback(PortSchema, DEFAULT_PORT),
  bindHost: v.fallback(BindHostSchema, ALL_INTERFACES),
  classic: v.fallback(ClassicModeSchema, 'off'),
  /** "Smaller stream (H.264)": what the person asked for; the stream is JPEG where H.264 cannot be encoded. */
  codec: v.fallback(v.picklist(['jpeg', 'h264']), 'jpeg'),
  classicPrefix: v.fallback(ClassicPrefixSchema, DEFAULT_CLASSIC_PREFIX),
  classicFrameLimitMiB: v.fallback(FrameLimitMiBSchema, 0),
  mjpegPort: v.fallback(v.nullable(PortSchema), null),
  /** List the broadcast on the local network (DNS-SD) so Watch windows there can pick it. */
  advertise: v.fallback(v.boolean(), true),
  recent: v.fallback(v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(RECENT_LIMIT)), []),
  watchMode: v.fallback(WatchModeSchema, 'auto'),
  watchClassicPrefix: v.fallback(ClassicPrefixChoiceSchema, 'auto'),
  watchFrameLimitMiB: v.fallback(FrameLimitMiBSchema, 0),
  watchHost: v.fallback(v.pipe(v.string(), v.maxLength(300)), ''),
  watchPort: v.fallback(v.pipe(v.string(), v.maxLength(16)), String(DEFAULT_PORT))
})
export type Settings = v.InferOutput<typeof SettingsSchema>

export const defaultSettings: Settings = v.parse(SettingsSchema, {})

export function sanitizeSettings(input: unknown): Settings {
  return v.parse(SettingsSchema, typeof input === 'object' && input !== null ? input : {})
}

/** Put a partner first in the list: no duplicates, newest first, at most `limit` entries. */
export function addRecentPartner(list: readonly string[], address: string, limit = RECENT_LIMIT): string[] {
  const key = address.trim()
  if (key === '') return [...list]
  return [key, ...list.filter((a) => a.toLowerCase() !== key.toLowerCase())].slice(0, limit)
}

export interface SettingsSlice {
  settings: Settings
  updateSettings: (patch: Partial<Settings>) => void
  rememberPartner: (address: string) => void
  forgetPartner: (address: string) => void
}

export const createSettingsSlice: StateCreator<State, [['zustand/persist', unknown]], [], SettingsSlice> = (set) => ({
  settings: defaultSettings,
  updateSettings: (patch) => set((s) => ({ settings: { ...s.settings, ...patch } })),
  rememberPartner: (address) =>
    set((s) => ({ settings: { ...s.settings, recent: addRecentPartner(s.settings.recent, address) } })),
  forgetPartner: (address) =>
    set((s) => ({ settings: { ...s.settings, recent: s.settings.recent.filter((a) => a !== address) } }))
})
