// Starts and stops a broadcast: camera, the main-side server, and the capture pipeline. Status goes to the store.

import { INFO_MAX_NAME_BYTES } from '../../../../shared/protocol'
import { truncateUtf8 } from '../../../../shared/utf8'
import { api, toApiError } from '../../lib/api'
import { useStore } from '../../store'
import { presetById, type Settings } from '../../store/settings'
import { CaptureSession } from './capture'
import { cameraProblem, cameraProblemFromError } from './cameraErrors'

let stream: MediaStream | null = null
let session: CaptureSession | null = null
let video: HTMLVideoElement | null = null

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
  session = new CaptureSession({
    track,
    video: el,
    settings: { width: preset.width, height: preset.height, fps: settings.fps, quality: settings.quality },
    adaptive: settings.adaptive,
    send: async (frame) => (await api.sendFrame(frame)).target,
    onStats: (s) => useStore.getState().setCaptureStats(s),
    onEnded: () => {
      if (track.readyState === 'ended') useStore.getState().setCameraProblem(cameraProblem('unplugged'))
    },
    onError: (message) => console.warn('capture:', message)
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
    const status = await api.startBroadcast({
      port: settings.port,
      host: settings.bindHost,
      name: truncateUtf8(label || 'Framecast', INFO_MAX_NAME_BYTES),
      width: preset.width,
      height: preset.height,
      fps: settings.fps,
      classic: settings.classic,
      mjpegPort: settings.mjpegPort
    })
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

/** Adaptive quality turned on or off (the setting): the running capture follows at once. */
export function setAdaptive(adaptive: boolean): void {
  session?.setAdaptive(adaptive)
}

/** The window is closing. */
export function disposeBroadcast(): void {
  closeCamera()
}
