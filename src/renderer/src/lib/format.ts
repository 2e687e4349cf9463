export function formatFps(fps: number | null | undefined): string {
  return fps === null || fps === undefined ? '–' : fps.toFixed(fps >= 10 ? 0 : 1)
}

export function formatKbps(kbps: number | null | undefined): string {
  if (kbps === null || kbps === undefined) return '–'
  return kbps >= 1000 ? `${(kbps / 1000).toFixed(1)} Mbit/s` : `${Math.round(kbps)} kbit/s`
}

export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–'
  return `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US')
}
