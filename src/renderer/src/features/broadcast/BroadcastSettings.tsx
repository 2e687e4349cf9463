import { useEffect, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { ClassicMode, NetInterface } from '../../../../shared/status'
import { FrameLimitField, PrefixField } from '../../components/ClassicOptions'
import { controlProps, Field, FieldError } from '../../components/Field'
import { type Choice, Select } from '../../components/Select'
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
import { AdvertiseChoice } from './AdvertiseChoice'
import { AccessChoice } from './AccessChoice'
import type { Camera } from './cameras'
import { CodecChoice } from './CodecChoice'

const NO_CAMERA: Choice<string>[] = [{ value: '', label: 'No camera found' }]
const PRESET_CHOICES: Choice<PresetId>[] = RESOLUTION_PRESETS.map((p) => ({ value: p.id, label: p.label }))
const FPS_LIST: Choice<FpsChoice>[] = FPS_CHOICES.map((f) => ({ value: f, label: `${f} fps` }))
const CLASSIC_CHOICES: Choice<ClassicMode>[] = [
  { value: 'off', label: 'Off — Framecast viewers' },
  { value: 'pickle', label: 'Classic script, pickled NumPy frames' },
  { value: 'jpeg', label: 'Classic script, JPEG frames' }
]

/** Said next to the switch while pickled frames are chosen: the receivers' pickle.loads runs whatever arrives. */
export const PICKLE_WARNING =
  'Receivers of pickled frames run pickle.loads on what arrives: anyone who reaches them in this broadcast’s place can run code on their computers. Prefer JPEG frames where the receiver allows.'

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
      adaptive: st.settings.adaptive,
      port: st.settings.port,
      bindHost: st.settings.bindHost,
      classic: st.settings.classic,
      classicPrefix: st.settings.classicPrefix,
      classicFrameLimitMiB: st.settings.classicFrameLimitMiB,
      mjpegPort: st.settings.mjpegPort,
      advertise: st.settings.advertise
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
        <Select
          name="broadcast-camera"
          value={cameraValue}
          choices={cameras.length === 0 ? NO_CAMERA : cameras.map((c) => ({ value: c.deviceId, label: c.label }))}
          onChange={(id) => update({ cameraId: id || null })}
        />
      </Field>
      <div className="field-row">
        <Field label="Resolution" className="field--grow">
          <Select name="broadcast-resolution" value={s.preset} choices={PRESET_CHOICES} onChange={(preset) => update({ preset })} />
        </Field>
        <Field label="Frame rate">
          <Select name="broadcast-fps" value={s.fps} choices={FPS_LIST} onChange={(fps) => update({ fps })} />
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
      <CodecChoice />
      <label className="field field--check" title="Lower the quality, then the size, while the network cannot keep up; off: always send at the quality set above">
        <input type="checkbox" data-testid="broadcast-adaptive" checked={s.adaptive} onChange={(e) => update({ adaptive: e.target.checked })} />
        <span>Adapt quality to the network</span>
      </label>
      <div className="field-row">
        <Field label="Port" className="field--port" name="broadcast-port" error={port.problem}>
          {(control) => <input {...control} {...port.input} data-testid="broadcast-port" />}
        </Field>
        <Field label="Network interface" className="field--grow">
          <Select
            name="broadcast-interface"
            value={knownHost ? s.bindHost : ALL_INTERFACES}
            choices={[
              { value: ALL_INTERFACES, label: 'All interfaces' },
              { value: '0.0.0.0', label: 'All IPv4 interfaces' },
              { value: LOOPBACK_V4, label: `This computer only (${LOOPBACK_V4})` },
              ...(hasIpv6Loopback || s.bindHost === LOOPBACK_V6 ? [{ value: LOOPBACK_V6, label: `This computer only, IPv6 (${LOOPBACK_V6})` }] : []),
              ...interfaces.map((i) => ({ value: i.address, label: `${i.name} — ${i.address}` }))
            ]}
            onChange={(bindHost) => update({ bindHost })}
          />
        </Field>
      </div>
      <AccessChoice classic={s.classic} />
      <AdvertiseChoice advertise={s.advertise} onChange={(advertise) => update({ advertise })} />
      <details className="more">
        <summary>Compatibility</summary>
        <Field label="Speak to the classic OpenCV receiver script" hint={s.classic === 'pickle' ? PICKLE_WARNING : undefined}>
          <Select name="broadcast-classic" value={s.classic} choices={CLASSIC_CHOICES} onChange={(classic) => update({ classic })} />
        </Field>
        <div className="field-row">
          <PrefixField auto={false} name="broadcast-classic-prefix" value={s.classicPrefix} disabled={s.classic === 'off'} onChange={(classicPrefix) => update({ classicPrefix })} />
          <FrameLimitField name="broadcast-frame-limit" value={s.classicFrameLimitMiB} disabled={s.classic === 'off'} onChange={(classicFrameLimitMiB) => update({ classicFrameLimitMiB })} />
        </div>
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
        {s.mjpegPort !== null ? (
          <p className="field__hint" data-testid="mjpeg-open-note">
            MJPEG is unencrypted and cannot pair: its address carries a secret token, so give it only to people who may watch.
          </p>
        ) : null}
      </details>
    </fieldset>
  )
}
