// Pickle reader benchmark: `npm run bench:pickle`. Prints one JSON object per line:
//   {"name", "value", "unit", "baseline", "goal"}
// What the restricted pickle reader spends on hostile pickles as large as a classic watch accepts by default
// (32 MiB), each built to make a naive reader work or allocate far beyond its size:
// - tuple1: NONE, then 32 MiB of TUPLE1 (each one byte, each a new tuple holding the last);
// - reencode: a 16 MiB str kept in the memo, then _codecs.encode(str, 'latin1') called on it over and over;
// - escapes: one protocol 0 str of 32 MiB of "\u00ff" escapes;
// - soup: 32 MiB of random opcodes the reader knows, with arguments.
// Time is compared with copying the same bytes once (what receiving them costs anyway), memory with their size; a
// valid 4K pickle read in the same run is printed for scale.

import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { type PickleWork, readClassicPickle, writeNdarrayPickle } from '../src/core/classic/pickle'
import { CLASSIC_DEFAULT_MAX_MESSAGE_BYTES, MIB } from '../src/shared/classic'
import { escapeFlood, opcodeSoup, reencodeFlood, tuple1Flood } from '../test/support/hostile-pickles'

v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void
const SIZE = CLASSIC_DEFAULT_MAX_MESSAGE_BYTES
const RUNS = 5

function print(name: string, value: number, unit: string, baseline: number | null, goal: string): void {
  const round = (n: number): number => Math.round(n * 100) / 100
  console.log(JSON.stringify({ name, value: round(value), unit, baseline: baseline === null ? null : round(baseline), goal }))
}

/** Median time (ms) and the memory it left allocated (MB, JS heap and buffers) of `read` over RUNS runs. */
function measure(read: () => void): { ms: number; mb: number } {
  const times: number[] = []
  let mb = 0
  for (let i = 0; i < RUNS; i++) {
    gc()
    const before = process.memoryUsage()
    const t = performance.now()
    read()
    times.push(performance.now() - t)
    const after = process.memoryUsage()
    mb = Math.max(mb, (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / MIB)
  }
  return { ms: times.sort((a, b) => a - b)[RUNS >> 1]!, mb }
}

function refuse(bytes: Buffer): PickleWork {
  const work: PickleWork = { opcodes: 0, objects: 0, copiedBytes: 0 }
  try {
    readClassicPickle(bytes, { maxBytes: SIZE, work })
  } catch {
    return work
  }
  throw new Error('a hostile pickle was read')
}

const inputs: Array<[string, Buffer]> = [
  ['tuple1', tuple1Flood(SIZE)],
  ['reencode', reencodeFlood(8 * MIB, SIZE)],
  ['escapes', escapeFlood(SIZE)],
  ['soup', opcodeSoup(SIZE)]
]
for (const [name, bytes] of inputs) {
  const copy = measure(() => void Buffer.from(bytes))
  const cost = measure(() => void refuse(bytes))
  const size = bytes.length / MIB
  print(`pickle_hostile_${name}_32mib_ms`, cost.ms, 'ms', copy.ms, `< copying it once + 5 ms`)
  print(`pickle_hostile_${name}_32mib_mb`, cost.mb, 'MB', size, '< 2 x its size + 5 MB')
}
const uhd = writeNdarrayPickle({ height: 2160, width: 3840, channels: 3, data: Buffer.alloc(2160 * 3840 * 3, 7) })
const valid = measure(() => void readClassicPickle(uhd, { maxBytes: SIZE }))
const uhdCopy = measure(() => void Buffer.from(uhd))
print('pickle_valid_4k_ms', valid.ms, 'ms', uhdCopy.ms, '< copying it once (the pixels are a view)')
