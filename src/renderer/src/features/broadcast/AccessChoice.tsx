// Who may watch a broadcast, chosen in the Broadcast window: paired devices over an encrypted connection (the
// default), or anyone on the network in the clear — a choice made each time, with its warning next to it. Classic
// mode and MJPEG are open by nature, and say so.

import type { AccessMode, ClassicMode } from '../../../../shared/status'
import { useStore } from '../../store'

export const OPEN_WARNING =
  'Anyone who can reach this computer can watch, and the picture crosses the network unencrypted. Choose this only for the classic scripts or MJPEG players, on a network you trust.'

const CHOICES: { value: AccessMode; title: string; detail: string }[] = [
  {
    value: 'private',
    title: 'Paired devices only — encrypted',
    detail: 'A new device types the 6-digit code this window shows, once. Recommended.'
  },
  {
    value: 'open',
    title: 'Anyone on the network — unencrypted',
    detail: 'No code, no encryption: for the classic scripts and old players.'
  }
]

export function AccessChoice({ classic }: { classic: ClassicMode }) {
  const access = useStore((s) => s.broadcast.access)
  const setAccess = useStore((s) => s.setBroadcastAccess)
  const forcedOpen = classic !== 'off'
  return (
    <div className="field" role="radiogroup" aria-labelledby="access-label" data-testid="broadcast-access" data-access={forcedOpen ? 'open' : access}>
      <span className="field__label" id="access-label">
        Who can watch
      </span>
      {CHOICES.map((c) => (
        <label key={c.value} className={`access-choice${(forcedOpen ? 'open' : access) === c.value ? ' access-choice--on' : ''}`}>
          <input
            type="radio"
            name="broadcast-access"
            value={c.value}
            data-testid={`broadcast-access-${c.value}`}
            checked={(forcedOpen ? 'open' : access) === c.value}
            disabled={forcedOpen}
            onChange={() => setAccess(c.value)}
          />
          <span>
            <strong>{c.title}</strong>
            <span className="access-choice__detail">{c.detail}</span>
          </span>
        </label>
      ))}
      {forcedOpen ? (
        <p className="alert alert--warn" data-testid="classic-open-note" role="note">
          Classic mode is open by nature: the classic scripts cannot pair or encrypt, so anyone who can reach this port can watch.
        </p>
      ) : access === 'open' ? (
        <p className="alert alert--warn" data-testid="open-warning" role="alert">
          {OPEN_WARNING}
        </p>
      ) : null}
    </div>
  )
}
