// Starts and stops a broadcast: camera, the main-side server, and the capture pipeline. Status goes to the store.

import type { RequestOf } from '../../../../shared/ipc'
import { type CodecName, INFO_MAX_NAME_BYTES } from '../../../../shared/protocol'
import { truncateUtf8 } from '../../../../shared/utf8'
import { api, toApiError } from '../../lib/api'
import { useStore } from '../../store'
import { frameLimitBytes, presetById, type Settings } from '../../store/settings'
import { CaptureSession } from './capture'
import { cameraProblem, cameraProblemFromError } from './cameraErrors'
import { CLASSIC_IS_JPEG } from './CodecChoice'
import { clampBitrate, h264CodecString, h264DefaultBitrate } from './h264Config'
import { h264Support } from './h264Support'

let stream: MediaStream | null = null
let session: CaptureSession | null = null
let video: HTMLVideoElement | null = null
/** What the stream is encoded as in this broadcast (JPEG where H.264 was chosen but cannot be encoded). */
let streamCodec: CodecName = 'jpeg'
/** The H.264 target bitrate set with setEncoderBitrate (bits per second); null: the default for the size. */
let bitrateOverride: number | null = null
/** The last start request that went to main: a codec fallback repeats it with JPEG on the same address. */
let lastStart: RequestOf<'broadcast:start'> | null = null

/** The codec for a broadcast with `settings`: H.264 when chosen and this window can encode it, else JPEG with a note. */
async function chooseCodec(settings: Settings): Promise<{ codec: CodecName; note: string | null }> {
  if (settings.codec !== 'h264') return { codec: 'jpeg', note: null }
  if (settings.classic !== 'off') return { codec: 'jpeg', note: CLASSIC_IS_JPEG }
  const { width, height } = presetById(settings.preset)
  const support = await h264Support(width, height, settings.fps)
  return support.supported ? { codec: 'h264', note: null } : { codec: 'jpeg', note: support.reason }
}

function bitrateFor(settings: Settings): number {
  const { width, height } = presetById(settings.preset)
  return bitrateOverride ?? h264DefaultBitrate(width, height, settings.fps)
}

async function openCamera(settings: Settings): Promise<MediaStream> {
  if (!navigator.mediaDevices?.getUserMedia) throw Object.assign(new Error('no mediaDevices'), { name: 'TypeError' })
  const preset = presetById(settings.preset)
  const video = (deviceId: string | null): MediaTrackConstraints => ({
    ...(deviceId ? { deviceId: { exact: deviceId } } : {}),
    width: { ideal: preset.width },
    height: { ideal: preset.height },
    frameRate: { ideal: settings.fps }
  })
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: false, video: video(settings.cameraId) })
  } catch (e) {
    // A remembered camera that is gone: fall back to any camera.
    if (settings.cameraId && (e as { name?: string }).name === 'OverconstrainedError') {
      return navigator.mediaDevices.getUserMedia({ audio: false, video: video(null) })
    }
    throw e
  }
}

function closeCamera(): void {
  session?.stop()
  session = null
  for (const t of stream?.getTracks() ?? []) {
    t.onended = null
    t.stop()
  }
  stream = null
  if (video) video.srcObject = null
}

async function startCapture(el: HTMLVideoElement): Promise<boolean> {
  const store = useStore.getState()
  const settings = store.settings
  try {
    stream = await openCamera(settings)
  } catch (e) {
    store.setCameraProblem(cameraProblemFromError(e))
    return false
  }
  const track = stream.getVideoTracks()[0]
  if (!track) {
    store.setCameraProblem(cameraProblem('missing'))
    closeCamera()
    return false
  }
  const chosen = track.getSettings().deviceId
  if (chosen && chosen !== settings.cameraId) store.updateSettings({ cameraId: chosen })
  video = el
  el.srcObject = stream
  el.muted = true
  await el.play().catch(() => undefined)
  track.onended = () => {
    session?.stop()
    session = null
    useStore.getState().setCameraProblem(cameraProblem('unplugged'))
  }
  const preset = presetById(settings.preset)
  const choice = await chooseCodec(settings)
  streamCodec = choice.codec
  useStore.getState().setCodecNote(choice.note)
  session = new CaptureSession({
    track,
    video: el,
    settings: { width: preset.width, height: preset.height, fps: settings.fps, quality: settings.quality, codec: streamCodec, bitrateBps: bitrateFor(settings) },
    adaptive: settings.adaptive,
    send: (frame) => api.sendFrame(frame),
    onStats: (s) => useStore.getState().setCaptureStats(s),
    onEnded: () => {
      if (track.readyState === 'ended') useStore.getState().setCameraProblem(cameraProblem('unplugged'))
    },
    onError: (message) => console.warn('capture:', message),
    onCodecFailed: (message) => void codecFailed(message)
  })
  useStore.getState().setCameraProblem(null)
  return true
}

/** Open the camera, start listening, start sending frames. */
export async function startBroadcast(el: HTMLVideoElement): Promise<void> {
  const store = useStore.getState()
  if (store.broadcast.phase !== 'idle') return
  store.setBroadcastPhase('starting')
  if (!(await startCapture(el))) {
    useStore.getState().setBroadcastPhase('idle')
    return
  }
  const settings = useStore.getState().settings
  const preset = presetById(settings.preset)
  const label = stream?.getVideoTracks()[0]?.label ?? ''
  try {
    lastStart = {
      port: settings.port,
      host: settings.bindHost,
      name: truncateUtf8(label || 'Framecast', INFO_MAX_NAME_BYTES),
      width: preset.width,
      height: preset.height,
      fps: settings.fps,
      classic: settings.classic,
      classicPrefix: settings.classicPrefix,
      maxMessageBytes: frameLimitBytes(settings.classicFrameLimitMiB),
      mjpegPort: settings.mjpegPort,
      advertise: settings.advertise,
      access: useStore.getState().broadcast.access,
      codec: streamCodec,
      ...(streamCodec === 'h264' ? { codecParams: h264CodecString(preset.width, preset.height, settings.fps) } : {})
    }
    const status = await api.startBroadcast(lastStart)
    const s = useStore.getState()
    s.setBroadcastStatus(status)
    s.setBroadcastPhase('live')
    session?.start()
  } catch (e) {
    const err = toApiError(e)
    closeCamera()
    const s = useStore.getState()
    s.setBroadcastError({ code: err.code, message: err.message })
    s.setBroadcastPhase('idle')
  }
}

export async function stopBroadcast(): Promise<void> {
  const store = useStore.getState()
  if (store.broadcast.phase === 'idle' || store.broadcast.phase === 'stopping') return
  store.setBroadcastPhase('stopping')
  closeCamera()
  try {
    await api.stopBroadcast({})
  } catch (e) {
    const err = toApiError(e)
    useStore.getState().setBroadcastError({ code: err.code, message: err.message })
  } finally {
    const s = useStore.getState()
    s.setBroadcastPhase('idle')
    s.setCameraProblem(null)
  }
}

/** After a camera problem: reopen the camera; if the broadcast is live it keeps going with the new camera. */
export async function retryCamera(el: HTMLVideoElement): Promise<void> {
  const phase = useStore.getState().broadcast.phase
  if (phase === 'live') {
    closeCamera()
    if (await startCapture(el)) session?.start()
    return
  }
  useStore.getState().setCameraProblem(null)
  await startBroadcast(el)
}

export function setQuality(quality: number): void {
  session?.setQuality(quality)
}

/**
 * The H.264 encoder's target bitrate, in bits per second, from the next frame on (VideoEncoder.configure again with
 * the new rate: no keyframe, no pause); null goes back to the default for the picture size (h264DefaultBitrate:
 * 1 Mbps at 1280×720, 30 fps). Clamped to H264_MIN_BITRATE..H264_MAX_BITRATE. Kept for later broadcasts of this
 * window too. No effect on a JPEG stream.
 */
export function setEncoderBitrate(bitrateBps: number | null): void {
  bitrateOverride = bitrateBps === null ? null : clampBitrate(bitrateBps)
  session?.setBitrate(bitrateFor(useStore.getState().settings))
}

/**
 * The H.264 encoder failed while live: the worker already encodes JPEG, so the broadcast is described as JPEG again
 * on the same address (viewers stay connected and are sent the new INFO), and the window says why.
 */
async function codecFailed(message: string): Promise<void> {
  console.warn('capture: H.264 failed:', message)
  streamCodec = 'jpeg'
  const s = useStore.getState()
  s.setCodecNote(`H.264 stopped working on this computer (${message}); the stream is JPEG now.`)
  if (lastStart === null || s.broadcast.phase !== 'live') return
  const { codecParams: _params, ...jpeg } = lastStart
  lastStart = { ...jpeg, codec: 'jpeg' }
  try {
    useStore.getState().setBroadcastStatus(await api.startBroadcast(lastStart))
  } catch (e) {
    const err = toApiError(e)
    useStore.getState().setBroadcastError({ code: err.code, message: err.message })
  }
}

/** Adaptive quality turned on or off (the setting): the running capture follows at once. */
export function setAdaptive(adaptive: boolean): void {
  session?.setAdaptive(adaptive)
}

/** The window is closing. */
export function disposeBroadcast(): void {
  closeCamera()
}
