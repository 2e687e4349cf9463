// Hostile pickles built to make a naive pickle reader work or allocate far beyond their size, for the reader's budget
// tests and `npm run bench:pickle`: each cheap to build at any size, each refused by the restricted reader.

import { Op } from '../../src/core/classic/pickle-ops'

/** `bytes` bytes: PROTO 4, NONE, then TUPLE1 to the end — each 1-byte opcode a new tuple holding the last. No STOP. */
export function tuple1Flood(bytes: number): Buffer {
  const b = Buffer.alloc(bytes, Op.TUPLE1)
  b.set([Op.PROTO, 4, Op.NONE])
  return b
}

/**
 * About `bytes` bytes (never fewer than one repeat): a str of `chars` "é" (2 bytes each in UTF-8) kept in the memo
 * with _codecs.encode, then "MARK, get encode, get (str, 'latin1'), REDUCE, TUPLE, TUPLE1, TUPLE1" as often as fits,
 * and STOP: each REDUCE would encode the whole str again. Ends with a tuple, not an image.
 */
export function reencodeFlood(chars: number, bytes: number): Buffer {
  const head = Buffer.concat([
    Buffer.from([Op.PROTO, 2]),
    Buffer.from('c_codecs\nencode\n', 'latin1'),
    Buffer.from([Op.BINPUT, 0, Op.BINUNICODE]),
    Buffer.from(Uint32Array.of(2 * chars).buffer),
    Buffer.from('é'.repeat(chars), 'utf8'),
    Buffer.from([Op.SHORT_BINUNICODE, 6]),
    Buffer.from('latin1'),
    Buffer.from([Op.TUPLE2, Op.BINPUT, 1, Op.NONE])
  ])
  const again = Buffer.from([Op.MARK, Op.BINGET, 0, Op.BINGET, 1, Op.REDUCE, Op.TUPLE, Op.TUPLE1, Op.TUPLE1])
  const repeats = Math.max(1, Math.floor((bytes - head.length - 1) / again.length))
  const body = Buffer.alloc(repeats * again.length)
  for (let at = 0; at < body.length; at += again.length) again.copy(body, at)
  return Buffer.concat([head, body, Buffer.from([Op.STOP])])
}

/** `bytes` bytes: one protocol 0 str (UNICODE) of "\u00ff" escapes, its newline and STOP. Ends with a str. */
export function escapeFlood(bytes: number): Buffer {
  const unit = Buffer.from('\\u00ff', 'latin1')
  const b = Buffer.alloc(bytes)
  b[0] = Op.UNICODE
  for (let at = 1; at + unit.length < bytes - 2; at += unit.length) unit.copy(b, at)
  b.set([0x0a, Op.STOP], bytes - 2)
  return b
}

/**
 * Pieces of opcode soups: the opcodes the reader knows, with arguments of the right kinds (the globals it accepts among
 * them, protocol 0 text included).
 */
const KNOWN_PIECES: readonly Buffer[] = [
  ...[
    'cnumpy\nndarray\n',
    'cnumpy\ndtype\n',
    'cnumpy.core.multiarray\n_reconstruct\n',
    'c_codecs\nencode\n',
    'cbuiltins\nbytearray\n',
    'I01\n',
    'I00\n',
    'I3\n',
    'L-1L\n',
    'Vlatin1\n',
    'Vu1\n',
    'V|\n',
    "S'\\xff\\xd8\\xff'\n",
    'p0\n',
    'g0\n'
  ].map((t) => Buffer.from(t, 'latin1')),
  ...[
    [Op.MARK],
    [Op.TUPLE],
    [Op.EMPTY_TUPLE],
    [Op.TUPLE1],
    [Op.TUPLE2],
    [Op.TUPLE3],
    [Op.NONE],
    [Op.NEWTRUE],
    [Op.NEWFALSE],
    [Op.REDUCE],
    [Op.BUILD],
    [Op.MEMOIZE],
    [Op.BININT1, 1],
    [Op.BININT1, 3],
    [Op.BININT, 0xff, 0xff, 0xff, 0xff],
    [Op.BININT2, 0x10, 0x00],
    [Op.BINPUT, 0],
    [Op.BINGET, 0],
    [Op.BINGET, 1],
    [Op.SHORT_BINBYTES, 1, 0x62],
    [Op.SHORT_BINBYTES, 3, 0xff, 0xd8, 0xff],
    [Op.SHORT_BINUNICODE, 2, 0x75, 0x31],
    [Op.SHORT_BINUNICODE, 1, 0x43],
    [Op.STACK_GLOBAL],
    [Op.FRAME, 4, 0, 0, 0, 0, 0, 0, 0]
  ].map((b) => Buffer.from(b))
]

/** KNOWN_PIECES and a few pieces the reader refuses at once: a global it never resolves, APPEND, NEWOBJ. */
export const SOUP_PIECES: readonly Buffer[] = [...KNOWN_PIECES, Buffer.from('cos\nsystem\n', 'latin1'), Buffer.from([0x61]), Buffer.from([0x81])]

/**
 * `bytes` bytes: PROTO 4, then pieces the reader knows (none it refuses at once) chosen by a linear congruential
 * generator from `seed`.
 */
export function opcodeSoup(bytes: number, seed = 13): Buffer {
  const b = Buffer.alloc(bytes)
  b.set([Op.PROTO, 4])
  for (let at = 2; at < bytes; ) {
    seed = (seed * 1103515245 + 12345) >>> 0
    const p = KNOWN_PIECES[seed % KNOWN_PIECES.length]!
    b.set(p.subarray(0, bytes - at), at)
    at += p.length
  }
  return b
}
