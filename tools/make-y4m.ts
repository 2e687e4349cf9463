// Fake camera clips for Chromium's --use-file-for-fake-video-capture: YUV4MPEG2 (4:2:0), each frame carrying a
// machine-readable frame counter in its top-left corner so a test can tell which frame a viewer painted.
//
// The counter is a row of COUNTER_CELLS square cells (pure black Y=16 / pure white Y=235, neutral chroma):
//   cell 0 white, cell 1 black (reference levels), cells 2..13 the frame number (12 bits, most significant first),
//   cells 14..15 a check value (frame number mod 4). Everything else is a moving, textured picture so JPEG has
//   real content to encode.
//
// Usage: tsx tools/make-y4m.ts [--width 640] [--height 480] [--fps 30] [--frames 120] [--out e2e/.fixtures/x.y4m]

import { createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { once } from 'node:events'
import { parseArgs } from 'node:util'

export const COUNTER_CELLS = 16
export const COUNTER_BITS = 12
export const Y_BLACK = 16
export const Y_WHITE = 235

export interface ClipSpec {
  width: number
  height: number
  fps: number
  frames: number
}

/** Side of one counter cell in pixels: large enough to survive JPEG and scaling, at least 32 px. */
export function cellSize(width: number): number {
  return Math.max(32, 2 * Math.floor(width / (COUNTER_CELLS + 4) / 2))
}

/** The 16 cell values (true = white) for a frame number. */
export function counterCells(n: number): boolean[] {
  const value = n & ((1 << COUNTER_BITS) - 1)
  const cells: boolean[] = [true, false]
  for (let b = COUNTER_BITS - 1; b >= 0; b--) cells.push(((value >> b) & 1) === 1)
  const check = value % 4
  cells.push((check & 2) !== 0, (check & 1) !== 0)
  return cells
}

/** Inverse of counterCells; null when the reference cells or the check value do not match. */
export function decodeCounterCells(cells: readonly boolean[]): number | null {
  if (cells.length !== COUNTER_CELLS || cells[0] !== true || cells[1] !== false) return null
  let value = 0
  for (let i = 0; i < COUNTER_BITS; i++) value = (value << 1) | (cells[2 + i] ? 1 : 0)
  const check = (cells[14] ? 2 : 0) | (cells[15] ? 1 : 0)
  return check === value % 4 ? value : null
}

/**
 * The frame counter from the 16 cells' brightness (0..255) as read back from a picture, using cells 0 (white) and
 * 1 (black) as the reference levels; null when the picture shows no readable counter.
 */
export function counterFromLumas(lumas: readonly number[] | null): number | null {
  if (!lumas || lumas.length !== COUNTER_CELLS) return null
  const white = lumas[0]!
  const black = lumas[1]!
  if (white - black < 80) return null
  const mid = (white + black) / 2
  return decodeCounterCells(lumas.map((l) => l > mid))
}

export function y4mHeader(spec: ClipSpec): string {
  return `YUV4MPEG2 W${spec.width} H${spec.height} F${spec.fps}:1 Ip A1:1 C420jpeg\n`
}

/** One frame's planes (Y, then U, then V at half resolution), written into `out` (length w*h*3/2). */
export function renderFrame(spec: ClipSpec, n: number, out: Uint8Array): void {
  const { width: w, height: h } = spec
  const cw = w >> 1
  const ch = h >> 1
  const yPlane = out.subarray(0, w * h)
  const uPlane = out.subarray(w * h, w * h + cw * ch)
  const vPlane = out.subarray(w * h + cw * ch, w * h + 2 * cw * ch)

  // Moving diagonal bands with a fine checker texture, and a bright square travelling across.
  const shift = n * 6
  const sq = Math.floor(h / 5)
  const sqX = Math.floor(((n * 11) % (w + sq)) - sq)
  const sqY = Math.floor(h / 2 + (h / 4) * Math.sin(n / 9))
  for (let y = 0; y < h; y++) {
    const row = y * w
    for (let x = 0; x < w; x++) {
      const band = ((x + y + shift) >> 4) & 7
      const texture = ((x >> 2) ^ (y >> 2)) & 1 ? 14 : 0
      let v = 40 + band * 20 + texture
      if (x >= sqX && x < sqX + sq && y >= sqY && y < sqY + sq) v = 220
      yPlane[row + x] = v
    }
  }
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      uPlane[y * cw + x] = 128 + Math.round(60 * Math.sin((x + shift) / 40))
      vPlane[y * cw + x] = 128 + Math.round(60 * Math.cos((y - shift) / 30))
    }
  }

  // The counter: a margin of one cell around it so the picture never bleeds into the samples.
  const cell = cellSize(w)
  const cells = counterCells(n)
  const x0 = cell / 2
  const y0 = cell / 2
  for (let y = 0; y < y0 * 2 + cell && y < h; y++) {
    for (let x = 0; x < x0 * 2 + COUNTER_CELLS * cell && x < w; x++) {
      const i = Math.floor((x - x0) / cell)
      const inCell = y >= y0 && y < y0 + cell && x >= x0 && i >= 0 && i < COUNTER_CELLS
      yPlane[y * w + x] = inCell ? (cells[i] ? Y_WHITE : Y_BLACK) : 128
    }
  }
  for (let y = 0; y < (y0 * 2 + cell) / 2; y++) {
    for (let x = 0; x < (x0 * 2 + COUNTER_CELLS * cell) / 2 && x < cw; x++) {
      uPlane[y * cw + x] = 128
      vPlane[y * cw + x] = 128
    }
  }
}

/** Where the centre of counter cell i lies, as a fraction of the frame's width and height. */
export function cellCentre(spec: Pick<ClipSpec, 'width' | 'height'>, i: number): { fx: number; fy: number } {
  const cell = cellSize(spec.width)
  return { fx: (cell / 2 + i * cell + cell / 2) / spec.width, fy: (cell / 2 + cell / 2) / spec.height }
}

export async function writeY4m(file: string, spec: ClipSpec): Promise<void> {
  if (spec.width % 2 || spec.height % 2) throw new Error('width and height must be even')
  if (cellSize(spec.width) * (COUNTER_CELLS + 1) > spec.width) throw new Error('frame too narrow for the counter')
  mkdirSync(dirname(file), { recursive: true })
  const out = createWriteStream(file)
  out.write(y4mHeader(spec))
  const frameBytes = (spec.width * spec.height * 3) / 2
  for (let n = 0; n < spec.frames; n++) {
    const buf = new Uint8Array(frameBytes)
    renderFrame(spec, n, buf)
    out.write('FRAME\n')
    if (!out.write(buf)) await once(out, 'drain')
  }
  out.end()
  await once(out, 'finish')
}

export function fixturePath(spec: ClipSpec, dir = resolve(__dirname, '../e2e/.fixtures')): string {
  return resolve(dir, `counter-${spec.width}x${spec.height}-${spec.fps}fps-${spec.frames}.y4m`)
}

/** The clip for `spec`, generated once (reused while its size is right). */
export async function ensureY4m(spec: ClipSpec, dir?: string): Promise<string> {
  const file = fixturePath(spec, dir)
  const expected = y4mHeader(spec).length + spec.frames * (6 + (spec.width * spec.height * 3) / 2)
  if (!existsSync(file) || statSync(file).size !== expected) await writeY4m(file, spec)
  return file
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      width: { type: 'string', default: '640' },
      height: { type: 'string', default: '480' },
      fps: { type: 'string', default: '30' },
      frames: { type: 'string', default: '120' },
      out: { type: 'string' }
    }
  })
  const spec: ClipSpec = {
    width: Number(values.width),
    height: Number(values.height),
    fps: Number(values.fps),
    frames: Number(values.frames)
  }
  const file = values.out ? resolve(values.out) : fixturePath(spec)
  await writeY4m(file, spec)
  console.log(file)
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e)
    process.exit(1)
  })
}
