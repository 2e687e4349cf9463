import { useState } from 'react'
import { api, toApiError } from '../../lib/api'

export function StartScreen() {
  const [problem, setProblem] = useState<string | null>(null)
  const open = (role: 'broadcast' | 'watch'): void => {
    setProblem(null)
    api.openWindow({ role }).catch((e: unknown) => setProblem(toApiError(e).message))
  }
  return (
    <div className="start">
      <div className="start__brand">
        <span className="logo" aria-hidden="true" />
        <h1 className="start__title">Framecast</h1>
        <p className="start__tagline">Send a camera across your network, with almost no delay.</p>
      </div>
      <div className="start__choices">
        <button type="button" className="choice" data-testid="open-broadcast" onClick={() => open('broadcast')}>
          <span className="choice__icon choice__icon--broadcast" aria-hidden="true" />
          <span className="choice__title">Broadcast</span>
          <span className="choice__text">Share this computer’s camera</span>
        </button>
        <button type="button" className="choice" data-testid="open-watch" onClick={() => open('watch')}>
          <span className="choice__icon choice__icon--watch" aria-hidden="true" />
          <span className="choice__title">Watch</span>
          <span className="choice__text">See a camera shared from another computer</span>
        </button>
      </div>
      {problem ? (
        <p className="alert alert--bad" role="alert">
          {problem}
        </p>
      ) : null}
    </div>
  )
}
