// The Watch window's question when a private broadcaster asks for its code: six digits, typed once, sent to main
// (watch:code) while the connection waits. A wrong or replaced code brings the question back with the reason.

import { type FormEvent, useState } from 'react'
import { Field } from '../../components/Field'
import { api, toApiError } from '../../lib/api'

export function PairingPrompt({ address }: { address: string }) {
  const [code, setCode] = useState('')
  const [problem, setProblem] = useState<string | null>(null)
  const [sending, setSending] = useState(false)
  const digits = code.replace(/\D/g, '')

  async function submit(e: FormEvent): Promise<void> {
    e.preventDefault()
    if (digits.length !== 6) {
      setProblem('The code is the 6 digits shown in the Broadcast window')
      return
    }
    setProblem(null)
    setSending(true)
    try {
      await api.enterPairingCode({ code: digits })
      setCode('')
    } catch (err) {
      setProblem(toApiError(err).message)
    } finally {
      setSending(false)
    }
  }

  return (
    <form className="card pairing-prompt" data-testid="pairing-prompt" onSubmit={(e) => void submit(e)} noValidate>
      <h2 className="card__title">Pair with {address}</h2>
      <p className="muted">
        The Broadcast window on that computer shows a 6-digit code. Type it here once: the code is never sent, both sides only prove they know
        it, and the connection is encrypted.
      </p>
      <div className="watch-form__row">
        <Field label="Pairing code" className="field--code" name="pairing-code" error={problem}>
          {(control) => (
            <input
              {...control}
              data-testid="pairing-code-input"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              autoFocus
              maxLength={7}
              placeholder="123 456"
              className={`${control.className ?? ''} input--code`}
              value={code}
              onChange={(e) => setCode(e.target.value.replace(/[^\d ]/g, ''))}
            />
          )}
        </Field>
        <div className="field field--action">
          <span className="field__label" aria-hidden="true">
            &nbsp;
          </span>
          <button type="submit" className="button button--primary" data-testid="pairing-submit" disabled={sending}>
            Pair
          </button>
        </div>
      </div>
    </form>
  )
}
