// What a fan-out framing's conversation may hear from any input: at most one fault, the last thing heard, with a code
// from the closed vocabulary.

import { expect } from 'vitest'
import type { Heard } from '../../src/core/fanout/framing'
import { ErrorCodes } from '../../src/shared/protocol'

const codes = new Set(Object.keys(ErrorCodes))

/** `heard` ends in at most one fault, last, with a known ErrorCode. */
export function expectAtMostOneFaultLast(heard: Heard[]): void {
  const faults = heard.filter((h) => h.type === 'fault')
  expect(faults.length).toBeLessThanOrEqual(1)
  if (faults.length === 1) {
    expect(heard.at(-1)).toBe(faults[0])
    expect(codes.has(faults[0]!.code)).toBe(true)
  }
}
