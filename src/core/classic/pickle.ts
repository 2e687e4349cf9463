// A restricted reader and a writer for what the classic OpenCV scripts pickle: a numpy uint8 image array, shape
// (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) — or the JPEG they encoded first, pickled as cv2.imencode's uint8 buffer
// (any shape with one side longer than 1), as bytes or bytearray, or as imencode's whole (True, buffer) result.
//
// The reader is a small stack machine over a whitelist of opcodes (pickle-ops.ts), protocols 0 to 5. Globals are
// looked up in a fixed table of the names numpy and Python themselves write; any other name, any other opcode, any
// other dtype or a shape that disagrees with the bytes ends in FramecastError('UNSUPPORTED_PICKLE'). Nothing is ever
// called or resolved dynamically: the "calls" it understands (REDUCE/BUILD) are pattern matches that produce plain
// data. Each read works within a budget, so no input costs much more than its own size: at most PICKLE_MAX_OPCODES
// opcodes and PICKLE_MAX_OBJECTS values (an image pickle needs about 60 and 40), and copies of at most twice the
// input's bytes (the pixels of a protocol 0–2 pickle are copied out of their text once, and once more when they are
// in Fortran order); beyond it the pickle is refused.

import { isUtf8 } from 'node:buffer'
import { DEFAULT_MAX_MESSAGE_BYTES, isJpeg } from '../../shared/protocol'
import { FramecastError } from '../errors'
import { Op } from './pickle-ops'
import { type Decoded, decodeInteger, decodeRawUnicodeEscape, decodeStringLiteral, hasBackslash } from './pickle-text'

export type ImageChannels = 1 | 3 | 4

/** A decoded image array: rows of pixels, channels interleaved (BGR / BGRA for a cv2 frame), C order. */
export interface NdarrayImage {
  height: number
  width: number
  channels: ImageChannels
  dtype: 'uint8'
  /** height × width × channels bytes; a view of the input whenever the pickle carried them in C order. */
  data: Uint8Array
}

/** What a classic pickle holds: pixels to encode, or a JPEG (a view of the input, or of one copy of it). */
export type PickledPicture = { kind: 'pixels'; image: NdarrayImage } | { kind: 'jpeg'; jpeg: Uint8Array }

/** The work one read did, for tests and benchmarks. */
export interface PickleWork {
  /** Opcodes run. */
  opcodes: number
  /** Values made (tuple slots included). */
  objects: number
  /** Bytes gone through to make copies (text decoded to bytes, Fortran order rearranged); each copy is no larger. */
  copiedBytes: number
}

export interface PickleReadOptions {
  /** Largest array accepted (bytes), checked against the declared shape before anything is copied. */
  maxBytes?: number
  /** Filled in with the work done, whether the read succeeds or throws. */
  work?: PickleWork
}

/** Opcodes one pickle may run. A numpy image array takes 20 to 60 in protocols 0–5. */
export const PICKLE_MAX_OPCODES = 1024
/** Values (tuple slots included) one pickle may make. A numpy image array makes about 40. */
export const PICKLE_MAX_OBJECTS = 4096
/** Bytes one pickle of `inputBytes` bytes may have copied: twice its size, and 4 KiB for small strings. */
export function pickleCopyBudget(inputBytes: number): number {
  return 2 * inputBytes + 4096
}

// ---------------------------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------------------------

/** The only globals a pickle may name. Keys are "module name"; values say what the name stands for. */
const enum Fn {
  Reconstruct,
  Ndarray,
  Dtype,
  FromBuffer,
  CodecsEncode,
  Bytearray
}

const GLOBALS: ReadonlyMap<string, Fn> = new Map([
  ['numpy.core.multiarray _reconstruct', Fn.Reconstruct],
  ['numpy._core.multiarray _reconstruct', Fn.Reconstruct],
  ['numpy ndarray', Fn.Ndarray],
  ['numpy dtype', Fn.Dtype],
  ['numpy.core.numeric _frombuffer', Fn.FromBuffer],
  ['numpy._core.numeric _frombuffer', Fn.FromBuffer],
  // Protocols 0–2 have no bytes opcode: Python 3 writes bytes as _codecs.encode(<latin-1 text>, 'latin1').
  ['_codecs encode', Fn.CodecsEncode],
  // bytearray(bytes) in protocols 0–4 (protocol 5 has BYTEARRAY8); __builtin__ is Python 2's name, kept by pickle.
  ['builtins bytearray', Fn.Bytearray],
  ['__builtin__ bytearray', Fn.Bytearray]
])

/**
 * Python str. `latin1`: `raw` holds one byte per character (protocol 0 text, every character ≤ U+00FF); otherwise
 * `raw` is UTF-8 (the BINUNICODE opcodes). Kept as bytes until something needs the text.
 */
interface Str {
  k: 'str'
  raw: Uint8Array
  latin1: boolean
  /** _codecs.encode(this, 'latin1'), once worked out: a str in the memo encoded again costs nothing more. */
  encoded?: Uint8Array
}
interface Bytes {
  k: 'bytes'
  data: Uint8Array
}
interface Tuple {
  k: 'tuple'
  items: Value[]
}
interface Global {
  k: 'global'
  fn: Fn
  name: string
}
interface Dtype {
  k: 'dtype'
  descr: string
  built: boolean
}
/** An array's shape (each side ≥ 1, their product within the limit) and exactly its bytes, not yet rearranged. */
interface ArrayData {
  shape: number[]
  fortran: boolean
  data: Uint8Array
}
interface Ndarray {
  k: 'ndarray'
  array: ArrayData | null
}
type Value = null | boolean | number | Str | Bytes | Tuple | Global | Dtype | Ndarray

/** Bounds far above what numpy writes (about 20 memo entries, stack depth 6) and far below anything costly. */
const MAX_STACK = 64
const MAX_MARKS = 16
const MAX_MEMO = 256
const MAX_NAME_BYTES = 128
/** Longest decimal argument (INT, LONG, PUT, GET) of protocol 0. */
const MAX_DECIMAL_BYTES = 32
const MAX_SIDE = 65_535

const utf8 = new TextDecoder('utf-8', { fatal: true })

const refuse = (why: string): FramecastError => new FramecastError('UNSUPPORTED_PICKLE', `Refused a pickle: ${why}`)
/** The reader always has a whole message: a pickle that stops early is broken, not a stream cut short. */
const cutShort = (why: string): FramecastError => refuse(`it ends early (${why})`)

function describe(v: Value | undefined): string {
  if (v === undefined) return 'nothing'
  if (v === null) return 'None'
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (typeof v === 'number') return 'int'
  switch (v.k) {
    case 'str':
      return 'str'
    case 'bytes':
      return 'bytes'
    case 'tuple':
      return `tuple of ${v.items.length}`
    case 'global':
      return v.name
    case 'dtype':
      return `dtype('${v.descr}')`
    case 'ndarray':
      return 'ndarray'
  }
}

function textOf(v: Value | undefined, max = MAX_NAME_BYTES): string | undefined {
  if (v === undefined || v === null || typeof v !== 'object' || v.k !== 'str' || v.raw.length > max) return undefined
  if (v.latin1) return String.fromCharCode(...v.raw)
  try {
    return utf8.decode(v.raw)
  } catch {
    return undefined
  }
}

/** numpy dtype codes a frame might arrive with, named for the error message. */
const DTYPE_NAMES: Record<string, string> = {
  u1: 'uint8',
  i1: 'int8',
  b1: 'bool',
  u2: 'uint16',
  i2: 'int16',
  u4: 'uint32',
  i4: 'int32',
  u8: 'uint64',
  i8: 'int64',
  f2: 'float16',
  f4: 'float32',
  f8: 'float64',
  O: 'object',
  O8: 'object'
}

/**
 * Read what a classic sender pickled: an image array (`pixels`) or a JPEG (`jpeg`: cv2.imencode's buffer in any
 * shape with one side longer than 1, bytes, bytearray, or imencode's (True, buffer) result). Throws FramecastError:
 * UNSUPPORTED_PICKLE for anything else — including a pickle that ends early or exceeds the work budget —, and
 * MESSAGE_TOO_LARGE when the declared array exceeds `maxBytes`.
 */
export function readClassicPickle(bytes: Uint8Array, options: PickleReadOptions = {}): PickledPicture {
  const machine = new Machine(bytes, options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES)
  try {
    return machine.run()
  } finally {
    if (options.work) Object.assign(options.work, machine.work)
  }
}

/**
 * Read a pickled numpy uint8 image array (readClassicPickle, for pixels only: a pickled JPEG is refused with
 * UNSUPPORTED_PICKLE). Throws as readClassicPickle does.
 */
export function readNdarrayPickle(bytes: Uint8Array, options: PickleReadOptions = {}): NdarrayImage {
  const picture = readClassicPickle(bytes, options)
  if (picture.kind === 'jpeg') throw refuse('it holds a JPEG, not an image array')
  return picture.image
}

/** The pickle reader for one message: runs the opcodes of `b` on a stack and returns what it builds, or throws. */
class Machine {
  readonly work: PickleWork = { opcodes: 0, objects: 0, copiedBytes: 0 }
  private pos = 0
  private stack: Value[] = []
  private marks: number[] = []
  private readonly memo = new Map<number, Value>()
  private readonly dv: DataView
  private readonly copyBudget: number

  constructor(
    private readonly b: Uint8Array,
    private readonly maxBytes: number
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
    this.copyBudget = pickleCopyBudget(b.length)
  }

  run(): PickledPicture {
    const b = this.b
    if (b.length === 0) throw cutShort('no bytes')
    // Protocols 2–5 start with PROTO; protocols 0 and 1 have no marker and start with their first opcode.
    if (b[0] === Op.PROTO) {
      this.pos = 1
      const proto = this.u8('protocol')
      if (proto < 2 || proto > 5) throw refuse(`protocol ${proto} is not supported (0 to 5 are)`)
    }
    for (;;) {
      if (this.pos >= b.length) throw cutShort('no STOP opcode')
      if (++this.work.opcodes > PICKLE_MAX_OPCODES) {
        throw refuse(`it runs more than ${PICKLE_MAX_OPCODES} opcodes (an image array needs about 60)`)
      }
      const op = b[this.pos++]!
      switch (op) {
        case Op.STOP:
          return this.stop()
        case Op.PROTO:
          throw refuse('a second protocol marker')
        case Op.FRAME: {
          const n = this.u64('FRAME length')
          if (n > b.length - this.pos) throw cutShort(`a FRAME declares ${n} bytes but ${b.length - this.pos} remain`)
          break
        }
        case Op.MARK:
          if (this.marks.length >= MAX_MARKS) throw refuse('too many nested MARKs')
          this.marks.push(this.stack.length)
          break
        case Op.TUPLE:
          this.pushNew({ k: 'tuple', items: this.popMark() })
          break
        case Op.EMPTY_TUPLE:
          this.pushNew({ k: 'tuple', items: [] })
          break
        case Op.TUPLE1:
        case Op.TUPLE2:
        case Op.TUPLE3: {
          const n = op - Op.TUPLE1 + 1
          this.pushNew({ k: 'tuple', items: this.popN(n) })
          break
        }
        case Op.NONE:
          this.pushNew(null)
          break
        case Op.NEWTRUE:
          this.pushNew(true)
          break
        case Op.NEWFALSE:
          this.pushNew(false)
          break
        case Op.INT:
        case Op.LONG:
          this.pushNew(this.decoded(decodeInteger(this.decimalLine(op === Op.INT ? 'INT' : 'LONG'), op === Op.LONG)))
          break
        case Op.BININT:
          this.need(4, 'BININT')
          this.pushNew(this.dv.getInt32(this.pos, true))
          this.pos += 4
          break
        case Op.BININT1:
          this.pushNew(this.u8('BININT1'))
          break
        case Op.BININT2:
          this.need(2, 'BININT2')
          this.pushNew(this.dv.getUint16(this.pos, true))
          this.pos += 2
          break
        case Op.LONG1:
          this.pushNew(this.long1())
          break
        case Op.UNICODE:
          this.pushNew(this.unicodeLine())
          break
        case Op.STRING:
          this.pushNew({ k: 'bytes', data: this.stringLine() })
          break
        case Op.BINUNICODE:
          this.pushNew({ k: 'str', raw: this.take(this.u32('BINUNICODE length'), 'BINUNICODE'), latin1: false })
          break
        case Op.SHORT_BINUNICODE:
          this.pushNew({ k: 'str', raw: this.take(this.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE'), latin1: false })
          break
        case Op.BINUNICODE8:
          this.pushNew({ k: 'str', raw: this.take(this.u64('BINUNICODE8 length'), 'BINUNICODE8'), latin1: false })
          break
        case Op.SHORT_BINSTRING:
        case Op.SHORT_BINBYTES:
          this.pushNew({ k: 'bytes', data: this.take(this.u8('length'), 'SHORT_BINBYTES') })
          break
        case Op.BINSTRING: {
          this.need(4, 'BINSTRING length')
          const n = this.dv.getInt32(this.pos, true)
          this.pos += 4
          if (n < 0) throw refuse('a negative BINSTRING length')
          this.pushNew({ k: 'bytes', data: this.take(n, 'BINSTRING') })
          break
        }
        case Op.BINBYTES:
          this.pushNew({ k: 'bytes', data: this.take(this.u32('BINBYTES length'), 'BINBYTES') })
          break
        case Op.BINBYTES8:
        case Op.BYTEARRAY8:
          this.pushNew({ k: 'bytes', data: this.take(this.u64('BINBYTES8 length'), 'BINBYTES8') })
          break
        case Op.GLOBAL: {
          const module = this.nameLine('GLOBAL module')
          const name = this.nameLine('GLOBAL name')
          this.pushNew(this.global(module, name))
          break
        }
        case Op.STACK_GLOBAL: {
          const [m, n] = this.popN(2) as [Value, Value]
          const module = textOf(m)
          const name = textOf(n)
          if (module === undefined || name === undefined) throw refuse('STACK_GLOBAL needs two short strings')
          this.pushNew(this.global(module, name))
          break
        }
        case Op.REDUCE: {
          const [fn, args] = this.popN(2) as [Value, Value]
          this.pushNew(this.reduce(fn, args))
          break
        }
        case Op.BUILD: {
          const [obj, state] = this.popN(2) as [Value, Value]
          this.build(obj, state)
          this.push(obj)
          break
        }
        case Op.MEMOIZE:
          this.put(this.memo.size)
          break
        case Op.PUT:
          this.put(this.memoIndex(this.decoded(decodeInteger(this.decimalLine('PUT'), true))))
          break
        case Op.BINPUT:
          this.put(this.u8('BINPUT index'))
          break
        case Op.LONG_BINPUT:
          this.put(this.u32('LONG_BINPUT index'))
          break
        case Op.GET:
          this.push(this.get(this.memoIndex(this.decoded(decodeInteger(this.decimalLine('GET'), true)))))
          break
        case Op.BINGET:
          this.push(this.get(this.u8('BINGET index')))
          break
        case Op.LONG_BINGET:
          this.push(this.get(this.u32('LONG_BINGET index')))
          break
        default:
          throw refuse(`opcode 0x${op.toString(16).padStart(2, '0')} at byte ${this.pos - 1} is not one numpy writes for an image array`)
      }
    }
  }

  // --- bytes ---------------------------------------------------------------------------------------------------

  private need(n: number, what: string): void {
    if (this.b.length - this.pos < n) throw cutShort(`inside ${what}`)
  }

  private u8(what: string): number {
    this.need(1, what)
    return this.b[this.pos++]!
  }

  private u32(what: string): number {
    this.need(4, what)
    const v = this.dv.getUint32(this.pos, true)
    this.pos += 4
    return v
  }

  private u64(what: string): number {
    this.need(8, what)
    const v = this.dv.getBigUint64(this.pos, true)
    this.pos += 8
    // Anything beyond the input is a pickle cut short; say so without converting a huge value.
    return v > BigInt(this.b.length) ? this.b.length + 1 : Number(v)
  }

  private take(n: number, what: string): Uint8Array {
    if (n > this.b.length - this.pos) throw cutShort(`${what} declares ${n} bytes but ${this.b.length - this.pos} remain`)
    const out = this.b.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /**
   * The text up to the next "\n" (consumed, not returned). With `max`, a longer line is refused after looking at no
   * more than max + 1 bytes; without, the line is an argument that is consumed whole, so scanning it stays linear.
   */
  private line(what: string, max?: number): Uint8Array {
    const limit = max === undefined ? this.b.length : Math.min(this.b.length, this.pos + max + 1)
    const end = this.b.subarray(0, limit).indexOf(0x0a, this.pos)
    if (end < 0) {
      if (limit < this.b.length) throw refuse(`${what} is longer than ${max} bytes`)
      throw cutShort(`inside ${what}`)
    }
    const raw = this.b.subarray(this.pos, end)
    this.pos = end + 1
    return raw
  }

  private nameLine(what: string): string {
    const raw = this.line(what, MAX_NAME_BYTES)
    for (const c of raw) if (c < 0x20 || c > 0x7e) throw refuse(`${what} is not printable ASCII`)
    return String.fromCharCode(...raw)
  }

  private decimalLine(what: string): Uint8Array {
    return this.line(what, MAX_DECIMAL_BYTES)
  }

  private textLine(what: string): Uint8Array {
    return this.line(what)
  }

  /** UNICODE: raw-unicode-escape text, kept as latin-1 bytes — a view when it has no escapes, else one copy. */
  private unicodeLine(): Str {
    const raw = this.textLine('UNICODE')
    if (!hasBackslash(raw)) return { k: 'str', raw, latin1: true }
    this.spend(raw.length, 'UNICODE')
    return { k: 'str', raw: this.decoded(decodeRawUnicodeEscape(raw)), latin1: true }
  }

  /** STRING: a quoted Python 2 str literal as bytes — a view when it has no escapes, else one copy. */
  private stringLine(): Uint8Array {
    const line = this.textLine('STRING')
    if (!hasBackslash(line)) return stripQuotes(line)
    this.spend(line.length, 'STRING')
    return this.decoded(decodeStringLiteral(line))
  }

  private decoded<T>(d: Decoded<T>): T {
    if ('problem' in d) throw refuse(d.problem)
    return d.value
  }

  private memoIndex(v: number | boolean): number {
    if (typeof v !== 'number' || v < 0 || v > 0xffff_ffff) throw refuse('a memo index out of range')
    return v
  }

  private long1(): number {
    const n = this.u8('LONG1 length')
    if (n > 6) throw refuse(`an integer of ${n} bytes`)
    const raw = this.take(n, 'LONG1')
    if (n === 0) return 0
    let v = 0
    for (let i = n - 1; i >= 0; i--) v = v * 256 + raw[i]!
    if (raw[n - 1]! & 0x80) v -= 2 ** (8 * n)
    return v
  }

  /**
   * Count the `n` bytes a copy is about to go through (the text it decodes or the pixels it rearranges; what it
   * allocates is never more) against the budget, before allocating anything.
   */
  private spend(n: number, what: string): void {
    if (this.work.copiedBytes + n > this.copyBudget) {
      throw refuse(`${what} would copy more than ${this.copyBudget} bytes, twice the pickle's size`)
    }
    this.work.copiedBytes += n
  }

  // --- stack ---------------------------------------------------------------------------------------------------

  private push(v: Value): void {
    if (this.stack.length >= MAX_STACK) throw refuse('the stack grows deeper than any image array needs')
    this.stack.push(v)
  }

  /** Push a value this opcode made: it counts against the object budget, a tuple with its slots. */
  private pushNew(v: Value): void {
    this.work.objects += 1 + (v !== null && typeof v === 'object' && v.k === 'tuple' ? v.items.length : 0)
    if (this.work.objects > PICKLE_MAX_OBJECTS) throw refuse(`it makes more than ${PICKLE_MAX_OBJECTS} values (an image array needs about 40)`)
    this.push(v)
  }

  private floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0
  }

  private popN(n: number): Value[] {
    if (this.stack.length - this.floor() < n) throw refuse('an opcode needs more values than are on the stack')
    return this.stack.splice(this.stack.length - n, n)
  }

  private popMark(): Value[] {
    const m = this.marks.pop()
    if (m === undefined) throw refuse('TUPLE without a MARK')
    return this.stack.splice(m)
  }

  private put(index: number): void {
    if (this.stack.length === this.floor()) throw refuse('memoize with an empty stack')
    if (!this.memo.has(index) && this.memo.size >= MAX_MEMO) throw refuse('too many memo entries')
    this.memo.set(index, this.stack[this.stack.length - 1]!)
  }

  private get(index: number): Value {
    if (!this.memo.has(index)) throw refuse(`memo entry ${index} was never stored`)
    return this.memo.get(index)!
  }

  // --- the patterns numpy writes -------------------------------------------------------------------------------

  private global(module: string, name: string): Global {
    const fn = GLOBALS.get(`${module} ${name}`)
    if (fn === undefined) throw refuse(`it names ${module}.${name}, which is not part of a numpy image array`)
    return { k: 'global', fn, name: `${module}.${name}` }
  }

  private reduce(fn: Value, args: Value): Value {
    if (fn === null || typeof fn !== 'object' || fn.k !== 'global') throw refuse(`REDUCE calls ${describe(fn)}`)
    if (!isTuple(args)) throw refuse(`REDUCE with ${describe(args)} as arguments`)
    const a = args.items
    switch (fn.fn) {
      case Fn.Reconstruct: {
        // _reconstruct(ndarray, (0,), b'b') makes an empty array that BUILD fills.
        const [cls, shape, typecode] = a
        const ok =
          a.length === 3 &&
          isGlobal(cls, Fn.Ndarray) &&
          isTuple(shape) &&
          shape.items.length === 1 &&
          shape.items[0] === 0 &&
          (bytesOf(typecode)?.length === 1 || textOf(typecode, 1) !== undefined)
        if (!ok) throw refuse('_reconstruct is called with arguments other than (numpy.ndarray, (0,), b"b")')
        return { k: 'ndarray', array: null }
      }
      case Fn.Dtype: {
        const descr = textOf(a[0], 16)
        if (a.length !== 3 || descr === undefined || typeof a[1] !== 'boolean' || typeof a[2] !== 'boolean') {
          throw refuse('numpy.dtype is called with unexpected arguments')
        }
        if (descr !== 'u1') {
          const known = DTYPE_NAMES[descr]
          throw refuse(`the array's dtype is ${known ?? `'${descr}'`}; only uint8 images are accepted`)
        }
        return { k: 'dtype', descr, built: false }
      }
      case Fn.CodecsEncode: {
        const encoding = textOf(a[1], 16)
        const text = a[0]
        if (a.length !== 2 || (encoding !== 'latin1' && encoding !== 'latin-1') || text === null || typeof text !== 'object' || text.k !== 'str') {
          throw refuse('_codecs.encode is only accepted as (text, "latin1")')
        }
        return { k: 'bytes', data: this.latin1Of(text) }
      }
      case Fn.Bytearray: {
        const data = bytesOf(a[0])
        if (a.length !== 1 || data === undefined) throw refuse('bytearray is called with arguments other than one bytes object')
        return { k: 'bytes', data }
      }
      case Fn.FromBuffer: {
        // _frombuffer(buffer, dtype, shape, order) — protocol 5 with the pixels in band.
        const [buf, dtype, shape, order] = a
        const data = bytesOf(buf)
        const o = textOf(order, 1)
        if (a.length !== 4 || data === undefined || (o !== 'C' && o !== 'F')) {
          throw refuse('_frombuffer is called with unexpected arguments')
        }
        return { k: 'ndarray', array: this.array(shape, dtype, o === 'F', data) }
      }
      case Fn.Ndarray:
        throw refuse('numpy.ndarray is called directly')
    }
  }

  /**
   * What _codecs.encode(text, 'latin1') yields: protocol 0 text is those bytes already; UTF-8 text is converted once
   * (its bytes counted against the budget) and the result kept with the str.
   */
  private latin1Of(text: Str): Uint8Array {
    if (text.latin1) return text.raw
    if (text.encoded !== undefined) return text.encoded
    const raw = text.raw
    this.spend(raw.length, '_codecs.encode')
    // Validated natively first (simdutf), the conversion is one branch per character: twice as fast as TextDecoder
    // and latin-1 encoding (8 Mi characters: 140–310 ms against 400–740 ms on a loaded machine), in one copy.
    if (!isUtf8(raw)) throw refuse('the latin-1 text of a bytes object is not valid UTF-8')
    const out = new Uint8Array(raw.length)
    let o = 0
    for (let i = 0; i < raw.length; ) {
      const c = raw[i]!
      if (c < 0x80) {
        out[o++] = c
        i++
      } else if (c < 0xc4) {
        // Valid UTF-8 puts only lead bytes here: C2 or C3 and one continuation byte, U+0080 to U+00FF.
        out[o++] = ((c & 0x03) << 6) | (raw[i + 1]! & 0x3f)
        i += 2
      } else {
        throw refuse('the latin-1 text of a bytes object holds a character beyond U+00FF')
      }
    }
    if (o > this.maxBytes) throw new FramecastError('MESSAGE_TOO_LARGE', `The pickled bytes are ${o} long; the limit is ${this.maxBytes}`)
    text.encoded = out.subarray(0, o)
    return text.encoded
  }

  private build(obj: Value, state: Value): void {
    if (obj === null || typeof obj !== 'object') throw refuse(`BUILD on ${describe(obj)}`)
    if (!isTuple(state)) throw refuse(`BUILD with ${describe(state)} as state`)
    const s = state.items
    if (obj.k === 'dtype' && !obj.built) {
      // (version, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata])
      const version = s[0]
      const order = textOf(s[1], 1)
      const plain =
        (s.length === 8 || s.length === 9) &&
        (version === 3 || version === 4) &&
        order !== undefined &&
        '|<>='.includes(order) &&
        s[2] === null &&
        s[3] === null &&
        s[4] === null &&
        s[5] === -1 &&
        s[6] === -1 &&
        s[7] === 0 &&
        (s.length === 8 || s[8] === null)
      if (!plain) throw refuse('the dtype is not a plain uint8 (structured, sub-array or flagged dtypes are refused)')
      obj.built = true
      return
    }
    if (obj.k === 'ndarray' && obj.array === null) {
      // (version, shape, dtype, is_fortran, data) or the older form without the version.
      const t = s.length === 5 ? s.slice(1) : s
      if ((s.length === 5 && s[0] !== 1) || t.length !== 4) throw refuse('the array state has an unexpected layout')
      const [shape, dtype, fortran, raw] = t
      const data = bytesOf(raw)
      if (typeof fortran !== 'boolean' || data === undefined) throw refuse('the array state does not carry raw bytes')
      obj.array = this.array(shape, dtype, fortran, data)
      return
    }
    throw refuse(`BUILD on ${describe(obj)}`)
  }

  /** A uint8 array of `shape` (1 to 3 sides, each ≥ 1) whose bytes are exactly `data`, checked before any copy. */
  private array(shape: Value | undefined, dtype: Value | undefined, fortran: boolean, data: Uint8Array): ArrayData {
    if (dtype === undefined || dtype === null || typeof dtype !== 'object' || dtype.k !== 'dtype' || !dtype.built) {
      throw refuse('the array has no complete dtype')
    }
    if (!isTuple(shape) || shape.items.some((d) => typeof d !== 'number')) throw refuse('the array shape is not a tuple of integers')
    const dims = shape.items as number[]
    if (dims.length < 1 || dims.length > 3) throw refuse(`the array has ${dims.length} dimensions; an image has 2 or 3`)
    if (dims.some((d) => d < 1)) throw refuse(`an empty array of shape ${dims.join('×')}`)
    let size = 1
    for (const d of dims) {
      size *= d
      if (size > this.maxBytes) {
        throw new FramecastError('MESSAGE_TOO_LARGE', `The pickled array is ${dims.join('×')} = ${dims.reduce((p, q) => p * q, 1)} bytes; the limit is ${this.maxBytes}`)
      }
    }
    if (size !== data.length) throw refuse(`the shape ${dims.join('×')} needs ${size} bytes but the pickle carries ${data.length}`)
    return { shape: dims, fortran, data }
  }

  private stop(): PickledPicture {
    if (this.stack.length !== 1 || this.marks.length !== 0) throw refuse('it does not end with exactly one array on the stack')
    if (this.pos !== this.b.length) throw refuse(`${this.b.length - this.pos} bytes follow STOP`)
    let top = this.stack[0]
    // cv2.imencode returns (True, buffer); some senders pickle that whole.
    if (isTuple(top) && top.items.length === 2 && top.items[0] === true) top = top.items[1]
    if (top !== undefined && top !== null && typeof top === 'object') {
      if (top.k === 'bytes') {
        if (isJpeg(top.data)) return { kind: 'jpeg', jpeg: top.data }
        throw refuse(`it holds a bytes object of ${top.data.length} bytes, and ${notJpeg(top.data)}`)
      }
      if (top.k === 'ndarray' && top.array !== null) return this.picture(top.array)
    }
    throw refuse(`it ends with ${describe(top)}, not an image array`)
  }

  /** An array at STOP: a JPEG buffer (one side longer than 1, JPEG bytes), else an image. */
  private picture({ shape, fortran, data }: ArrayData): PickledPicture {
    const buffer = shape.filter((d) => d > 1).length <= 1
    if (buffer && isJpeg(data)) return { kind: 'jpeg', jpeg: data }
    if (buffer && otherFormat(data) !== undefined) throw refuse(`an array of shape ${shape.join('×')}: ${notJpeg(data)}`)
    if (shape.length === 1) throw refuse(`the array has 1 dimensions; an image has 2 or 3 (${notJpeg(data)})`)
    const [height, width, c = 1] = shape as [number, number, number?]
    if (height > MAX_SIDE || width > MAX_SIDE) {
      throw refuse(`an image of ${height}×${width} pixels (each side must be 1 to ${MAX_SIDE})${buffer ? `, and ${notJpeg(data)}` : ''}`)
    }
    if (c !== 1 && c !== 3 && c !== 4) throw refuse(`an image with ${c} channels (1, 3 or 4 are accepted)`)
    const channels = c as ImageChannels
    if (fortran) this.spend(data.length, 'rearranging Fortran-order pixels')
    return { kind: 'pixels', image: { height, width, channels, dtype: 'uint8', data: fortran ? fromFortran(data, height, width, channels) : data } }
  }
}

/** Signatures of the encoded pictures cv2.imencode makes besides JPEG, to name them in a refusal. */
const OTHER_FORMATS: ReadonlyArray<[string, number[]]> = [
  ['PNG', [0x89, 0x50, 0x4e, 0x47]],
  ['WebP', [0x52, 0x49, 0x46, 0x46]],
  ['BMP', [0x42, 0x4d]],
  ['TIFF', [0x49, 0x49, 0x2a, 0x00]],
  ['TIFF', [0x4d, 0x4d, 0x00, 0x2a]]
]

/** The name of the encoded-picture format `data` starts like, other than JPEG. */
function otherFormat(data: Uint8Array): string | undefined {
  return OTHER_FORMATS.find(([, sig]) => sig.every((b, i) => data[i] === b))?.[0]
}

/** Why bytes that are not a JPEG are no picture Framecast shows: another format cv2 encodes, or what they start with. */
function notJpeg(data: Uint8Array): string {
  const other = otherFormat(data)
  if (other) return `its bytes are a ${other} image; Framecast shows pictures encoded as JPEG, cv2.imencode('.jpg', frame)`
  const start = [...data.subarray(0, 4)].map((b) => b.toString(16).padStart(2, '0')).join(' ')
  return `its bytes are not a JPEG: they start with ${start || 'nothing'}`
}

/** A quoted STRING without escapes: the bytes between the quotes (a view), or a refusal when it is not quoted. */
function stripQuotes(line: Uint8Array): Uint8Array {
  const q = line[0]
  if (line.length < 2 || (q !== 0x27 && q !== 0x22) || line[line.length - 1] !== q) throw refuse('a STRING argument is not quoted')
  return line.subarray(1, line.length - 1)
}

function isTuple(v: Value | undefined): v is Tuple {
  return v !== undefined && v !== null && typeof v === 'object' && v.k === 'tuple'
}

function isGlobal(v: Value | undefined, fn: Fn): boolean {
  return v !== undefined && v !== null && typeof v === 'object' && v.k === 'global' && v.fn === fn
}

function bytesOf(v: Value | undefined): Uint8Array | undefined {
  return v !== undefined && v !== null && typeof v === 'object' && v.k === 'bytes' ? v.data : undefined
}

/** Fortran-order pixels (the first index varies fastest) rearranged into C order. */
function fromFortran(data: Uint8Array, height: number, width: number, channels: number): Uint8Array {
  const out = new Uint8Array(data.length)
  const plane = height * width
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dst = (y * width + x) * channels
      const src = y + x * height
      for (let c = 0; c < channels; c++) out[dst + c] = data[src + c * plane]!
    }
  }
  return out
}

// ---------------------------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------------------------

/**
 * Protocol 3 with the numpy 1.x global names: every Python 3 loads it, numpy 1.x resolves the names directly and
 * numpy 2.x through the aliases it keeps in numpy.core.multiarray for old pickles. The pixels go in one BINBYTES.
 */
const latin = (s: string): Buffer => Buffer.from(s, 'latin1')

const HEAD_START = Buffer.concat([
  Buffer.from([Op.PROTO, 3]),
  latin('cnumpy.core.multiarray\n_reconstruct\n'),
  latin('cnumpy\nndarray\n'),
  Buffer.from([Op.BININT1, 0, Op.TUPLE1, Op.SHORT_BINBYTES, 1, 0x62, Op.TUPLE3, Op.REDUCE, Op.MARK, Op.BININT1, 1])
])
const HEAD_DTYPE = Buffer.concat([
  latin('cnumpy\ndtype\n'),
  Buffer.from([Op.BINUNICODE, 2, 0, 0, 0]),
  latin('u1'),
  Buffer.from([Op.NEWFALSE, Op.NEWTRUE, Op.TUPLE3, Op.REDUCE, Op.MARK, Op.BININT1, 3, Op.BINUNICODE, 1, 0, 0, 0]),
  latin('|'),
  Buffer.from([Op.NONE, Op.NONE, Op.NONE, Op.BININT, 0xff, 0xff, 0xff, 0xff, Op.BININT, 0xff, 0xff, 0xff, 0xff]),
  Buffer.from([Op.BININT1, 0, Op.TUPLE, Op.BUILD, Op.NEWFALSE, Op.BINBYTES])
])

/** What follows the pixels: close the state tuple, BUILD the array, STOP. */
export const NDARRAY_PICKLE_TAIL: Buffer = Buffer.from([Op.TUPLE, Op.BUILD, Op.STOP])

/**
 * The bytes before the pixels of a pickled (height, width, channels) uint8 array; (height, width) for one channel,
 * as cv2 shapes a grey image. Write head, pixels (height × width × channels, C order), NDARRAY_PICKLE_TAIL.
 */
export function ndarrayPickleHead(height: number, width: number, channels: ImageChannels): Buffer {
  for (const [what, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) throw new FramecastError('INVALID_ARGUMENT', `${what} ${v} is out of range`)
  }
  if (height * width * channels > 0xffffffff) throw new FramecastError('INVALID_ARGUMENT', `a ${height}×${width}×${channels} image is too large to pickle`)
  const dims = channels === 1 ? [height, width] : [height, width, channels]
  const shape = Buffer.alloc(dims.length * 5 + 1)
  dims.forEach((d, i) => {
    shape[i * 5] = Op.BININT
    shape.writeInt32LE(d, i * 5 + 1)
  })
  shape[dims.length * 5] = dims.length === 2 ? Op.TUPLE2 : Op.TUPLE3
  const length = Buffer.alloc(4)
  length.writeUInt32LE(height * width * channels)
  return Buffer.concat([HEAD_START, shape, HEAD_DTYPE, length])
}

/** Total pickle length for an image of this shape. */
export function ndarrayPickleLength(height: number, width: number, channels: ImageChannels): number {
  return ndarrayPickleHead(height, width, channels).length + height * width * channels + NDARRAY_PICKLE_TAIL.length
}

/** One buffer holding the whole pickle of `image` (one copy of the pixels). */
export function writeNdarrayPickle(image: Pick<NdarrayImage, 'height' | 'width' | 'channels' | 'data'>): Buffer {
  const { height, width, channels, data } = image
  if (data.length !== height * width * channels) {
    throw new FramecastError('INVALID_ARGUMENT', `${height}×${width}×${channels} needs ${height * width * channels} bytes, got ${data.length}`)
  }
  return Buffer.concat([ndarrayPickleHead(height, width, channels), data, NDARRAY_PICKLE_TAIL])
}
