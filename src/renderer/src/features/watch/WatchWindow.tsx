import { useEffect } from 'react'
import type { WatchMode } from '../../../../shared/ipc'
import { api, toApiError } from '../../lib/api'
import { formatHostPort } from '../../../../shared/address'
import { useStore } from '../../store'
import { DeviceList } from '../../components/DeviceList'
import { PairingPrompt } from './PairingPrompt'
import { frameLimitBytes } from '../../store/settings'
import { StateBanner } from './StateBanner'
import { Viewer } from './Viewer'
import { WatchForm } from './WatchForm'

export function WatchWindow() {
  const status = useStore((s) => s.watch.status)
  const busy = useStore((s) => s.watch.busy)
  const active = status.state !== 'idle' && status.state !== 'error'

  useEffect(() => {
    const { setWatchStatus, setWatchStats } = useStore.getState()
    const offState = api.onWatchState(setWatchStatus)
    const offStats = api.onWatchStats(setWatchStats)
    return () => {
      offState()
      offStats()
    }
  }, [])

  useEffect(() => {
    document.title = status.state === 'idle' ? 'Framecast — Watch' : `Framecast — Watch ${formatHostPort(status.host, status.port)}`
  }, [status.state, status.host, status.port])

  async function connect(target: { host: string; port: number; mode: WatchMode; address: string }): Promise<void> {
    const s = useStore.getState()
    s.setWatchBusy(true)
    s.rememberPartner(target.address)
    s.setWatchStatus({ ...s.watch.status, state: 'connecting', host: target.host, port: target.port, attempt: 1, error: null, info: null, format: null })
    try {
      const { watchClassicPrefix, watchFrameLimitMiB } = s.settings
      await api.startWatch({
        host: target.host,
        port: target.port,
        mode: target.mode,
        classicPrefix: watchClassicPrefix,
        maxMessageBytes: frameLimitBytes(watchFrameLimitMiB)
      })
    } catch (e) {
      const err = toApiError(e)
      useStore.getState().setWatchStatus({ ...useStore.getState().watch.status, state: 'error', error: { code: err.code, message: err.message } })
    } finally {
      useStore.getState().setWatchBusy(false)
    }
  }

  async function disconnect(): Promise<void> {
    const s = useStore.getState()
    s.setWatchBusy(true)
    try {
      await api.stopWatch({})
    } catch {
      // Stopping a watch that main already ended is fine.
    } finally {
      useStore.getState().resetWatch()
    }
  }

  return (
    <div className="page page--watch">
      <header className="page__header">
        <h1 className="page__title">Watch</h1>
      </header>
      <WatchForm active={active} busy={busy} onConnect={(t) => void connect(t)} onDisconnect={() => void disconnect()} />
      <StateBanner status={status} />
      {status.state === 'pairing' ? <PairingPrompt key={`${status.host}:${status.port}:${status.attempt}`} address={formatHostPort(status.host, status.port)} /> : null}
      <Viewer state={status.state} info={status.info} label={status.host ? formatHostPort(status.host, status.port) : 'framecast'} />
      <details className="more">
        <summary>Paired broadcasters</summary>
        <DeviceList role="broadcaster" title="Broadcasters this device paired with" empty="None yet: the first connection to a private broadcaster asks for its code." />
      </details>
    </div>
  )
}
