export function formatFps(fps: number | null | undefined): string {
  return fps === null || fps === undefined ? '–' : fps.toFixed(fps >= 10 ? 0 : 1)
}

export { formatRate as formatKbps } from '../../../shared/delivery-words'

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}

const MINUTE_MS = 60_000
const HOUR_MS = 60 * MINUTE_MS
const DAY_MS = 24 * HOUR_MS

/**
 * When something happened, as a person says it relative to `now` (both ms since epoch): "just now" under a minute,
 * "5 min ago", "3 h ago", "2 days ago" within a week, then the date ("3 Nov 2026"). 0 or less: "never".
 */
export function formatWhen(at: number, now: number): string {
  if (at <= 0) return 'never'
  const ago = Math.max(0, now - at)
  if (ago < MINUTE_MS) return 'just now'
  if (ago < HOUR_MS) return `${Math.floor(ago / MINUTE_MS)} min ago`
  if (ago < DAY_MS) return `${Math.floor(ago / HOUR_MS)} h ago`
  if (ago < 7 * DAY_MS) {
    const days = Math.floor(ago / DAY_MS)
    return days === 1 ? 'yesterday' : `${days} days ago`
  }
  return new Date(at).toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric' })
}
