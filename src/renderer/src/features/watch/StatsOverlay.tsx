import { useShallow } from 'zustand/react/shallow'
import { StatItems, type StatRow } from '../../components/StatItems'
import { formatCount, formatFps, formatKbps, formatMs } from '../../lib/format'
import { useStore } from '../../store'

export interface ViewerLocalStats {
  paintFps: number
  /** frames replaced by a newer one while waiting to be decoded (FrameScheduler's replacedBeforeDecode) */
  replacedBeforeDecode: number
  /** the last painted frame's capture-to-paint estimate */
  frameLatencyMs: number | null
  hasPicture: boolean
}

export function StatsOverlay({ local }: { local: ViewerLocalStats }) {
  const stats = useStore(useShallow((s) => s.watch.stats))
  const rows: StatRow[] = [
    ['fps', 'Frames/s', `${formatFps(stats?.fps)} in · ${formatFps(local.paintFps)} shown`],
    ['kbps', 'Bitrate', formatKbps(stats?.kbps)],
    ['latency', 'Latency p50 / p95', `${formatMs(stats?.latencyP50Ms)} / ${formatMs(stats?.latencyP95Ms)}`],
    ['frame-latency', 'This frame', formatMs(local.frameLatencyMs)],
    ['dropped', 'Dropped by sender', stats ? formatCount(stats.dropped) : '–'],
    ['replaced-before-decode', 'Skipped in viewer', formatCount(local.replacedBeforeDecode)],
    ['rtt', 'Round trip', formatMs(stats?.rttMs)]
  ]
  return (
    <dl className="overlay" data-testid="viewer-stats">
      <StatItems rows={rows} itemClassName="overlay__row" />
    </dl>
  )
}
