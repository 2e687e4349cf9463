// The Watch window's list of the broadcasters heard on the local network (DNS-SD, through main's discovery service):
// live as they come and go, each one a button that fills the address form and connects. The form stays for partners
// the list cannot hear (another network, advertising turned off).

import { useEffect, useMemo, useState } from 'react'
import { formatHostPort } from '../../../../shared/address'
import { type DiscoveredBroadcaster, describeKind } from '../../../../shared/discovery'
import { displayFingerprint } from '../../../../shared/fingerprint'
import type { WatchMode } from '../../../../shared/ipc'
import { api, hasApi } from '../../lib/api'
import { useStore } from '../../store'

/** How long an empty list says "looking" before it says nothing was found, ms (a broadcaster answers within ~1 s). */
export const LOOKING_MS = 2_500

/** Listen to main's list of broadcasters while the window is open (discovery:start/stop, discovery:list events). */
export function useDiscovery(): void {
  useEffect(() => {
    // Without window.api the app shows why instead of any window; a form drawn on its own (tests) just has no list.
    if (!hasApi()) return
    const { setDiscovery } = useStore.getState()
    const off = api.onDiscoveryList(setDiscovery)
    let alive = true
    api.startDiscovery({}).then(
      (list) => alive && setDiscovery(list),
      (e: unknown) => alive && setDiscovery({ broadcasters: [], error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) } })
    )
    return () => {
      alive = false
      off()
      void api.stopDiscovery({}).catch(() => undefined)
    }
  }, [])
}

/**
 * The watch mode for a listed broadcaster: the window's choice, unless it contradicts what the broadcaster says it
 * serves (a classic script chosen with "Framecast", or the reverse), then 'auto', which reads either.
 */
export function watchModeFor(kind: DiscoveredBroadcaster['kind'], chosen: WatchMode): WatchMode {
  const classic = kind === 'classic-pickle' || kind === 'classic-jpeg'
  return (classic && chosen === 'native') || (!classic && chosen === 'classic') ? 'auto' : chosen
}

export interface DiscoveredProps {
  /** A stream runs: the list is not shown (it keeps listening). */
  hidden: boolean
  onChoose: (b: DiscoveredBroadcaster) => void
  /**
   * Fingerprints of the broadcasters this device has paired with: those are marked "Paired". Default: the broadcasters
   * in the paired-devices list of the store.
   */
  paired?: ReadonlySet<string>
}

export function Discovered({ hidden, onChoose, paired }: DiscoveredProps) {
  useDiscovery()
  const devices = useStore((s) => s.devices.list)
  const pairedBroadcasters = useMemo(
    () => paired ?? new Set((devices?.devices ?? []).filter((d) => d.role === 'broadcaster').map((d) => d.fingerprint)),
    [paired, devices]
  )
  const { broadcasters, error, heard } = useStore((s) => s.discovery)
  const [looking, setLooking] = useState(true)
  useEffect(() => {
    const t = setTimeout(() => setLooking(false), LOOKING_MS)
    return () => clearTimeout(t)
  }, [])
  // The Watch window shows what it can watch; MJPEG endpoints are for browsers and players (`framecast list` has them).
  const watchable = broadcasters.filter((b) => b.kind !== 'mjpeg')
  if (hidden) return null

  return (
    <section className="discovered" aria-labelledby="discovered-title" data-testid="discovered" aria-busy={looking && watchable.length === 0}>
      <h2 className="discovered__title" id="discovered-title">
        On this network
        {looking && error === null ? <span className="discovered__looking" aria-hidden="true" /> : null}
      </h2>
      {error !== null ? (
        <p className="muted" data-testid="discovered-error" role="status">
          Cannot look for broadcasters here ({error.message}). Type the partner’s address above.
        </p>
      ) : watchable.length === 0 ? (
        <p className="muted" data-testid="discovered-empty" role="status">
          {looking || !heard
            ? 'Looking for broadcasters…'
            : 'No broadcasters heard on this network yet. Start Broadcast on the other computer, or type its address above.'}
        </p>
      ) : (
        <ul className="discovered__list">
          {watchable.map((b) => (
            <li key={b.id}>
              <Found broadcaster={b} paired={b.fingerprint !== null && pairedBroadcasters.has(b.fingerprint)} onChoose={onChoose} />
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}

function Found({ broadcaster: b, paired, onChoose }: { broadcaster: DiscoveredBroadcaster; paired: boolean; onChoose: (b: DiscoveredBroadcaster) => void }) {
  const address = formatHostPort(b.host, b.port)
  const where = [b.device, address].filter(Boolean).join(' · ')
  return (
    <button
      type="button"
      className="found"
      data-testid="discovered-broadcaster"
      data-address={address}
      data-kind={b.kind}
      disabled={!b.supported}
      title={b.supported ? `Watch ${b.name} (${address})` : 'This broadcaster speaks another version of Framecast'}
      onClick={() => onChoose(b)}
    >
      <span className="found__text">
        <span className="found__name">{b.name}</span>
        <span className="found__detail">
          {where} · {describeKind(b)}
        </span>
      </span>
      <span className="found__tags">
        {paired ? (
          <span className="tag tag--good" data-testid="discovered-paired">
            Paired
          </span>
        ) : b.pairing ? (
          <span className="tag" data-testid="discovered-pairing">
            Asks for a pairing code
          </span>
        ) : null}
        {b.fingerprint !== null ? (
          <span className="tag tag--key" title={`Device key ${b.fingerprint}`}>
            {displayFingerprint(b.fingerprint)}
          </span>
        ) : null}
      </span>
      <span className="found__action" aria-hidden="true">
        {b.supported ? 'Watch' : 'Needs another version'}
      </span>
    </button>
  )
}
