import { spawnSync } from 'node:child_process'
import { resolve } from 'node:path'

export const PYTHON = '/usr/bin/python3'
export const FIXTURES = resolve(__dirname, '../fixtures/pickles')

function pythonHas(modules: string): boolean {
  const r = spawnSync(PYTHON, ['-c', `import ${modules}`], { stdio: 'ignore' })
  return r.status === 0
}

/** python3 with numpy (and cv2 for the second) — tests that need them are skipped cleanly when absent. */
export const hasNumpy = pythonHas('numpy')
export const hasCv2 = hasNumpy && pythonHas('cv2')

/** pattern(h, w, c)[y, x, k] = (y * 31 + x * 7 + k * 101) % 256 — the fixtures' pixels, C order. */
export function pattern(h: number, w: number, c: number): Uint8Array {
  const out = new Uint8Array(h * w * c)
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let k = 0; k < c; k++) out[(y * w + x) * c + k] = (y * 31 + x * 7 + k * 101) % 256
  return out
}
