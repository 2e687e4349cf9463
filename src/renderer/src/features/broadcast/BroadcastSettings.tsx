import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ClassicMode, NetInterface } from '../../../../shared/status'
import { controlProps, Field, FieldError } from '../../components/Field'
import { usePortInput } from '../../components/usePortInput'
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

/**
 * The Broadcast window's settings: camera, size, frame rate, quality, port, interface, and the compatibility
 * servers. Changes go to the store at once; a port field holding an invalid port says why and leaves the stored
 * port as it was. `locked` disables everything while a broadcast runs.
 */
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
  const port = usePortInput(s.port, (p) => update({ port: p }))
  const mjpeg = usePortInput(s.mjpegPort ?? 8080, (p) => {
    if (s.mjpegPort !== null) update({ mjpegPort: p })
  })
  const mjpegErr = s.mjpegPort !== null ? mjpeg.problem : null
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
      <Field label="Camera">
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
      </Field>
      <div className="field-row">
        <Field label="Resolution" className="field--grow">
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
        </Field>
        <Field label="Frame rate">
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
        </Field>
      </div>
      <Field
        label={
          <>
            Picture quality <output className="field__value">{Math.round(s.quality * 100)}%</output>
          </>
        }
        hint="Lower quality sends less data on a busy network."
      >
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
      </Field>
      <div className="field-row">
        <Field label="Port" className="field--port" name="broadcast-port" error={port.problem}>
          {(control) => <input {...control} {...port.input} data-testid="broadcast-port" />}
        </Field>
        <Field label="Network interface" className="field--grow">
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
        </Field>
      </div>
      <details className="more">
        <summary>Compatibility</summary>
        <Field label="Speak to the classic OpenCV receiver script">
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
        </Field>
        <label className="field field--check">
          <input
            type="checkbox"
            data-testid="broadcast-mjpeg"
            checked={s.mjpegPort !== null}
            onChange={(e) => update({ mjpegPort: e.target.checked ? mjpeg.port : null })}
          />
          <span>Also serve an MJPEG stream for browsers, VLC and ffmpeg on port</span>
          <input {...controlProps('broadcast-mjpeg-port', mjpegErr, 'input--small')} {...mjpeg.input} data-testid="broadcast-mjpeg-port" />
        </label>
        <FieldError name="broadcast-mjpeg-port" error={mjpegErr} />
      </details>
    </fieldset>
  )
}
