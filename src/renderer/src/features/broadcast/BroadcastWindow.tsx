import { useEffect, useRef } from 'react'
import { readPort } from '../../../../shared/address'
import { api } from '../../lib/api'
import { useStore } from '../../store'
import { errorSentence, messageContext } from '../watch/messages'
import { DeviceList } from '../../components/DeviceList'
import { BroadcastSettings } from './BroadcastSettings'
import { useCameras } from './cameras'
import { disposeBroadcast, retryCamera, setAdaptive, setQuality, startBroadcast, stopBroadcast } from './controller'
import { LivePanel } from './LivePanel'

const PHASE_LABEL = { idle: 'Not broadcasting', starting: 'Starting…', live: 'Live', stopping: 'Stopping…' } as const

export function BroadcastWindow() {
  const videoRef = useRef<HTMLVideoElement>(null)
  const phase = useStore((s) => s.broadcast.phase)
  const status = useStore((s) => s.broadcast.status)
  const error = useStore((s) => s.broadcast.error)
  const camera = useStore((s) => s.broadcast.camera)
  const port = useStore((s) => s.settings.port)
  const bindHost = useStore((s) => s.settings.bindHost)
  const quality = useStore((s) => s.settings.quality)
  const adaptive = useStore((s) => s.settings.adaptive)
  const { cameras, refresh } = useCameras()
  const live = phase === 'live'

  useEffect(() => {
    const off = api.onBroadcastStatus((st) => useStore.getState().setBroadcastStatus(st))
    const stop = (): void => disposeBroadcast()
    window.addEventListener('pagehide', stop)
    document.title = 'Framecast — Broadcast'
    return () => {
      off()
      window.removeEventListener('pagehide', stop)
      disposeBroadcast()
    }
  }, [])

  useEffect(() => {
    if (phase === 'live') refresh()
  }, [phase, refresh])

  useEffect(() => setQuality(quality), [quality])
  useEffect(() => setAdaptive(adaptive), [adaptive])

  const start = (): void => {
    if (videoRef.current) void startBroadcast(videoRef.current)
  }
  const errorText = error ? errorSentence(error, messageContext(bindHost === '::' || bindHost === '0.0.0.0' ? null : bindHost, port)) : null

  return (
    <div className="page page--broadcast">
      <header className="page__header">
        <h1 className="page__title">Broadcast</h1>
        <span className={`pill pill--${phase}`} data-testid="broadcast-phase" data-phase={phase}>
          {PHASE_LABEL[phase]}
        </span>
      </header>
      <div className="broadcast">
        <div className="broadcast__side">
          <BroadcastSettings cameras={cameras} locked={phase !== 'idle'} />
          <div className="actions">
            {phase === 'idle' || phase === 'starting' ? (
              <button
                type="button"
                className="button button--primary button--wide"
                data-testid="broadcast-start"
                disabled={phase === 'starting' || readPort(String(port)).port === null}
                onClick={start}
              >
                {phase === 'starting' ? 'Starting…' : 'Start broadcasting'}
              </button>
            ) : (
              <button
                type="button"
                className="button button--danger button--wide"
                data-testid="broadcast-stop"
                disabled={phase === 'stopping'}
                onClick={() => void stopBroadcast()}
              >
                Stop
              </button>
            )}
          </div>
          {errorText ? (
            <div className="alert alert--bad" role="alert" data-testid="broadcast-error" data-code={error?.code}>
              {errorText}
            </div>
          ) : null}
          {camera ? (
            <div className="alert alert--warn" role="alert" data-testid="camera-problem" data-kind={camera.kind}>
              <strong>{camera.title}</strong>
              <p>{camera.detail}</p>
              {camera.retry ? (
                <button
                  type="button"
                  className="button button--small"
                  data-testid="camera-retry"
                  onClick={() => videoRef.current && void retryCamera(videoRef.current)}
                >
                  Retry
                </button>
              ) : null}
            </div>
          ) : null}
        </div>
        <div className="broadcast__main">
          <div
            className={live ? (camera ? 'preview preview--problem' : 'preview preview--live') : 'preview'}
            data-testid="broadcast-preview-frame"
            data-camera={camera ? camera.kind : 'ok'}
          >
            <video className="preview__video" ref={videoRef} data-testid="broadcast-preview" muted playsInline autoPlay />
            {!live ? (
              <div className="preview__empty">
                {phase === 'starting' ? 'Opening the camera…' : 'Your camera’s picture appears here once you start.'}
              </div>
            ) : camera ? (
              <div className="preview__empty preview__problem" data-testid="preview-camera-problem">
                <strong>{camera.title}</strong>
                <span>Viewers stay connected; the picture resumes when the camera is back.</span>
              </div>
            ) : (
              <span className="preview__badge" data-testid="preview-live-badge">
                LIVE
              </span>
            )}
          </div>
          {live && status ? <LivePanel status={status} /> : null}
          {phase === 'idle' ? (
            <details className="more" data-testid="idle-paired-devices">
              <summary>Paired devices</summary>
              <DeviceList role="viewer" title="Paired devices" empty="No device has paired yet: start a private broadcast and type its code on the other device." />
            </details>
          ) : null}
        </div>
      </div>
    </div>
  )
}
