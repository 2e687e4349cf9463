// What a 150 KB JPEG frame costs to clone, the way Electron IPC (V8 ValueSerializer / structured clone) would.
// Prints one JSON line per case: median microseconds per frame; `baseline` is a plain memcpy of the same bytes.
// Run: npx tsx bench/ipc-clone.ts
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
  'structuredClone(Uint8Array)': () => void structuredClone(tight),
  'structuredClone(ArrayBuffer)': () => void structuredClone(tight.buffer),
  'structuredClone(Uint8Array, {transfer})': () => {
    const f = frame()
    void structuredClone(f, { transfer: [f.buffer as ArrayBuffer] })
  },
  'fresh frame alloc only (transfer baseline)': () => void frame(),
  'v8 serialize+deserialize(Uint8Array)': () => void deserialize(serialize(tight)),
  'structuredClone(150 KB view of a 1 MB buffer)': () => void structuredClone(view),
  'copy view to tight + structuredClone': () => void structuredClone(view.slice())
}
for (const [name, run] of Object.entries(cases)) {
  console.log(JSON.stringify({ bench: 'ipc-clone', case: name, frameBytes: FRAME_BYTES, medianUs: time(run), baseline: { case: 'memcpy (Uint8Array.slice)', medianUs: baseline } }))
}
