/** Camera trouble a person can act on. */
export type CameraProblemKind = 'denied' | 'missing' | 'busy' | 'unplugged' | 'unsupported' | 'other'

export interface CameraProblem {
  kind: CameraProblemKind
  title: string
  detail: string
  /** Trying again can help (busy, unplugged, ...). */
  retry: boolean
}

const problems: Record<CameraProblemKind, Omit<CameraProblem, 'kind'>> = {
  denied: {
    title: 'Camera permission was denied',
    detail:
      'Allow camera access for Framecast: in your system’s privacy settings (Camera) on Windows and macOS, or the browser’s site settings when using the browser host. Then press Retry.',
    retry: true
  },
  missing: {
    title: 'No camera found',
    detail: 'Connect a camera (or pick another one in the list), then press Retry.',
    retry: true
  },
  busy: {
    title: 'The camera is busy in another app',
    detail: 'Close the other program that uses the camera (video call, photo booth, another Framecast window), then press Retry.',
    retry: true
  },
  unplugged: {
    title: 'The camera was unplugged',
    detail: 'The picture stopped because the camera went away. Plug it back in and press Retry — viewers stay connected meanwhile.',
    retry: true
  },
  unsupported: {
    title: 'This window cannot use cameras',
    detail: 'Camera capture needs a secure page with media support. Open Broadcast from the Framecast app or its browser host.',
    retry: false
  },
  other: {
    title: 'The camera could not be started',
    detail: 'Try another camera or resolution, then press Retry.',
    retry: true
  }
}

export function cameraProblem(kind: CameraProblemKind, technical?: string): CameraProblem {
  const p = problems[kind]
  return { kind, ...p, detail: technical && kind === 'other' ? `${p.detail} (${technical})` : p.detail }
}

/** Map a getUserMedia / track error to a problem a person understands. */
export function cameraProblemFromError(e: unknown): CameraProblem {
  const name = typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : ''
  const message = e instanceof Error ? e.message : String(e)
  switch (name) {
    case 'NotAllowedError':
    case 'PermissionDeniedError':
    case 'SecurityError':
      return cameraProblem('denied')
    case 'NotFoundError':
    case 'DevicesNotFoundError':
    case 'OverconstrainedError':
      return cameraProblem('missing')
    case 'NotReadableError':
    case 'TrackStartError':
    case 'AbortError':
      return cameraProblem('busy')
    case 'TypeError':
      return typeof navigator !== 'undefined' && !navigator.mediaDevices ? cameraProblem('unsupported') : cameraProblem('other', message)
    default:
      return cameraProblem('other', message)
  }
}
