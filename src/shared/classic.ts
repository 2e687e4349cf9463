// The two choices the classic OpenCV-script format leaves open ("Classic" in docs/protocol.md), written once for the
// broadcast side, the watch side, the session services, the command line and the windows:
//
// - the length prefix: how the script's struct.pack wrote each message's length. "Q" (8 bytes, little-endian) is the
//   tutorial's; copies of it use "L" (8 bytes on Linux and macOS, 4 on Windows), "!Q", ">L", "I", "H" and others —
//   six layouts in all (2, 4 or 8 bytes, either byte order);
// - the size limit: the largest message either side accepts. Framecast's own messages carry JPEG and stay under
//   DEFAULT_MAX_MESSAGE_BYTES (8 MiB); a classic message may carry raw pixels, and a pickled 4096×2160 BGR frame is
//   26.5 MB, so classic streams get 32 MiB by default on both ends, and a person may set 1 MiB to 1 GiB.
//
// Pure TypeScript (valibot for the schemas): the windows import it too.

import * as v from 'valibot'
import { DEFAULT_MAX_MESSAGE_BYTES } from './protocol'

export const MIB = 1024 * 1024

/** The length prefixes, in the order a tie is broken when the first messages fit two of them equally. */
export const CLASSIC_PREFIXES = ['u64le', 'u32le', 'u32be', 'u64be', 'u16le', 'u16be'] as const
export type ClassicPrefix = (typeof CLASSIC_PREFIXES)[number]
export const ClassicPrefixSchema = v.picklist(CLASSIC_PREFIXES)
/** What a watch is told: a prefix, or 'auto' to tell it from the first messages. */
export const ClassicPrefixChoiceSchema = v.picklist(['auto', ...CLASSIC_PREFIXES])
export type ClassicPrefixChoice = v.InferOutput<typeof ClassicPrefixChoiceSchema>

/** What the tutorial writes: struct.pack("Q", n). */
export const DEFAULT_CLASSIC_PREFIX: ClassicPrefix = 'u64le'

export interface PrefixLayout {
  /** Width of the length field, bytes. */
  bytes: 2 | 4 | 8
  littleEndian: boolean
  /** The largest length it can carry. */
  max: number
  /** How Python's struct format strings spell it, the most common spelling first ("Q", "<L", ">L", …). */
  struct: readonly string[]
  /** For people: "4-byte little-endian (struct "<L", "I"; "L" on Windows)". */
  label: string
}

/** A prefix in a sentence: "a 4-byte little-endian length prefix (struct "<L", "I"; "L" on Windows)". */
export function describePrefix(prefix: ClassicPrefix): string {
  const label = PREFIX_LAYOUTS[prefix].label
  const cut = label.indexOf(' (')
  return `${prefix === 'u64le' || prefix === 'u64be' ? 'an' : 'a'} ${label.slice(0, cut)} length prefix${label.slice(cut)}`
}

export const PREFIX_LAYOUTS: Readonly<Record<ClassicPrefix, PrefixLayout>> = {
  u64le: { bytes: 8, littleEndian: true, max: Number.MAX_SAFE_INTEGER, struct: ['Q', '<Q'], label: '8-byte little-endian (struct "Q"; "L" on Linux and macOS)' },
  u32le: { bytes: 4, littleEndian: true, max: 0xffff_ffff, struct: ['<L', '<I', 'I'], label: '4-byte little-endian (struct "<L", "I"; "L" on Windows)' },
  u32be: { bytes: 4, littleEndian: false, max: 0xffff_ffff, struct: ['>L', '!L', '>I', '!I'], label: '4-byte big-endian (struct ">L", "!L", "!I")' },
  u64be: { bytes: 8, littleEndian: false, max: Number.MAX_SAFE_INTEGER, struct: ['!Q', '>Q'], label: '8-byte big-endian (struct "!Q", ">Q")' },
  u16le: { bytes: 2, littleEndian: true, max: 0xffff, struct: ['H', '<H'], label: '2-byte little-endian (struct "H")' },
  u16be: { bytes: 2, littleEndian: false, max: 0xffff, struct: ['!H', '>H'], label: '2-byte big-endian (struct "!H", ">H")' }
}

/** The widest prefix, bytes. */
export const MAX_PREFIX_BYTES = 8

/**
 * A prefix as people write it: one of CLASSIC_PREFIXES or 'auto', or a struct format for one number ("Q", "<L",
 * "!I", "H", "=q"; signed codes count as their unsigned twins, since a length is never negative). Returns the prefix,
 * or a sentence saying why not — "L" alone, whose size depends on the sender's system, among them.
 */
export function parsePrefix(text: string): ClassicPrefixChoice | { problem: string } {
  const t = text.trim()
  if (t === 'auto' || (CLASSIC_PREFIXES as readonly string[]).includes(t)) return t as ClassicPrefixChoice
  const m = /^([@=<>!]?)([qQiIlLhHnN])$/.exec(t)
  if (m === null) {
    return { problem: `"${text}" is not a length prefix: give auto, a struct format such as Q, <L, !I or H, or one of ${CLASSIC_PREFIXES.join(', ')}` }
  }
  const order = m[1]!
  const code = m[2]!.toUpperCase()
  const native = order === '' || order === '@'
  if (code === 'L' && native) {
    return { problem: `"${text}" is 8 bytes on Linux and macOS but 4 on Windows: write <Q (or Q) for the first, <L for the second` }
  }
  if (code === 'N' && !native) return { problem: `"${text}": struct only allows N in native mode; write Q` }
  const bytes = code === 'Q' || code === 'N' ? 8 : code === 'H' ? 2 : 4
  // Native order is the machine's; every system the scripts run on (x86, ARM) is little-endian.
  const little = order !== '>' && order !== '!'
  return `u${bytes * 8}${little ? 'le' : 'be'}` as ClassicPrefix
}

// ---------------------------------------------------------------------------------------------------------------
// Size limit: one policy for both ends
// ---------------------------------------------------------------------------------------------------------------

/** A classic message's limit when none is chosen: a pickled 4096×2160 BGR frame (26.5 MB) with room to spare. */
export const CLASSIC_DEFAULT_MAX_MESSAGE_BYTES = 32 * MIB
/** The smallest and largest limit a person may set. */
export const MESSAGE_LIMIT_MIN_BYTES = 1 * MIB
export const MESSAGE_LIMIT_MAX_BYTES = 1024 * MIB

/** A chosen message limit, bytes: a whole number from 1 MiB to 1 GiB. */
export const MessageLimitSchema = v.pipe(
  v.number(),
  v.integer(),
  v.minValue(MESSAGE_LIMIT_MIN_BYTES, 'The size limit must be at least 1 MiB'),
  v.maxValue(MESSAGE_LIMIT_MAX_BYTES, 'The size limit must be at most 1024 MiB')
)

/**
 * The largest message (bytes, header excluded) a stream of `format` may carry: `chosen` when a person chose one,
 * else the format's default (Framecast: DEFAULT_MAX_MESSAGE_BYTES, 8 MiB; classic: 32 MiB).
 */
export function messageLimit(format: 'native' | 'classic', chosen?: number | null): number {
  if (chosen !== undefined && chosen !== null) return chosen
  return format === 'native' ? DEFAULT_MAX_MESSAGE_BYTES : CLASSIC_DEFAULT_MAX_MESSAGE_BYTES
}

/** A byte count for people: "32 MiB", "39.1 MiB", "900 KiB", "17 bytes". */
export function formatBytes(n: number): string {
  if (n >= MIB) return `${Math.round((n / MIB) * 10) / 10} MiB`
  if (n >= 1024) return `${Math.round((n / 1024) * 10) / 10} KiB`
  return `${n} bytes`
}
