import { useEffect, useState } from 'react'
import * as v from 'valibot'
import { useShallow } from 'zustand/react/shallow'
import { PortSchema } from '../../../../shared/address'
import type { ClassicMode, NetInterface } from '../../../../shared/status'
import { api } from '../../lib/api'
import { useStore } from '../../store'
import {
  ALL_INTERFACES,
  FPS_CHOICES,
  type FpsChoice,
  type PresetId,
  QUALITY_MAX,
  QUALITY_MIN,
  RESOLUTION_PRESETS
} from '../../store/settings'
import type { Camera } from './cameras'

function portMessage(text: string): string | null {
  const r = v.safeParse(PortSchema, /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN)
  return r.success ? null : r.issues[0].message
}

/** Loopback choices: listen for viewers on this same computer only. */
export const LOOPBACK_V4 = '127.0.0.1'
export const LOOPBACK_V6 = '::1'

function useInterfaces(): { external: NetInterface[]; hasIpv6Loopback: boolean } {
  const [list, setList] = useState<NetInterface[]>([])
  useEffect(() => {
    let alive = true
    api.listInterfaces({}).then(
      (l) => alive && setList(l),
      () => alive && setList([])
    )
    return () => {
      alive = false
    }
  }, [])
  return {
    external: list.filter((i) => !i.internal),
    hasIpv6Loopback: list.some((i) => i.internal && i.address === LOOPBACK_V6)
  }
}

export function BroadcastSettings({ cameras, locked }: { cameras: Camera[]; locked: boolean }) {
  const s = useStore(
    useShallow((st) => ({
      cameraId: st.settings.cameraId,
      preset: st.settings.preset,
      fps: st.settings.fps,
      quality: st.settings.quality,
      port: st.settings.port,
      bindHost: st.settings.bindHost,
      classic: st.settings.classic,
      mjpegPort: st.settings.mjpegPort
    }))
  )
  const update = useStore((st) => st.updateSettings)
  const { external: interfaces, hasIpv6Loopback } = useInterfaces()
  const [portText, setPortText] = useState(String(s.port))
  const [mjpegText, setMjpegText] = useState(String(s.mjpegPort ?? 8080))
  const portErr = portMessage(portText)
  const mjpegErr = s.mjpegPort !== null ? portMessage(mjpegText) : null
  const cameraValue = cameras.some((c) => c.deviceId === s.cameraId) ? (s.cameraId ?? '') : (cameras[0]?.deviceId ?? '')
  const knownHost =
    s.bindHost === ALL_INTERFACES ||
    s.bindHost === '0.0.0.0' ||
    s.bindHost === LOOPBACK_V4 ||
    s.bindHost === LOOPBACK_V6 ||
    interfaces.some((i) => i.address === s.bindHost)

  return (
    <fieldset className="card settings" disabled={locked} data-testid="broadcast-settings">
      <legend className="card__title">Camera and stream</legend>
      <label className="field">
        <span className="field__label">Camera</span>
        <select
          className="input"
          data-testid="broadcast-camera"
          value={cameraValue}
          onChange={(e) => update({ cameraId: e.target.value || null })}
        >
          {cameras.length === 0 ? <option value="">No camera found</option> : null}
          {cameras.map((c) => (
            <option key={c.deviceId || c.label} value={c.deviceId}>
              {c.label}
            </option>
          ))}
        </select>
      </label>
      <div className="field-row">
        <label className="field field--grow">
          <span className="field__label">Resolution</span>
          <select
            className="input"
            data-testid="broadcast-resolution"
            value={s.preset}
            onChange={(e) => update({ preset: e.target.value as PresetId })}
          >
            {RESOLUTION_PRESETS.map((p) => (
              <option key={p.id} value={p.id}>
                {p.label}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field__label">Frame rate</span>
          <select
            className="input"
            data-testid="broadcast-fps"
            value={s.fps}
            onChange={(e) => update({ fps: Number(e.target.value) as FpsChoice })}
          >
            {FPS_CHOICES.map((f) => (
              <option key={f} value={f}>
                {f} fps
              </option>
            ))}
          </select>
        </label>
      </div>
      <label className="field">
        <span className="field__label">
          Picture quality <output className="field__value">{Math.round(s.quality * 100)}%</output>
        </span>
        <input
          type="range"
          className="range"
          data-testid="broadcast-quality"
          min={QUALITY_MIN}
          max={QUALITY_MAX}
          step={0.05}
          value={s.quality}
          onChange={(e) => update({ quality: Number(e.target.value) })}
        />
        <span className="field__hint">Lower quality sends less data on a busy network.</span>
      </label>
      <div className="field-row">
        <label className="field field--port">
          <span className="field__label">Port</span>
          <input
            className={portErr ? 'input input--invalid' : 'input'}
            data-testid="broadcast-port"
            inputMode="numeric"
            value={portText}
            onChange={(e) => {
              setPortText(e.target.value)
              if (!portMessage(e.target.value)) update({ port: Number(e.target.value.trim()) })
            }}
          />
          {portErr ? (
            <span className="field__error" data-testid="broadcast-port-error" role="alert">
              {portErr}
            </span>
          ) : null}
        </label>
        <label className="field field--grow">
          <span className="field__label">Network interface</span>
          <select
            className="input"
            data-testid="broadcast-interface"
            value={knownHost ? s.bindHost : ALL_INTERFACES}
            onChange={(e) => update({ bindHost: e.target.value })}
          >
            <option value={ALL_INTERFACES}>All interfaces</option>
            <option value="0.0.0.0">All IPv4 interfaces</option>
            <option value={LOOPBACK_V4}>This computer only ({LOOPBACK_V4})</option>
            {hasIpv6Loopback || s.bindHost === LOOPBACK_V6 ? (
              <option value={LOOPBACK_V6}>This computer only, IPv6 ({LOOPBACK_V6})</option>
            ) : null}
            {interfaces.map((i) => (
              <option key={`${i.name}-${i.address}`} value={i.address}>
                {i.name} — {i.address}
              </option>
            ))}
          </select>
        </label>
      </div>
      <details className="more">
        <summary>Compatibility</summary>
        <label className="field">
          <span className="field__label">Speak to the classic OpenCV receiver script</span>
          <select
            className="input"
            data-testid="broadcast-classic"
            value={s.classic}
            onChange={(e) => update({ classic: e.target.value as ClassicMode })}
          >
            <option value="off">Off — Framecast viewers</option>
            <option value="pickle">Classic script, pickled NumPy frames</option>
            <option value="jpeg">Classic script, JPEG frames</option>
          </select>
        </label>
        <label className="field field--check">
          <input
            type="checkbox"
            data-testid="broadcast-mjpeg"
            checked={s.mjpegPort !== null}
            onChange={(e) => update({ mjpegPort: e.target.checked && !portMessage(mjpegText) ? Number(mjpegText) : null })}
          />
          <span>Also serve an MJPEG stream for browsers, VLC and ffmpeg on port</span>
          <input
            className={mjpegErr ? 'input input--small input--invalid' : 'input input--small'}
            data-testid="broadcast-mjpeg-port"
            inputMode="numeric"
            value={mjpegText}
            onChange={(e) => {
              setMjpegText(e.target.value)
              if (s.mjpegPort !== null && !portMessage(e.target.value)) update({ mjpegPort: Number(e.target.value.trim()) })
            }}
          />
        </label>
        {mjpegErr ? <span className="field__error">{mjpegErr}</span> : null}
      </details>
    </fieldset>
  )
}

export { portMessage }
