import sharp from 'sharp'

/**
 * `count` distinct width × height JPEGs at `quality` of a fixed pseudo-random noise (no randomness between runs):
 * pictures that compress poorly, so their size shows what keeping or re-encoding them costs.
 */
export async function noisyJpegs(width: number, height: number, count: number, quality: number): Promise<Buffer[]> {
  const raw = Buffer.alloc(width * height * 3)
  const out: Buffer[] = []
  for (let k = 0; k < count; k++) {
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 13 + k * 71 + ((i * 2654435761) >>> 25)) & 0xff
    out.push(await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality }).toBuffer())
  }
  return out
}
