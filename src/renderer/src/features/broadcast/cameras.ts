import { useCallback, useEffect, useState } from 'react'

export interface Camera {
  deviceId: string
  label: string
}

/** Video inputs; labels are empty until camera permission was given once, so number them meanwhile. */
export async function listCameras(): Promise<Camera[]> {
  if (!navigator.mediaDevices?.enumerateDevices) return []
  const devices = await navigator.mediaDevices.enumerateDevices()
  return devices
    .filter((d) => d.kind === 'videoinput')
    .map((d, i) => ({ deviceId: d.deviceId, label: d.label || `Camera ${i + 1}` }))
}

export function useCameras(): { cameras: Camera[]; refresh: () => void } {
  const [cameras, setCameras] = useState<Camera[]>([])
  const refresh = useCallback(() => {
    listCameras().then(setCameras, () => setCameras([]))
  }, [])
  useEffect(() => {
    refresh()
    const md = navigator.mediaDevices
    md?.addEventListener?.('devicechange', refresh)
    return () => md?.removeEventListener?.('devicechange', refresh)
  }, [refresh])
  return { cameras, refresh }
}
