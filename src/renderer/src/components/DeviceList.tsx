// The devices this installation paired with, for one role: the viewers that may watch this broadcaster (Broadcast
// window: rename, block/unblock, forget) or the broadcasters this device watches (Watch window: rename, forget). The
// list lives in the store (store/devices.ts), filled from main by devices:list, the answer to each change, and
// 'devices:changed' (another window or the CLI changed it).

import { useEffect, useState } from 'react'
import { displayFingerprint } from '../../../shared/fingerprint'
import type { DeviceList as Devices, PairedDevice } from '../../../shared/status'
import { api, hasApi, toApiError } from '../lib/api'
import { formatWhen } from '../lib/format'
import { useStore } from '../store'

/** Ask main for the list once and follow its changes; the list goes to the store. */
function useDeviceList(): void {
  const setDeviceList = useStore((s) => s.setDeviceList)
  useEffect(() => {
    if (!hasApi()) return
    let alive = true
    const off = api.onDevicesChanged((l) => alive && setDeviceList(l))
    api.listDevices({}).then(
      (l) => alive && setDeviceList(l),
      (e: unknown) => alive && useStore.getState().setDevicesError(toApiError(e).message)
    )
    return () => {
      alive = false
      off()
    }
  }, [setDeviceList])
}

/** Run one change through main; its answer is the new list, its refusal the message shown above the list. */
function change(run: () => Promise<Devices>): void {
  const { setDeviceList, setDevicesError } = useStore.getState()
  run().then(
    (list) => {
      setDeviceList(list)
      setDevicesError(null)
    },
    (e: unknown) => setDevicesError(toApiError(e).message)
  )
}

/** What forgetting means, by role: a viewer needs the code again; a broadcaster's key is no longer checked. */
export const FORGET_EFFECT: Record<PairedDevice['role'], string> = {
  viewer: 'It will need the pairing code to watch again.',
  broadcaster: 'Its key will no longer be checked; the next connection asks for a code if it has forgotten this device too.'
}

function When({ label, at, now }: { label: string; at: number; now: number }) {
  return (
    <span data-when={label}>
      {label}{' '}
      <time dateTime={new Date(at).toISOString()} title={new Date(at).toLocaleString()}>
        {formatWhen(at, now)}
      </time>
    </span>
  )
}

function DeviceRow({ device, isSelf, now }: { device: PairedDevice; isSelf: boolean; now: number }) {
  const [editing, setEditing] = useState(false)
  const [confirming, setConfirming] = useState(false)
  const [name, setName] = useState(device.name)
  const id = { role: device.role, fingerprint: device.fingerprint }
  const shownName = device.name || 'Unnamed device'
  const save = (): void => {
    setEditing(false)
    const next = name.trim()
    if (next === '' || next === device.name) {
      setName(device.name)
      return
    }
    change(() => api.renameDevice({ ...id, name: next }))
  }
  const setBlocked = (blocked: boolean): void => change(() => api.setDeviceBlocked({ fingerprint: device.fingerprint, blocked }))
  return (
    <li className="device" data-testid="paired-device" data-fingerprint={device.fingerprint} data-blocked={device.blocked} aria-label={shownName}>
      <div className="device__info">
        <div className="device__who">
          {editing ? (
            <input
              className="input input--small device__name-input"
              aria-label={`New name for ${shownName}`}
              data-testid="device-name-input"
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
            <strong className="device__name" data-testid="device-name">
              {shownName}
            </strong>
          )}
          <code className="device__fp" title={device.fingerprint} aria-label={`fingerprint ${displayFingerprint(device.fingerprint)}`}>
            {displayFingerprint(device.fingerprint)}
          </code>
          {isSelf ? <span className="badge">this computer</span> : null}
          {device.blocked ? <span className="badge badge--bad">blocked</span> : null}
        </div>
        <p className="device__when" data-testid="device-when">
          {device.pairedAt > 0 ? <When label="Paired" at={device.pairedAt} now={now} /> : <span>Never paired</span>}
          {' · '}
          <When label={device.pairedAt > 0 ? 'last seen' : 'last tried'} at={device.lastSeenAt} now={now} />
        </p>
      </div>
      {confirming ? (
        <div className="device__actions device__confirm" role="group" aria-label={`Forget ${shownName}?`}>
          <span className="device__confirm-text">
            Forget {shownName}? {FORGET_EFFECT[device.role]}
          </span>
          <button type="button" className="button button--small button--danger" data-testid="forget-device-confirm" onClick={() => {
              setConfirming(false)
              change(() => api.forgetDevice(id))
            }}
          >
            Forget
          </button>
          <button type="button" className="button button--small button--secondary" autoFocus onClick={() => setConfirming(false)}>
            Cancel
          </button>
        </div>
      ) : (
        <div className="device__actions">
          <button type="button" className="button button--small" data-testid="rename-device" aria-label={`Rename ${shownName}`} onClick={() => {
              setName(device.name)
              setEditing(true)
            }}
          >
            Rename
          </button>
          {device.role === 'viewer' ? (
            <button
              type="button"
              className={device.blocked ? 'button button--small' : 'button button--small button--danger'}
              data-testid={device.blocked ? 'unblock-device' : 'block-device'}
              aria-label={`${device.blocked ? 'Unblock' : 'Block'} ${shownName}`}
              onClick={() => setBlocked(!device.blocked)}
            >
              {device.blocked ? 'Unblock' : 'Block'}
            </button>
          ) : null}
          <button type="button" className="button button--small button--danger" data-testid="forget-device" aria-label={`Forget ${shownName}`} onClick={() => setConfirming(true)}>
            Forget
          </button>
        </div>
      )}
    </li>
  )
}

/** Paired devices of `role` under a heading, most recently seen first; forgotten ones need the code again. */
export function DeviceList({ role, title, empty }: { role: PairedDevice['role']; title: string; empty: string }) {
  useDeviceList()
  const list = useStore((s) => s.devices.list)
  const error = useStore((s) => s.devices.error)
  const devices = (list?.devices ?? []).filter((d) => d.role === role).sort((a, b) => b.lastSeenAt - a.lastSeenAt)
  const now = Date.now()
  return (
    <section className="card" aria-labelledby={`devices-${role}`} data-testid={`paired-${role}s`}>
      <h2 className="card__title" id={`devices-${role}`}>
        {title} <span className="badge">{devices.length}</span>
      </h2>
      {error !== null ? (
        <p className="field__error" role="alert" data-testid="devices-error">
          {error}
        </p>
      ) : null}
      {devices.length === 0 ? (
        <p className="muted">{empty}</p>
      ) : (
        <ul className="devices" aria-label={title}>
          {devices.map((d) => (
            <DeviceRow key={d.fingerprint} device={d} isSelf={d.fingerprint === list?.self} now={now} />
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
