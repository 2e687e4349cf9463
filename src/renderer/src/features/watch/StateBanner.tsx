import type { WatchStatus } from '../../../../shared/ipc'
import { bannerFor } from './messages'

export function StateBanner({ status }: { status: WatchStatus }) {
  const b = bannerFor(status)
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
      </div>
    </div>
  )
}
