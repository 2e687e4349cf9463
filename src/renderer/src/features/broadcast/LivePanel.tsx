import { useState } from 'react'
import { displayFingerprint } from '../../../../shared/fingerprint'
import type { BroadcastStatus, ViewerStats } from '../../../../shared/ipc'
import { DeviceList } from '../../components/DeviceList'
import { StatItems, type StatRow } from '../../components/StatItems'
import { api } from '../../lib/api'
import { describeAdaptation, describeDelivery } from '../../../../shared/delivery-words'
import { formatCount, formatFps, formatKbps, formatMs } from '../../lib/format'
import { useStore } from '../../store'

async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text)
    return true
  } catch {
    const area = document.createElement('textarea')
    area.value = text
    area.className = 'offscreen'
    document.body.appendChild(area)
    area.select()
    const ok = document.execCommand('copy')
    area.remove()
    return ok
  }
}

function Addresses({ addresses, globalAddresses, advertised }: { addresses: string[]; globalAddresses: string[]; advertised: string | null }) {
  const [copied, setCopied] = useState<string | null>(null)
  const [showGlobal, setShowGlobal] = useState(false)
  const shown = showGlobal ? [...addresses, ...globalAddresses] : addresses
  return (
    <section className="card" aria-labelledby="addresses-title">
      <h2 className="card__title" id="addresses-title">
        Type one of these on the other computer
      </h2>
      {shown.length === 0 ? (
        <p className="muted" data-testid="broadcast-no-addresses">
          This computer has no network address right now. Connect it to Wi-Fi or a cable.
        </p>
      ) : (
        <ul className="addresses" data-testid="broadcast-addresses">
          {shown.map((a) => (
            <li key={a} className="address" data-testid="broadcast-address" data-address={a}>
              <code className="address__text">{a}</code>
              <button
                type="button"
                className="button button--small"
                data-testid="copy-address"
                onClick={() => {
                  void copyText(a).then((ok) => {
                    setCopied(ok ? a : null)
                    setTimeout(() => setCopied((c) => (c === a ? null : c)), 1500)
                  })
                }}
              >
                {copied === a ? 'Copied' : 'Copy'}
              </button>
            </li>
          ))}
        </ul>
      )}
      {globalAddresses.length > 0 ? (
        <label className="field field--check field__hint">
          <input type="checkbox" data-testid="show-global-addresses" checked={showGlobal} onChange={(e) => setShowGlobal(e.target.checked)} />
          <span>Also show internet (global IPv6) addresses — they may be reachable from outside this network</span>
        </label>
      ) : null}
      {advertised ? (
        <p className="muted addresses__listed" data-testid="broadcast-advertised">
          Or choose <strong>{advertised}</strong> in a Watch window on this network.
        </p>
      ) : null}
    </section>
  )
}

/** Private broadcast: the code a new device types, and this computer's fingerprint to compare. */
function PairingCard({ status }: { status: BroadcastStatus }) {
  const pairing = status.pairing
  if (pairing === null) return null
  const minutes = Math.max(1, Math.ceil((pairing.expiresAt - Date.now()) / 60_000))
  return (
    <section className="card pairing" aria-labelledby="pairing-title" data-testid="pairing-card">
      <h2 className="card__title" id="pairing-title">
        Pairing code <span className="badge badge--good">encrypted · paired devices only</span>
      </h2>
      <div className="pairing__code" data-testid="pairing-code" data-code={pairing.code} aria-label={`Pairing code ${pairing.code.split('').join(' ')}`}>
        {pairing.code.slice(0, 3)}
        <span className="pairing__gap" />
        {pairing.code.slice(3)}
      </div>
      <p className="muted">
        Type this code on the other device when it asks — once; after that it connects by itself. The code changes after each pairing, after
        three wrong tries and in {minutes} min.
      </p>
      <div className="pairing__foot">
        <span className="field__hint">
          This computer: <code data-testid="broadcast-fingerprint">{status.fingerprint ? displayFingerprint(status.fingerprint) : ''}</code>
        </span>
        <button type="button" className="button button--small" data-testid="new-pairing-code" onClick={() => void api.newPairingCode({}).catch(() => undefined)}>
          New code
        </button>
      </div>
    </section>
  )
}

/** Open broadcast (switch, or classic mode): said plainly, above everything else. */
function OpenWarning({ status }: { status: BroadcastStatus }) {
  if (status.access !== 'open') return null
  return (
    <div className="alert alert--warn" role="alert" data-testid="open-broadcast-warning">
      <strong>Open broadcast: anyone on this network can watch, unencrypted.</strong>
      <p>
        {status.classic !== 'off'
          ? 'Classic mode cannot pair or encrypt. Stop and switch Compatibility off to stream privately.'
          : 'Stop and choose “Paired devices only” to stream encrypted, to devices that typed your code.'}
      </p>
    </div>
  )
}

/** What the owner may do to a viewer: Kick (it may come back) always; Block only a device known by its key. */
function ViewerActions({ viewer, canBlock }: { viewer: ViewerStats; canBlock: boolean }) {
  const actions = [
    { id: 'kick', label: 'Kick', title: 'Disconnect this viewer; it may connect again', className: '', run: () => api.kickViewer({ viewerId: viewer.id }) },
    ...(canBlock
      ? [{ id: 'block', label: 'Block', title: 'Disconnect this device and refuse it from now on', className: ' button--danger', run: () => api.blockViewer({ viewerId: viewer.id }) }]
      : [])
  ]
  return (
    <div className="viewer-actions">
      {actions.map((a) => (
        <button
          key={a.id}
          type="button"
          className={`button button--small${a.className}`}
          data-testid={`${a.id}-viewer`}
          title={a.title}
          onClick={() => void a.run().catch(() => undefined)}
        >
          {a.label}
        </button>
      ))}
    </div>
  )
}

function Viewers({ status }: { status: BroadcastStatus }) {
  return (
    <section className="card" aria-labelledby="viewers-title">
      <h2 className="card__title" id="viewers-title">
        Viewers <span className="badge" data-testid="viewer-count">{status.viewers.length}</span>
      </h2>
      {status.viewers.length === 0 ? (
        <p className="muted">No one is watching yet.</p>
      ) : (
        <table className="table" data-testid="broadcast-viewers">
          <thead>
            <tr>
              <th>Device</th>
              <th>Address</th>
              <th>fps</th>
              <th>Bitrate</th>
              <th title="The rate the network delivers to this viewer and the round-trip time, measured from its acknowledgements">Delivery rate · RTT</th>
              <th title="Frames replaced by a newer one because this viewer was still reading the previous one">Replaced (slow)</th>
              <th>
                <span className="offscreen">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {status.viewers.map((v) => (
              <tr key={v.id} data-testid="broadcast-viewer" data-address={v.address} data-name={v.name}>
                <td data-testid="viewer-name">
                  {v.name || <span className="muted">Unnamed</span>}
                  {v.fingerprint ? (
                    <code className="device__fp" title={v.fingerprint}>
                      {displayFingerprint(v.fingerprint)}
                    </code>
                  ) : null}
                </td>
                <td>
                  <code>{v.address}</code>
                </td>
                <td>{formatFps(v.fps)}</td>
                <td>{formatKbps(v.kbps)}</td>
                <td data-testid="viewer-delivery" data-limited={v.limited ? 'yes' : 'no'}>
                  {describeDelivery(v)}
                </td>
                <td>{formatCount(v.replaced)}</td>
                <td>
                  <ViewerActions viewer={v} canBlock={v.fingerprint !== null} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}

function Stats({ status }: { status: BroadcastStatus }) {
  const capture = useStore((s) => s.broadcast.capture)
  const rows: StatRow[] = [
    ['codec', 'Codec', capture.codec === 'h264' ? 'H.264' : 'JPEG'],
    ['out-fps', 'Outgoing', `${formatFps(status.fps)} fps`],
    ['capture-fps', 'Captured', `${formatFps(capture.fps)} fps at ${capture.width} × ${capture.height}`],
    ['kbps', 'Bitrate', formatKbps(status.kbps)],
    ['encode', 'Encode (avg / p95)', `${formatMs(capture.encodeMs)} / ${formatMs(capture.encodeMsP95)}`],
    ['skipped', 'Skipped while busy', formatCount(capture.skippedBusy)],
    ['sent', 'Frames sent', formatCount(status.totals.frames)],
    ['replaced', 'Replaced for slow viewers', formatCount(status.totals.replaced)]
  ]
  if (status.classic === 'pickle') {
    rows.push(['skipped-converting', 'Skipped while converting to pickle', formatCount(status.totals.skippedWhileConverting)])
    rows.push(['conversion-failures', 'Not convertible to pickle', formatCount(status.totals.conversionFailures)])
  }
  return (
    <section className="card" aria-labelledby="stats-title">
      <h2 className="card__title" id="stats-title">
        Stream
      </h2>
      <dl
        className="stats"
        data-testid="broadcast-stats"
        data-out-fps={status.fps.toFixed(2)}
        data-capture-fps={capture.fps.toFixed(2)}
        data-kbps={Math.round(status.kbps)}
        data-encode-ms={capture.encodeMs?.toFixed(2) ?? ''}
        data-encode-ms-p95={capture.encodeMsP95?.toFixed(2) ?? ''}
        data-skipped={capture.skippedBusy}
        data-sent={capture.sent}
        data-source={capture.source}
        data-codec={capture.codec}
      >
        <StatItems rows={rows} itemClassName="stats__item" />
      </dl>
    </section>
  )
}

/** What adaptive quality is doing, in words; highlighted while the network is the limit. */
function Adapting({ status }: { status: BroadcastStatus }) {
  const { adaptation } = status
  return (
    <p
      className={adaptation.state === 'limited' ? 'notice notice--warn' : 'notice'}
      role="status"
      data-testid="broadcast-adaptation"
      data-state={adaptation.state}
      data-quality={adaptation.target.quality}
      data-scale={adaptation.target.scale}
    >
      {describeAdaptation(adaptation)}
    </p>
  )
}

export function LivePanel({ status }: { status: BroadcastStatus }) {
  return (
    <>
      <OpenWarning status={status} />
      <PairingCard status={status} />
      <Adapting status={status} />
      <Addresses addresses={status.addresses} globalAddresses={status.globalAddresses} advertised={status.advertised} />
      <Stats status={status} />
      <Viewers status={status} />
      {status.mjpegPort ? (
        <p className="muted" data-testid="mjpeg-url">
          MJPEG for browsers and VLC (unencrypted; the token is the key — share it only with people who may watch):{' '}
          <code>
            http://&lt;address&gt;:{status.mjpegPort}
            {status.mjpegPath ?? '/stream.mjpg'}
          </code>
        </p>
      ) : null}
      {status.access === 'private' ? <DeviceList role="viewer" title="Paired devices" empty="No device has paired yet." /> : null}
    </>
  )
}
