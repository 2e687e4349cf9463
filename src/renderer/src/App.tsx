import { roleFromHash, type WindowRole } from '../../shared/ipc'
import { BroadcastWindow } from './features/broadcast/BroadcastWindow'
import { StartScreen } from './features/start/StartScreen'
import { WatchWindow } from './features/watch/WatchWindow'
import { hasApi, MISSING_API_MESSAGE } from './lib/api'

export function MissingApi() {
  return (
    <div className="start">
      <div className="alert alert--bad" role="alert" data-testid="missing-api">
        <strong>Framecast cannot start here</strong>
        <p>{MISSING_API_MESSAGE}</p>
      </div>
    </div>
  )
}

export function App({ role = roleFromHash(location.hash) }: { role?: WindowRole }) {
  if (!hasApi()) return <MissingApi />
  switch (role) {
    case 'broadcast':
      return <BroadcastWindow />
    case 'watch':
      return <WatchWindow />
    default:
      return <StartScreen />
  }
}
