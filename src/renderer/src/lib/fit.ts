export interface Rect {
  x: number
  y: number
  w: number
  h: number
}

/** The largest rectangle with the source's aspect ratio that fits in the destination, centred (letterbox). */
export function fitRect(srcW: number, srcH: number, dstW: number, dstH: number): Rect {
  if (srcW <= 0 || srcH <= 0 || dstW <= 0 || dstH <= 0) return { x: 0, y: 0, w: 0, h: 0 }
  const scale = Math.min(dstW / srcW, dstH / srcH)
  const w = Math.round(srcW * scale)
  const h = Math.round(srcH * scale)
  return { x: Math.floor((dstW - w) / 2), y: Math.floor((dstH - h) / 2), w, h }
}
