import { type ClipboardEvent, type FormEvent, useState } from 'react'
import { useShallow } from 'zustand/react/shallow'
import type { WatchMode } from '../../../../shared/ipc'
import { readPort, splitHostPort } from '../../../../shared/address'
import { FrameLimitField, PrefixField } from '../../components/ClassicOptions'
import { Field } from '../../components/Field'
import { type Choice, Select } from '../../components/Select'
import { useStore } from '../../store'
import { Discovered, watchModeFor } from './Discovered'
import { checkPartner, fieldsFromAddress, hostError } from './partner'

export interface WatchFormProps {
  /** A stream is running or being set up: fields are locked, the button says Disconnect. */
  active: boolean
  busy: boolean
  onConnect: (target: { host: string; port: number; mode: WatchMode; address: string }) => void
  onDisconnect: () => void
}

const MODES: Choice<WatchMode>[] = [
  { value: 'auto', label: 'Automatic' },
  { value: 'native', label: 'Framecast' },
  { value: 'classic', label: 'Classic (OpenCV script)' }
]

export function WatchForm({ active, busy, onConnect, onDisconnect }: WatchFormProps) {
  const saved = useStore(
    useShallow((s) => ({ host: s.settings.watchHost, port: s.settings.watchPort, mode: s.settings.watchMode }))
  )
  const recent = useStore((s) => s.settings.recent)
  const classic = useStore(useShallow((s) => ({ prefix: s.settings.watchClassicPrefix, limit: s.settings.watchFrameLimitMiB })))
  const updateSettings = useStore((s) => s.updateSettings)
  const forgetPartner = useStore((s) => s.forgetPartner)
  const [host, setHost] = useState(saved.host)
  const [port, setPort] = useState(saved.port)
  const [touched, setTouched] = useState({ host: false, port: false })
  const [submitted, setSubmitted] = useState(false)

  const showHost = touched.host || submitted
  const showPort = touched.port || submitted
  const split = splitHostPort(host)
  const hostMsg = showHost ? hostError(split ? split.host : host) : null
  const portMsg = showPort || (split && showHost) ? readPort(split ? split.port : port).problem : null

  // What both text fields share: no browser autofill, locked while watching.
  const textInput = { type: 'text', autoComplete: 'off', disabled: active } as const

  function fill(h: string, p: string): void {
    setHost(h)
    setPort(p)
    setTouched({ host: true, port: true })
  }

  function onPaste(e: ClipboardEvent<HTMLInputElement>): void {
    const text = e.clipboardData.getData('text')
    const split = splitHostPort(text)
    if (split) {
      e.preventDefault()
      fill(split.host, split.port)
    }
  }

  function onSubmit(e: FormEvent): void {
    e.preventDefault()
    if (active) {
      onDisconnect()
      return
    }
    setSubmitted(true)
    connect(host, port, saved.mode)
  }

  function connect(hostText: string, portText: string, mode: WatchMode): void {
    const r = checkPartner(hostText, portText)
    if (!r.ok) return
    setHost(r.host)
    setPort(String(r.port))
    updateSettings({ watchHost: r.host, watchPort: String(r.port), watchMode: mode })
    onConnect({ host: r.host, port: r.port, mode, address: r.address })
  }

  return (
    <form className="watch-form" data-testid="watch-form" onSubmit={onSubmit} noValidate>
      <div className="watch-form__row">
        <Field label="Partner’s IP address or name" className="field--grow" name="watch-host" error={hostMsg}>
          {(control) => (
            <input
              data-testid="watch-host"
              {...control}
              {...textInput}
              inputMode="url"
              spellCheck={false}
              placeholder="192.168.1.20"
              value={host}
              onChange={(e) => setHost(e.target.value)}
              onBlur={() => {
                const split = splitHostPort(host)
                if (split) fill(split.host, split.port)
                else setTouched((t) => ({ ...t, host: host !== '' || t.host }))
              }}
              onPaste={onPaste}
            />
          )}
        </Field>
        <Field label="Port" className="field--port" name="watch-port" error={portMsg}>
          {(control) => (
            <input
              data-testid="watch-port"
              {...control}
              {...textInput}
              inputMode="numeric"
              value={port}
              onChange={(e) => setPort(e.target.value)}
              onBlur={() => setTouched((t) => ({ ...t, port: true }))}
            />
          )}
        </Field>
        <Field label="Kind of stream" className="field--mode">
          <Select name="watch-mode" value={saved.mode} choices={MODES} disabled={active} onChange={(watchMode) => updateSettings({ watchMode })} />
        </Field>
        <div className="field field--action">
          <span className="field__label" aria-hidden="true">
            &nbsp;
          </span>
          <button
            type="submit"
            data-testid={active ? 'watch-disconnect' : 'watch-connect'}
            className={active ? 'button button--secondary' : 'button button--primary'}
            disabled={busy}
          >
            {active ? 'Disconnect' : 'Connect'}
          </button>
        </div>
      </div>
      <details className="more">
        <summary>Compatibility</summary>
        <div className="field-row">
          <PrefixField auto name="watch-classic-prefix" value={classic.prefix} disabled={active || saved.mode === 'native'} onChange={(watchClassicPrefix) => updateSettings({ watchClassicPrefix })} />
          <FrameLimitField name="watch-frame-limit" value={classic.limit} disabled={active} onChange={(watchFrameLimitMiB) => updateSettings({ watchFrameLimitMiB })} />
        </div>
      </details>
      {recent.length > 0 ? (
        <div className="recent" data-testid="recent-partners">
          <span className="recent__label">Recent</span>
          <ul className="recent__list">
            {recent.map((address) => (
              <li key={address} className="chip">
                <button
                  type="button"
                  className="chip__fill"
                  data-testid="recent-partner"
                  data-address={address}
                  disabled={active}
                  onClick={() => {
                    const f = fieldsFromAddress(address)
                    fill(f.host, f.port || port)
                  }}
                >
                  {address}
                </button>
                <button
                  type="button"
                  className="chip__remove"
                  aria-label={`Forget ${address}`}
                  title="Forget"
                  onClick={() => forgetPartner(address)}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      <Discovered hidden={active} onChoose={(b) => connect(b.host, String(b.port), watchModeFor(b.kind, saved.mode))} />
    </form>
  )
}
