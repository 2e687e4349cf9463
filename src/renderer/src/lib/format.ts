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
