// A restricted reader and a writer for the one kind of pickle the classic OpenCV scripts exchange: a plain numpy
// uint8 image array, shape (H, W), (H, W, 1), (H, W, 3) or (H, W, 4).
//
// The reader is a small stack machine over a whitelist of opcodes. Globals are looked up in a fixed table of the
// names numpy itself writes; any other name, any other opcode, any other dtype or a shape that disagrees with the
// bytes ends in FramecastError('UNSUPPORTED_PICKLE'). Nothing is ever called or resolved dynamically: the "calls"
// it understands (REDUCE/BUILD) are pattern matches that produce plain data.

import { DEFAULT_MAX_MESSAGE_BYTES } from '../../shared/protocol'
import { FramecastError } from '../errors'

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

export interface PickleReadOptions {
  /** Largest pixel payload accepted (bytes), checked against the declared shape before anything is copied. */
  maxBytes?: number
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
  CodecsEncode
}

const GLOBALS: ReadonlyMap<string, Fn> = new Map([
  ['numpy.core.multiarray _reconstruct', Fn.Reconstruct],
  ['numpy._core.multiarray _reconstruct', Fn.Reconstruct],
  ['numpy ndarray', Fn.Ndarray],
  ['numpy dtype', Fn.Dtype],
  ['numpy.core.numeric _frombuffer', Fn.FromBuffer],
  ['numpy._core.numeric _frombuffer', Fn.FromBuffer],
  // Protocol 2 has no bytes opcode: Python 3 writes bytes as _codecs.encode(<latin-1 text>, 'latin1').
  ['_codecs encode', Fn.CodecsEncode]
])

/** Python str, kept as its UTF-8 bytes until something needs the text. */
interface Str {
  k: 'str'
  raw: Uint8Array
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
interface Ndarray {
  k: 'ndarray'
  image: NdarrayImage | null
}
type Value = null | boolean | number | Str | Bytes | Tuple | Global | Dtype | Ndarray

const Op = {
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
  BININT: 0x4a, // J
  BININT1: 0x4b, // K
  BININT2: 0x4d, // M
  LONG1: 0x8a,
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
  BINPUT: 0x71, // q
  LONG_BINPUT: 0x72, // r
  BINGET: 0x68, // h
  LONG_BINGET: 0x6a // j
} as const

/** Bounds far above what numpy writes (about 20 memo entries, stack depth 6) and far below anything costly. */
const MAX_STACK = 64
const MAX_MARKS = 16
const MAX_MEMO = 256
const MAX_NAME_BYTES = 128
const MAX_SIDE = 65_535

const utf8 = new TextDecoder('utf-8', { fatal: true })

const refuse = (why: string): FramecastError => new FramecastError('UNSUPPORTED_PICKLE', `Refused a pickle: ${why}`)
const truncated = (why: string): FramecastError =>
  new FramecastError('TRUNCATED', `The pickle ends too early: ${why}`)

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
 * Read a pickled numpy uint8 image array. Throws FramecastError: UNSUPPORTED_PICKLE for anything that is not exactly
 * such an array, TRUNCATED when the bytes stop early, MESSAGE_TOO_LARGE when the declared image exceeds maxBytes.
 */
export function readNdarrayPickle(bytes: Uint8Array, options: PickleReadOptions = {}): NdarrayImage {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES
  return new Machine(bytes, maxBytes).run()
}

/** The pickle reader for one message: runs the opcodes of `b` on a stack and returns the array it builds, or throws. */
class Machine {
  private pos = 0
  private stack: Value[] = []
  private marks: number[] = []
  private readonly memo = new Map<number, Value>()
  private readonly dv: DataView

  constructor(
    private readonly b: Uint8Array,
    private readonly maxBytes: number
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  }

  run(): NdarrayImage {
    const b = this.b
    if (b.length === 0) throw truncated('no bytes')
    if (b[0] !== Op.PROTO) throw refuse('it does not start with a protocol marker (protocols 0 and 1 are not supported)')
    this.pos = 1
    const proto = this.u8('protocol')
    if (proto < 2 || proto > 5) throw refuse(`protocol ${proto} is not supported (2 to 5 are)`)
    for (;;) {
      if (this.pos >= b.length) throw truncated('no STOP opcode')
      const op = b[this.pos++]!
      switch (op) {
        case Op.STOP:
          return this.stop()
        case Op.PROTO:
          throw refuse('a second protocol marker')
        case Op.FRAME: {
          const n = this.u64('FRAME length')
          if (n > b.length - this.pos) throw truncated(`a FRAME declares ${n} bytes but ${b.length - this.pos} remain`)
          break
        }
        case Op.MARK:
          if (this.marks.length >= MAX_MARKS) throw refuse('too many nested MARKs')
          this.marks.push(this.stack.length)
          break
        case Op.TUPLE:
          this.push({ k: 'tuple', items: this.popMark() })
          break
        case Op.EMPTY_TUPLE:
          this.push({ k: 'tuple', items: [] })
          break
        case Op.TUPLE1:
        case Op.TUPLE2:
        case Op.TUPLE3: {
          const n = op - Op.TUPLE1 + 1
          this.push({ k: 'tuple', items: this.popN(n) })
          break
        }
        case Op.NONE:
          this.push(null)
          break
        case Op.NEWTRUE:
          this.push(true)
          break
        case Op.NEWFALSE:
          this.push(false)
          break
        case Op.BININT:
          this.need(4, 'BININT')
          this.push(this.dv.getInt32(this.pos, true))
          this.pos += 4
          break
        case Op.BININT1:
          this.push(this.u8('BININT1'))
          break
        case Op.BININT2:
          this.need(2, 'BININT2')
          this.push(this.dv.getUint16(this.pos, true))
          this.pos += 2
          break
        case Op.LONG1:
          this.push(this.long1())
          break
        case Op.BINUNICODE:
          this.push({ k: 'str', raw: this.take(this.u32('BINUNICODE length'), 'BINUNICODE') })
          break
        case Op.SHORT_BINUNICODE:
          this.push({ k: 'str', raw: this.take(this.u8('SHORT_BINUNICODE length'), 'SHORT_BINUNICODE') })
          break
        case Op.BINUNICODE8:
          this.push({ k: 'str', raw: this.take(this.u64('BINUNICODE8 length'), 'BINUNICODE8') })
          break
        case Op.SHORT_BINSTRING:
        case Op.SHORT_BINBYTES:
          this.push({ k: 'bytes', data: this.take(this.u8('length'), 'SHORT_BINBYTES') })
          break
        case Op.BINSTRING: {
          this.need(4, 'BINSTRING length')
          const n = this.dv.getInt32(this.pos, true)
          this.pos += 4
          if (n < 0) throw refuse('a negative BINSTRING length')
          this.push({ k: 'bytes', data: this.take(n, 'BINSTRING') })
          break
        }
        case Op.BINBYTES:
          this.push({ k: 'bytes', data: this.take(this.u32('BINBYTES length'), 'BINBYTES') })
          break
        case Op.BINBYTES8:
        case Op.BYTEARRAY8:
          this.push({ k: 'bytes', data: this.take(this.u64('BINBYTES8 length'), 'BINBYTES8') })
          break
        case Op.GLOBAL: {
          const module = this.line('GLOBAL module')
          const name = this.line('GLOBAL name')
          this.push(this.global(module, name))
          break
        }
        case Op.STACK_GLOBAL: {
          const [m, n] = this.popN(2) as [Value, Value]
          const module = textOf(m)
          const name = textOf(n)
          if (module === undefined || name === undefined) throw refuse('STACK_GLOBAL needs two short strings')
          this.push(this.global(module, name))
          break
        }
        case Op.REDUCE: {
          const [fn, args] = this.popN(2) as [Value, Value]
          this.push(this.reduce(fn, args))
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
        case Op.BINPUT:
          this.put(this.u8('BINPUT index'))
          break
        case Op.LONG_BINPUT:
          this.put(this.u32('LONG_BINPUT index'))
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
    if (this.b.length - this.pos < n) throw truncated(`inside ${what}`)
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
    // Anything beyond the input is truncation; say so without converting a huge value.
    return v > BigInt(this.b.length) ? this.b.length + 1 : Number(v)
  }

  private take(n: number, what: string): Uint8Array {
    if (n > this.b.length - this.pos) throw truncated(`${what} declares ${n} bytes but ${this.b.length - this.pos} remain`)
    const out = this.b.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  private line(what: string): string {
    const end = this.b.indexOf(0x0a, this.pos)
    if (end < 0) throw truncated(`inside ${what}`)
    if (end - this.pos > MAX_NAME_BYTES) throw refuse(`${what} is longer than ${MAX_NAME_BYTES} bytes`)
    const raw = this.b.subarray(this.pos, end)
    this.pos = end + 1
    for (const c of raw) if (c < 0x20 || c > 0x7e) throw refuse(`${what} is not printable ASCII`)
    return String.fromCharCode(...raw)
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

  // --- stack ---------------------------------------------------------------------------------------------------

  private push(v: Value): void {
    if (this.stack.length >= MAX_STACK) throw refuse('the stack grows deeper than any image array needs')
    this.stack.push(v)
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
    if (args === null || typeof args !== 'object' || args.k !== 'tuple') throw refuse(`REDUCE with ${describe(args)} as arguments`)
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
        return { k: 'ndarray', image: null }
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
        if (a.length !== 2 || encoding !== 'latin1' || text === null || typeof text !== 'object' || text.k !== 'str') {
          throw refuse('_codecs.encode is only accepted as (text, "latin1")')
        }
        return { k: 'bytes', data: latin1FromUtf8(text.raw, this.maxBytes) }
      }
      case Fn.FromBuffer: {
        // _frombuffer(buffer, dtype, shape, order) — protocol 5 with the pixels in band.
        const [buf, dtype, shape, order] = a
        const data = bytesOf(buf)
        const o = textOf(order, 1)
        if (a.length !== 4 || data === undefined || (o !== 'C' && o !== 'F')) {
          throw refuse('_frombuffer is called with unexpected arguments')
        }
        return { k: 'ndarray', image: this.image(shape, dtype, o === 'F', data) }
      }
      case Fn.Ndarray:
        throw refuse('numpy.ndarray is called directly')
    }
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
    if (obj.k === 'ndarray' && obj.image === null) {
      // (version, shape, dtype, is_fortran, data) or the older form without the version.
      const t = s.length === 5 ? s.slice(1) : s
      if ((s.length === 5 && s[0] !== 1) || t.length !== 4) throw refuse('the array state has an unexpected layout')
      const [shape, dtype, fortran, raw] = t
      const data = bytesOf(raw)
      if (typeof fortran !== 'boolean' || data === undefined) throw refuse('the array state does not carry raw bytes')
      obj.image = this.image(shape, dtype, fortran, data)
      return
    }
    throw refuse(`BUILD on ${describe(obj)}`)
  }

  private image(shape: Value | undefined, dtype: Value | undefined, fortran: boolean, data: Uint8Array): NdarrayImage {
    if (dtype === undefined || dtype === null || typeof dtype !== 'object' || dtype.k !== 'dtype' || !dtype.built) {
      throw refuse('the array has no complete dtype')
    }
    if (!isTuple(shape) || shape.items.some((d) => typeof d !== 'number')) throw refuse('the array shape is not a tuple of integers')
    const dims = shape.items as number[]
    if (dims.length !== 2 && dims.length !== 3) throw refuse(`the array has ${dims.length} dimensions; an image has 2 or 3`)
    const [height, width, c = 1] = dims as [number, number, number?]
    if (height < 1 || width < 1 || height > MAX_SIDE || width > MAX_SIDE) {
      throw refuse(`an image of ${height}×${width} pixels (each side must be 1 to ${MAX_SIDE})`)
    }
    if (c !== 1 && c !== 3 && c !== 4) throw refuse(`an image with ${c} channels (1, 3 or 4 are accepted)`)
    const size = height * width * c
    if (size > this.maxBytes) {
      throw new FramecastError('MESSAGE_TOO_LARGE', `The pickled image is ${height}×${width}×${c} = ${size} bytes; the limit is ${this.maxBytes}`)
    }
    if (size !== data.length) throw refuse(`the shape ${height}×${width}×${c} needs ${size} bytes but the pickle carries ${data.length}`)
    const channels = c as ImageChannels
    return { height, width, channels, dtype: 'uint8', data: fortran ? fromFortran(data, height, width, channels) : data }
  }

  private stop(): NdarrayImage {
    const top = this.stack[this.stack.length - 1]
    if (this.stack.length !== 1 || this.marks.length !== 0 || top === undefined || top === null || typeof top !== 'object') {
      throw refuse('it does not end with exactly one array on the stack')
    }
    if (top.k !== 'ndarray' || top.image === null) throw refuse(`it ends with ${describe(top)}, not an image array`)
    if (this.pos !== this.b.length) throw refuse(`${this.b.length - this.pos} bytes follow STOP`)
    return top.image
  }
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

/** UTF-8 text whose code points are all ≤ 0xFF, turned into those bytes (what _codecs.encode(s, 'latin1') yields). */
function latin1FromUtf8(raw: Uint8Array, maxBytes: number): Uint8Array {
  let n = 0
  for (let i = 0; i < raw.length; i++) if ((raw[i]! & 0xc0) !== 0x80) n++
  if (n > maxBytes) throw new FramecastError('MESSAGE_TOO_LARGE', `The pickled bytes are ${n} long; the limit is ${maxBytes}`)
  const out = new Uint8Array(n)
  let o = 0
  for (let i = 0; i < raw.length; ) {
    const c = raw[i]!
    if (c < 0x80) {
      out[o++] = c
      i++
    } else if ((c === 0xc2 || c === 0xc3) && i + 1 < raw.length && (raw[i + 1]! & 0xc0) === 0x80) {
      out[o++] = ((c & 0x03) << 6) | (raw[i + 1]! & 0x3f)
      i += 2
    } else {
      throw refuse('the latin-1 text of a bytes object is not valid')
    }
  }
  return out
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
