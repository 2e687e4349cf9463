import { useState } from 'react'
import type { BroadcastStatus } from '../../../../shared/ipc'
import { StatItems, type StatRow } from '../../components/StatItems'
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

function Addresses({ addresses }: { addresses: string[] }) {
  const [copied, setCopied] = useState<string | null>(null)
  return (
    <section className="card" aria-labelledby="addresses-title">
      <h2 className="card__title" id="addresses-title">
        Type one of these on the other computer
      </h2>
      {addresses.length === 0 ? (
        <p className="muted" data-testid="broadcast-no-addresses">
          This computer has no network address right now. Connect it to Wi-Fi or a cable.
        </p>
      ) : (
        <ul className="addresses" data-testid="broadcast-addresses">
          {addresses.map((a) => (
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
    </section>
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
              <th>Address</th>
              <th>fps</th>
              <th>Bitrate</th>
              <th title="The rate the network delivers to this viewer and the round-trip time, measured from its acknowledgements">Delivery rate · RTT</th>
              <th title="Frames replaced by a newer one because this viewer was still reading the previous one">Replaced (slow)</th>
            </tr>
          </thead>
          <tbody>
            {status.viewers.map((v) => (
              <tr key={v.id} data-testid="broadcast-viewer" data-address={v.address}>
                <td>
                  <code>{v.address}</code>
                </td>
                <td>{formatFps(v.fps)}</td>
                <td>{formatKbps(v.kbps)}</td>
                <td data-testid="viewer-delivery" data-limited={v.limited ? 'yes' : 'no'}>
                  {describeDelivery(v)}
                </td>
                <td>{formatCount(v.replaced)}</td>
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
      <Adapting status={status} />
      <Addresses addresses={status.addresses} />
      <Stats status={status} />
      <Viewers status={status} />
      {status.mjpegPort ? (
        <p className="muted">
          MJPEG for browsers and VLC: <code>http://&lt;address&gt;:{status.mjpegPort}/stream.mjpg</code>
        </p>
      ) : null}
    </>
  )
}
