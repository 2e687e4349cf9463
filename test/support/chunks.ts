// Cutting a byte stream into chunks, for tests that must hold whatever the chunking.

/** `bytes` cut at the given offsets (taken modulo length + 1, deduplicated, sorted); empty pieces are kept. */
export function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b)
  const out: Uint8Array[] = []
  let last = 0
  for (const p of points) {
    out.push(bytes.subarray(last, p))
    last = p
  }
  out.push(bytes.subarray(last))
  return out
}
