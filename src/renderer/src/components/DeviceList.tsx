// The devices this installation paired with, for one role: the viewers that may watch this broadcaster (Broadcast
// window) or the broadcasters this device watches (Watch window). Rename, forget, and for viewers unblock. The list
// comes from main (devices:list) and follows 'devices:changed'.

import { useEffect, useState } from 'react'
import { displayFingerprint } from '../../../shared/fingerprint'
import type { DeviceList as Devices, PairedDevice } from '../../../shared/status'
import { api, hasApi } from '../lib/api'

function useDevices(): Devices | null {
  const [list, setList] = useState<Devices | null>(null)
  useEffect(() => {
    if (!hasApi()) return
    let alive = true
    const off = api.onDevicesChanged((l) => alive && setList(l))
    api.listDevices({}).then(
      (l) => alive && setList(l),
      () => undefined
    )
    return () => {
      alive = false
      off()
    }
  }, [])
  return list
}

function DeviceRow({ device }: { device: PairedDevice }) {
  const [editing, setEditing] = useState(false)
  const [name, setName] = useState(device.name)
  const id = { role: device.role, fingerprint: device.fingerprint }
  const save = (): void => {
    setEditing(false)
    if (name.trim() !== device.name) void api.renameDevice({ ...id, name: name.trim() }).catch(() => undefined)
  }
  return (
    <li className="device" data-testid="paired-device" data-fingerprint={device.fingerprint} data-blocked={device.blocked}>
      <div className="device__who">
        {editing ? (
          <input
            className="input input--small device__name-input"
            aria-label="Device name"
            value={name}
            maxLength={64}
            autoFocus
            onChange={(e) => setName(e.target.value)}
            onBlur={save}
            onKeyDown={(e) => {
              if (e.key === 'Enter') save()
              if (e.key === 'Escape') {
                setName(device.name)
                setEditing(false)
              }
            }}
          />
        ) : (
          <strong className="device__name">{device.name || 'Unnamed device'}</strong>
        )}
        <code className="device__fp" title={device.fingerprint}>
          {displayFingerprint(device.fingerprint)}
        </code>
        {device.blocked ? <span className="badge badge--bad">blocked</span> : null}
      </div>
      <div className="device__actions">
        <button type="button" className="button button--small" onClick={() => setEditing(true)}>
          Rename
        </button>
        {device.blocked ? (
          <button type="button" className="button button--small" onClick={() => void api.setDeviceBlocked({ fingerprint: device.fingerprint, blocked: false }).catch(() => undefined)}>
            Unblock
          </button>
        ) : null}
        <button type="button" className="button button--small" data-testid="forget-device" onClick={() => void api.forgetDevice(id).catch(() => undefined)}>
          Forget
        </button>
      </div>
    </li>
  )
}

/** Paired devices of `role`, under a heading; forgotten ones need the code again. */
export function DeviceList({ role, title, empty }: { role: PairedDevice['role']; title: string; empty: string }) {
  const list = useDevices()
  const devices = (list?.devices ?? []).filter((d) => d.role === role)
  return (
    <section className="card" aria-labelledby={`devices-${role}`} data-testid={`paired-${role}s`}>
      <h2 className="card__title" id={`devices-${role}`}>
        {title} <span className="badge">{devices.length}</span>
      </h2>
      {devices.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="devices">
          {devices.map((d) => (
            <DeviceRow key={d.fingerprint} device={d} />
          ))}
        </ul>
      )}
      {list ? (
        <p className="field__hint">
          This device: <code data-testid="own-fingerprint">{displayFingerprint(list.self)}</code> — compare it with what the other device shows.
        </p>
      ) : null}
    </section>
  )
}
