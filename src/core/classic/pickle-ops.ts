// The pickle opcodes Framecast reads or writes, by their names in CPython's Lib/pickle.py (and pickletools): the few
// that numpy, Python's bytes and bytearray, and cv2.imencode's result need in protocols 0 to 5. Anything else is
// refused by the reader, whatever it would do in pickle.loads.

/** Opcode bytes; the comment gives the ASCII letter where there is one (protocols 0 and 1 are text-like). */
export const Op = {
  PROTO: 0x80,
  FRAME: 0x95,
  STOP: 0x2e, // .
  MARK: 0x28, // (
  TUPLE: 0x74, // t
  EMPTY_TUPLE: 0x29, // )
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  NONE: 0x4e, // N
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,
  INT: 0x49, // I (protocol 0: decimal text; "00" and "01" are False and True)
  LONG: 0x4c, // L (protocol 0: decimal text with a trailing L)
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  LONG1: 0x8a,
  STRING: 0x53, // S (protocol 0 Python 2 str: a quoted literal)
  UNICODE: 0x56, // V (protocol 0 str: raw-unicode-escape text)
  BINUNICODE: 0x58, // X
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE8: 0x8d,
  SHORT_BINSTRING: 0x55, // U (Python 2 str)
  BINSTRING: 0x54, // T (Python 2 str)
  SHORT_BINBYTES: 0x43, // C
  BINBYTES: 0x42, // B
  BINBYTES8: 0x8e,
  BYTEARRAY8: 0x96,
  GLOBAL: 0x63, // c
  STACK_GLOBAL: 0x93,
  REDUCE: 0x52, // R
  BUILD: 0x62, // b
  MEMOIZE: 0x94,
  PUT: 0x70, // p (protocol 0: decimal text)
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  GET: 0x67, // g (protocol 0: decimal text)
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a // j
} as const
