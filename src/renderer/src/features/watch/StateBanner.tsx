import type { WatchStatus } from '../../../../shared/ipc'
import { bannerFor, securityText } from './messages'

export function StateBanner({ status }: { status: WatchStatus }) {
  const b = bannerFor(status)
  const security = securityText(status.security)
  return (
    <div
      className={`banner banner--${b.tone}`}
      data-testid="watch-banner"
      data-state={b.state}
      data-code={status.error?.code ?? undefined}
      role="status"
      aria-live="polite"
    >
      <span className="banner__dot" aria-hidden="true" />
      <div className="banner__text">
        <div className="banner__title" data-testid="watch-banner-title">
          {b.title}
        </div>
        {b.detail ? (
          <div className="banner__detail" data-testid="watch-banner-detail">
            {b.detail}
          </div>
        ) : null}
        {security !== null && (status.state === 'live' || status.state === 'stalled') ? (
          <div className={`banner__security banner__security--${security.tone}`} data-testid="watch-security" data-encrypted={status.security?.encrypted}>
            {security.text}
          </div>
        ) : null}
      </div>
    </div>
  )
}
