// The Watch window's statistics overlay: what the watcher reports (rates, latency, frames skipped on the way) next to
// what this window measures itself (paint rate, frames replaced before they were painted).

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
  /** the last painted frame's encoder quality (1–100, 0 when the sender did not say) and picture size */
  frameQuality: { quality: number; width: number; height: number } | null
  hasPicture: boolean
}

/** "45 % · 960 × 540"; the size alone when the sender did not state a quality; '–' before the first picture. */
function describeQuality(q: ViewerLocalStats['frameQuality']): string {
  if (q === null) return '–'
  const size = `${q.width} × ${q.height}`
  return q.quality > 0 ? `${q.quality} % · ${size}` : size
}

export function StatsOverlay({ local }: { local: ViewerLocalStats }) {
  const stats = useStore(useShallow((s) => s.watch.stats))
  const classic = useStore((s) => s.watch.status.format === 'classic')
  const rows: StatRow[] = [
    ['fps', 'Frames/s', `${formatFps(stats?.fps)} in · ${formatFps(local.paintFps)} shown`],
    ['kbps', 'Bitrate', formatKbps(stats?.kbps)],
    ['latency', 'Latency p50 / p95', `${formatMs(stats?.latencyP50Ms)} / ${formatMs(stats?.latencyP95Ms)}`],
    ['frame-latency', 'This frame', formatMs(local.frameLatencyMs)],
    ['quality', 'Quality', describeQuality(local.frameQuality)],
    ['gaps', 'Dropped by sender', stats ? formatCount(stats.gaps) : '–'],
    ['skipped-encoding', 'Skipped while encoding', stats ? formatCount(stats.skippedWhileEncoding) : '–'],
    ['replaced-before-decode', 'Skipped in viewer', formatCount(local.replacedBeforeDecode)],
    ['rtt', 'Round trip', formatMs(stats?.rttMs)]
  ]
  // Only a classic stream is encoded on this side (pickled pixels to JPEG); a Framecast stream never skips for that.
  const shown = classic ? rows : rows.filter(([key]) => key !== 'skipped-encoding')
  return (
    <dl className="overlay" data-testid="viewer-stats">
      <StatItems rows={shown} itemClassName="overlay__row" />
    </dl>
  )
}
