// What a 150 KB JPEG frame costs to clone, the way Electron IPC (V8 ValueSerializer / structured clone) would.
// Prints one JSON line per case: median microseconds per frame; `baseline` is a plain memcpy of the same bytes.
// Run: npm run bench:ipc
import { deserialize, serialize } from 'node:v8'

const FRAME_BYTES = 150 * 1024
const ROUNDS = 2000

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

function time(run: () => void): number {
  for (let i = 0; i < 200; i++) run()
  const samples: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint()
    run()
    samples.push(Number(process.hrtime.bigint() - t0) / 1000)
  }
  return Math.round(median(samples) * 100) / 100
}

function frame(bytes = FRAME_BYTES): Uint8Array {
  const b = new Uint8Array(bytes)
  for (let i = 0; i < b.length; i += 97) b[i] = i & 0xff
  return b
}

const tight = frame()
const slab = new Uint8Array(1024 * 1024)
const view = slab.subarray(4096, 4096 + FRAME_BYTES)

const baseline = time(() => void tight.slice())
const cases: Record<string, () => void> = {
  uint8array: () => void structuredClone(tight),
  arraybuffer: () => void structuredClone(tight.buffer),
  uint8array_transferred: () => {
    const f = frame()
    void structuredClone(f, { transfer: [f.buffer as ArrayBuffer] })
  },
  fresh_frame_alloc_only: () => void frame(),
  v8_serialize_roundtrip: () => void deserialize(serialize(tight)),
  view_of_1mb_buffer: () => void structuredClone(view),
  view_copied_then_cloned: () => void structuredClone(view.slice())
}
for (const [name, run] of Object.entries(cases)) {
  const value = time(run)
  console.log(JSON.stringify({ name: `ipc_clone_${name}_us`, value, unit: 'µs per 150 KB frame', baseline, goal: 'info (baseline: memcpy)' }))
}
