// Runs the `framecast` command from source in this process (`node --expose-gc --import tsx
// test/support/memory-probe.ts broadcast …`) and reports its memory for soak tests: every PROBE_EVERY_MS, after a full
// garbage collection, one JSON line `{"atMs","heapUsed","external","rss"}` (bytes) on file descriptor 3.

import { writeSync } from 'node:fs'
import { run } from '../../src/cli/framecast'

const PROBE_EVERY_MS = 250
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('memory-probe needs node --expose-gc')
const t0 = performance.now()
setInterval(() => {
  gc()
  const m = process.memoryUsage()
  const line = { atMs: Math.round(performance.now() - t0), heapUsed: m.heapUsed, external: m.external, rss: m.rss }
  try {
    writeSync(3, `${JSON.stringify(line)}\n`)
  } catch {
    // The test stopped listening.
  }
}, PROBE_EVERY_MS).unref()
run()
