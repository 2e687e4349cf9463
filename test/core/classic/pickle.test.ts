import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  ndarrayPickleHead,
  ndarrayPickleLength,
  NDARRAY_PICKLE_TAIL,
  PICKLE_MAX_OBJECTS,
  PICKLE_MAX_OPCODES,
  pickleCopyBudget,
  type PickleWork,
  readClassicPickle,
  readNdarrayPickle,
  writeNdarrayPickle
} from '../../../src/core/classic/pickle'
import { Op } from '../../../src/core/classic/pickle-ops'
import { FramecastError } from '../../../src/core/errors'
import { FIXTURES, hasNumpy, pattern, PYTHON } from '../../support/python'
import { escapeFlood, reencodeFlood, SOUP_PIECES, tuple1Flood } from '../../support/hostile-pickles'
import { NUM_RUNS } from '../../support/runs'

const fixture = (name: string): Buffer => readFileSync(join(FIXTURES, name))

function errorOf(f: () => unknown): FramecastError | undefined {
  try {
    f()
  } catch (e) {
    if (e instanceof FramecastError) return e
    throw e
  }
  return undefined
}

function codeOf(f: () => unknown): string {
  try {
    f()
  } catch (e) {
    if (e instanceof FramecastError) return e.code
    throw e
  }
  return 'no error'
}

const GOOD: Array<[string, number, number, 1 | 3 | 4]> = [
  ['bgr-np1-p2.pkl', 4, 5, 3],
  ['bgr-np1-p3.pkl', 4, 5, 3],
  ['bgr-np1-p4.pkl', 4, 5, 3],
  ['bgr-np1-p5.pkl', 4, 5, 3],
  ['bgr-np2-p2.pkl', 4, 5, 3],
  ['bgr-np2-p3.pkl', 4, 5, 3],
  ['bgr-np2-p4.pkl', 4, 5, 3],
  ['bgr-np2-p5.pkl', 4, 5, 3],
  ['gray-np1-p4.pkl', 6, 7, 1],
  ['bgra-np1-p5.pkl', 3, 2, 4],
  ['fortran-np1-p4.pkl', 4, 5, 3],
  ['fortran-np1-p5.pkl', 4, 5, 3],
  ['readonly-np1-p5.pkl', 4, 5, 3],
  ['bgr-np1-p0.pkl', 4, 5, 3],
  ['bgr-np1-p1.pkl', 4, 5, 3],
  ['bgr-np2-p0.pkl', 4, 5, 3],
  ['fortran-np1-p0.pkl', 4, 5, 3],
  ['fortran-np1-p2.pkl', 4, 5, 3]
]

const HOSTILE: Array<[string, string]> = [
  ['hostile-os-system-p2.pkl', 'posix.system'],
  ['hostile-os-system-p4.pkl', 'posix.system'],
  ['hostile-os-system-p5.pkl', 'posix.system'],
  ['hostile-eval-p4.pkl', 'builtins.eval'],
  ['subclass-p4.pkl', '__main__.Sub'],
  ['float64-p4.pkl', 'float64'],
  ['float64-p5.pkl', 'float64'],
  ['object-p4.pkl', 'object'],
  ['list-p4.pkl', 'opcode'],
  ['five-channels-p4.pkl', '5 channels'],
  ['one-dim-p4.pkl', '1 dimensions']
]

describe('the restricted pickle reader', () => {
  it.each(GOOD)('reads the committed fixture %s as a %i×%i×%i uint8 image', (name, h, w, c) => {
    const image = readNdarrayPickle(fixture(name))
    expect(image).toMatchObject({ height: h, width: w, channels: c, dtype: 'uint8' })
    expect(Buffer.from(image.data).equals(Buffer.from(pattern(h, w, c)))).toBe(true)
  })

  it('returns the pixels as a view of the input when they are in C order', () => {
    const input = fixture('bgr-np2-p4.pkl')
    const image = readNdarrayPickle(input)
    expect(image.data.buffer).toBe(input.buffer)
  })

  it.each(HOSTILE)('refuses %s with UNSUPPORTED_PICKLE and names %s', (name, why) => {
    let error: unknown
    try {
      readNdarrayPickle(fixture(name))
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(FramecastError)
    expect((error as FramecastError).code).toBe('UNSUPPORTED_PICKLE')
    expect((error as FramecastError).message).toContain(why)
  })

  it('refuses protocol 0 and 1 pickles of anything but an image, and a protocol marker for them', () => {
    expect(codeOf(() => readNdarrayPickle(Buffer.from('(lp0\nI1\na.', 'latin1')))).toBe('UNSUPPORTED_PICKLE')
    expect(codeOf(() => readNdarrayPickle(Buffer.from([0x80, 1, 0x4e, 0x2e])))).toBe('UNSUPPORTED_PICKLE')
  })

  // The reader is given whole messages: a pickle cut short is a broken frame (final), not a connection cut short.
  it('refuses every prefix of a valid pickle as a pickle that ends early', () => {
    for (const name of ['bgr-np1-p0.pkl', 'bgr-np1-p2.pkl', 'bgr-np2-p4.pkl', 'bgr-np2-p5.pkl']) {
      const full = fixture(name)
      for (let n = 0; n < full.length; n++) {
        const err = errorOf(() => readNdarrayPickle(full.subarray(0, n)))
        expect(err?.code, `${name}[:${n}]`).toBe('UNSUPPORTED_PICKLE')
        // A prefix that stops right after a complete opcode may also be refused for what is (not yet) on the stack.
        expect(err?.message, `${name}[:${n}]`).toMatch(/ends early|not end with exactly one|ends with|not an image/)
      }
    }
  })

  it('refuses bytes after STOP', () => {
    const good = fixture('bgr-np1-p3.pkl')
    expect(codeOf(() => readNdarrayPickle(Buffer.concat([good, Buffer.from([0x4e])])))).toBe('UNSUPPORTED_PICKLE')
  })

  it('refuses a shape that disagrees with the bytes it carries', () => {
    const pixels = pattern(4, 5, 3)
    const wrong = Buffer.concat([ndarrayPickleHead(4, 6, 3), pixels, NDARRAY_PICKLE_TAIL])
    wrong.writeUInt32LE(pixels.length, ndarrayPickleHead(4, 6, 3).length - 4)
    const err = (() => {
      try {
        readNdarrayPickle(wrong)
      } catch (e) {
        return e as FramecastError
      }
      return undefined
    })()
    expect(err?.code).toBe('UNSUPPORTED_PICKLE')
    expect(err?.message).toContain('needs 72 bytes but the pickle carries 60')
  })

  it('refuses a huge declared shape with MESSAGE_TOO_LARGE before touching the bytes', () => {
    const head = ndarrayPickleHead(30_000, 30_000, 3)
    const pickle = Buffer.concat([head, Buffer.alloc(12), NDARRAY_PICKLE_TAIL])
    pickle.writeUInt32LE(12, head.length - 4)
    expect(codeOf(() => readNdarrayPickle(pickle))).toBe('MESSAGE_TOO_LARGE')
    // Within the reader's own limit the same shape is still refused, as a mismatch.
    expect(codeOf(() => readNdarrayPickle(pickle, { maxBytes: 2 ** 52 }))).toBe('UNSUPPORTED_PICKLE')
  })

  it('applies its size limit to the image it is given', () => {
    const pickle = writeNdarrayPickle({ height: 4, width: 5, channels: 3, data: pattern(4, 5, 3) })
    expect(codeOf(() => readNdarrayPickle(pickle, { maxBytes: 59 }))).toBe('MESSAGE_TOO_LARGE')
    expect(readNdarrayPickle(pickle, { maxBytes: 60 }).height).toBe(4)
  })

  it('refuses a BINBYTES8 length far beyond the input as ending early, without allocating it', () => {
    const evil = Buffer.from([0x80, 0x05, 0x8e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x2e])
    expect(errorOf(() => readNdarrayPickle(evil))?.message).toMatch(/ends early \(BINBYTES8 declares/)
  })
})

describe('the pickle writer', () => {
  it.each([
    [480, 640, 3],
    [2, 3, 1],
    [3, 2, 4]
  ] as const)('writes a %i×%i×%i image that the reader returns unchanged', (h, w, c) => {
    const data = pattern(h, w, c)
    const pickle = writeNdarrayPickle({ height: h, width: w, channels: c, data })
    expect(pickle.length).toBe(ndarrayPickleLength(h, w, c))
    const image = readNdarrayPickle(pickle)
    expect(image).toMatchObject({ height: h, width: w, channels: c })
    expect(Buffer.from(image.data).equals(Buffer.from(data))).toBe(true)
  })

  it('refuses pixels that do not match the shape', () => {
    expect(codeOf(() => writeNdarrayPickle({ height: 2, width: 2, channels: 3, data: new Uint8Array(11) }))).toBe('INVALID_ARGUMENT')
  })
})

describe.skipIf(!hasNumpy)('pickles made and loaded by Python with numpy', () => {
  const dir = mkdtempSync(join(tmpdir(), 'framecast-pickles-'))
  const marker = join(dir, 'executed')
  let made: ReturnType<typeof spawnSync> | undefined
  beforeAll(() => {
    made = spawnSync(PYTHON, [join(FIXTURES, 'make.py'), dir, marker], { encoding: 'utf8' })
  })
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  it('are generated by the fixture script', () => {
    expect(made?.stderr).toBe('')
    expect(made?.status).toBe(0)
    expect(readdirSync(dir).length).toBeGreaterThan(20)
  })

  it.each(GOOD)('%s made now reads as the same %i×%i×%i image', (name, h, w, c) => {
    const image = readNdarrayPickle(readFileSync(join(dir, name)))
    expect(image).toMatchObject({ height: h, width: w, channels: c })
    expect(Buffer.from(image.data).equals(Buffer.from(pattern(h, w, c)))).toBe(true)
  })

  it('reads large frames pickled with every protocol', () => {
    const script = [
      'import pickle, sys, numpy as np',
      'a = (np.arange(720 * 1280 * 3, dtype=np.uint32) * 2654435761 % 251).astype(np.uint8).reshape(720, 1280, 3)',
      'for p in range(6): open(sys.argv[1] + "/big-p%d.pkl" % p, "wb").write(pickle.dumps(a, protocol=p))',
      'open(sys.argv[1] + "/big.raw", "wb").write(a.tobytes())'
    ].join('\n')
    const r = spawnSync(PYTHON, ['-c', script, dir], { encoding: 'utf8' })
    expect(r.status, r.stderr).toBe(0)
    const raw = readFileSync(join(dir, 'big.raw'))
    for (const p of [0, 1, 2, 3, 4, 5]) {
      const image = readNdarrayPickle(readFileSync(join(dir, `big-p${p}.pkl`)))
      expect(image).toMatchObject({ height: 720, width: 1280, channels: 3 })
      expect(Buffer.from(image.data).equals(raw), `protocol ${p}`).toBe(true)
    }
  })

  it('refuses the hostile pickles without running them, though Python would', () => {
    for (const name of ['hostile-os-system-p2.pkl', 'hostile-os-system-p4.pkl', 'hostile-os-system-p5.pkl', 'hostile-eval-p4.pkl']) {
      expect(codeOf(() => readNdarrayPickle(readFileSync(join(dir, name))))).toBe('UNSUPPORTED_PICKLE')
      expect(existsSync(marker)).toBe(false)
    }
    // The control: the same bytes given to pickle.loads do run code.
    const r = spawnSync(PYTHON, ['-c', 'import pickle, sys; pickle.loads(open(sys.argv[1], "rb").read())', join(dir, 'hostile-os-system-p4.pkl')])
    expect(r.status).toBe(0)
    expect(existsSync(marker)).toBe(true)
  })

  it('writes pickles that pickle.loads turns into the same uint8 array', () => {
    const cases = [
      [720, 1280, 3],
      [5, 7, 1],
      [3, 4, 4]
    ] as const
    for (const [h, w, c] of cases) {
      const file = join(dir, `ours-${h}x${w}x${c}.pkl`)
      writeFileSync(file, writeNdarrayPickle({ height: h, width: w, channels: c, data: pattern(h, w, c) }))
      const script = [
        'import pickle, sys, hashlib, warnings',
        'warnings.simplefilter("error")',
        'a = pickle.loads(open(sys.argv[1], "rb").read())',
        'print(type(a).__name__, a.dtype, a.shape, a.flags["C_CONTIGUOUS"], hashlib.sha256(a.tobytes()).hexdigest())'
      ].join('\n')
      const r = spawnSync(PYTHON, ['-c', script, file], { encoding: 'utf8' })
      expect(r.status, r.stderr).toBe(0)
      const shape = c === 1 ? `(${h}, ${w})` : `(${h}, ${w}, ${c})`
      const sha = createHash('sha256').update(pattern(h, w, c)).digest('hex')
      expect(r.stdout.trim()).toBe(`ndarray uint8 ${shape} True ${sha}`)
    }
  })
})

describe('fuzzing the reader', () => {
  const allowed = new Set(['UNSUPPORTED_PICKLE', 'TRUNCATED', 'MESSAGE_TOO_LARGE'])
  const seeds = readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.pkl'))
    .map((f) => fixture(f))

  function check(bytes: Uint8Array): void {
    try {
      const image = readNdarrayPickle(bytes, { maxBytes: 1 << 20 })
      expect(image.data.length).toBe(image.height * image.width * image.channels)
    } catch (e) {
      if (!(e instanceof FramecastError) || !allowed.has(e.code)) throw e
    }
  }

  it('never throws anything but a FramecastError on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 2, max: 5 }), (tail, proto) => {
        check(tail)
        check(Uint8Array.from([0x80, proto, ...tail]))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('never throws anything but a FramecastError on mutated valid pickles', () => {
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(), value: fc.constant(0) })
    )
    fc.assert(
      fc.property(fc.nat({ max: seeds.length - 1 }), fc.array(edit, { minLength: 1, maxLength: 6 }), (which, edits) => {
        const bytes = [...seeds[which]!]
        for (const e of edits) {
          const at = e.at % (bytes.length + 1)
          if (e.kind === 'flip' && at < bytes.length) bytes[at] = e.value
          else if (e.kind === 'insert') bytes.splice(at, 0, e.value)
          else if (e.kind === 'delete') bytes.splice(at, 1)
          else if (e.kind === 'cut') bytes.length = at
        }
        check(Uint8Array.from(bytes))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})

/** The stand-in for an encoded picture in the fixtures (make.py's JPEG): every byte value, and backslashes. */
const FIXTURE_JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(Array.from({ length: 256 }, (_, i) => i)), Buffer.from('\\u005c\\\\', 'latin1'), Buffer.from([0xff, 0xd9])])

describe('pickled JPEG buffers', () => {
  it.each([
    'jpeg-buffer-n1-p0.pkl',
    'jpeg-buffer-n1-p4.pkl',
    'jpeg-buffer-n-p2.pkl',
    'jpeg-buffer-n-p5.pkl',
    'jpeg-buffer-1n-p3.pkl',
    'jpeg-buffer-n11-p1.pkl',
    'jpeg-imencode-result-p4.pkl',
    'jpeg-bytes-p0.pkl',
    'jpeg-bytes-p2.pkl',
    'jpeg-bytes-p3.pkl',
    'jpeg-bytes-p5.pkl',
    'jpeg-bytearray-p0.pkl',
    'jpeg-bytearray-p2.pkl',
    'jpeg-bytearray-p4.pkl',
    'jpeg-bytearray-p5.pkl',
    'jpeg-py2-str-p0.pkl'
  ])('reads %s as the JPEG bytes it carries', (name) => {
    const picture = readClassicPickle(fixture(name))
    expect(picture.kind).toBe('jpeg')
    expect(Buffer.from((picture as { jpeg: Uint8Array }).jpeg).equals(FIXTURE_JPEG)).toBe(true)
  })

  it('hands on the JPEG of a binary pickle as a view of the input, without a copy', () => {
    const input = fixture('jpeg-buffer-n1-p4.pkl')
    const work: PickleWork = { opcodes: 0, objects: 0, copiedBytes: 0 }
    const picture = readClassicPickle(input, { work })
    expect(picture.kind === 'jpeg' && picture.jpeg.buffer === input.buffer).toBe(true)
    expect(work.copiedBytes).toBe(0)
  })

  it('names a PNG buffer instead of showing it as a strip of pixels', () => {
    const err = errorOf(() => readClassicPickle(fixture('png-buffer-n1-p4.pkl')))
    expect(err?.code).toBe('UNSUPPORTED_PICKLE')
    expect(err?.message).toMatch(/48×1: its bytes are a PNG image; Framecast shows pictures encoded as JPEG/)
  })

  it('refuses bytes that are not a JPEG, saying what they start with', () => {
    const pickle = Buffer.from([Op.PROTO, 3, Op.SHORT_BINBYTES, 3, 0x47, 0x49, 0x46, Op.STOP])
    expect(errorOf(() => readClassicPickle(pickle))?.message).toMatch(/bytes object of 3 bytes, and its bytes are not a JPEG: they start with 47 49 46/)
  })

  it('still reads an (N, 1) array that holds no JPEG as an image N pixels tall', () => {
    const pixels = pattern(6, 1, 1)
    const picture = readClassicPickle(writeNdarrayPickle({ height: 6, width: 1, channels: 1, data: pixels }))
    expect(picture).toMatchObject({ kind: 'pixels', image: { height: 6, width: 1, channels: 1 } })
  })

  it('is what readNdarrayPickle refuses: it reads images only', () => {
    expect(errorOf(() => readNdarrayPickle(fixture('jpeg-buffer-n1-p4.pkl')))?.message).toMatch(/holds a JPEG/)
  })
})

describe('the work budget', () => {
  const newWork = (): PickleWork => ({ opcodes: 0, objects: 0, copiedBytes: 0 })

  // 8 MiB of TUPLE1 after NONE made the heap grow by 800 MB and took seconds before the budget.
  it('stops 8 MiB of TUPLE1 after NONE within the opcode budget', () => {
    const soup = tuple1Flood(8 * 1024 * 1024)
    const work = newWork()
    const err = errorOf(() => readClassicPickle(soup, { maxBytes: 32 << 20, work }))
    expect(err?.code).toBe('UNSUPPORTED_PICKLE')
    expect(err?.message).toMatch(/more than 1024 opcodes/)
    expect(work.opcodes).toBe(PICKLE_MAX_OPCODES + 1)
    expect(work.objects).toBeLessThanOrEqual(2 * PICKLE_MAX_OPCODES)
  })

  it('converts a large string in the memo once, however often it is encoded again', () => {
    // memo 0 = _codecs.encode, memo 1 = (a 1 MiB str of "é", 'latin1'); then "get 0, get 1, REDUCE" over and over:
    // each REDUCE would copy half a MiB out of the UTF-8 if nothing were kept.
    const pickle = reencodeFlood(1 << 19, (1 << 20) + 200 * 9)
    const work = newWork()
    expect(errorOf(() => readClassicPickle(pickle, { maxBytes: 32 << 20, work }))?.code).toBe('UNSUPPORTED_PICKLE')
    expect(work.opcodes).toBeGreaterThan(100)
    expect(work.copiedBytes).toBe(1 << 20)
  })

  /** bytes as protocols 0–2 carry them: _codecs.encode(<the UTF-8 `text`>, 'latin1'). */
  const encodedBytes = (text: Buffer): Buffer =>
    Buffer.concat([
      Buffer.from([Op.PROTO, 2]),
      Buffer.from('c_codecs\nencode\n', 'latin1'),
      Buffer.from([Op.BINUNICODE]),
      Buffer.from(Uint32Array.of(text.length).buffer),
      text,
      Buffer.from([Op.SHORT_BINUNICODE, 6]),
      Buffer.from('latin1'),
      Buffer.from([Op.TUPLE2, Op.REDUCE, Op.STOP])
    ])

  it('turns the UTF-8 text of _codecs.encode into its latin-1 bytes, every byte value, and refuses text that is not', () => {
    const jpeg = Buffer.from([0xff, 0xd8, 0xff, ...Array.from({ length: 256 }, (_, i) => i)])
    const picture = readClassicPickle(encodedBytes(Buffer.from(jpeg.toString('latin1'), 'utf8')))
    expect(picture.kind === 'jpeg' && Buffer.from(picture.jpeg).equals(jpeg)).toBe(true)
    const beyond = Buffer.from('\u00ff\u00d8\u00ff\u0100', 'utf8')
    expect(errorOf(() => readClassicPickle(encodedBytes(beyond)))?.message).toMatch(/holds a character beyond U\+00FF/)
    const broken = Buffer.from([0xc3, 0xbf, 0xc3, 0x98, 0xc3])
    expect(errorOf(() => readClassicPickle(encodedBytes(broken)))?.message).toMatch(/is not valid UTF-8/)
  })

  it('decodes a protocol 0 str made only of escapes within the copy budget, and refuses it for not being an image', () => {
    const pickle = escapeFlood(1 << 20)
    const work = newWork()
    expect(errorOf(() => readClassicPickle(pickle, { maxBytes: 32 << 20, work }))?.message).toMatch(/not an image array/)
    expect(work.copiedBytes).toBeGreaterThan(0)
    expect(work.copiedBytes).toBeLessThanOrEqual(pickleCopyBudget(pickle.length))
  })

  it('reads every image fixture well within the budget', () => {
    for (const name of readdirSync(FIXTURES).filter((f) => /^(bgr|gray|bgra|fortran|readonly|jpeg)-/.test(f))) {
      const work = newWork()
      readClassicPickle(fixture(name), { work })
      expect(work.opcodes, name).toBeLessThanOrEqual(80)
      expect(work.objects, name).toBeLessThanOrEqual(120)
    }
  })

  /**
   * Opcode soups: the opcodes the reader knows, with arguments of the right kinds (the globals it accepts among
   * them), plus a few it does not, repeated up to thousands of times — whatever they build.
   */
  const argument = fc.oneof(
    fc.constantFrom(...SOUP_PIECES),
    fc.uint8Array({ minLength: 1, maxLength: 4 }).map((b) => Buffer.from(b))
  )
  const soup = fc.record({
    proto: fc.constantFrom(null, 2, 3, 4, 5),
    body: fc.array(argument, { minLength: 1, maxLength: 24 }),
    repeat: fc.oneof(fc.constant(1), fc.integer({ min: 2, max: 3000 })),
    stop: fc.boolean()
  })

  it('never exceeds the budget on opcode soups, and ends in a coded refusal or a picture', () => {
    fc.assert(
      fc.property(soup, ({ proto, body, repeat, stop }) => {
        const once = Buffer.concat(body)
        const bytes = Buffer.concat([proto === null ? Buffer.alloc(0) : Buffer.from([Op.PROTO, proto]), ...Array.from({ length: repeat }, () => once), Buffer.from(stop ? [Op.STOP] : [])])
        const work = newWork()
        let picture
        try {
          picture = readClassicPickle(bytes, { maxBytes: 1 << 20, work })
        } catch (e) {
          if (!(e instanceof FramecastError) || !['UNSUPPORTED_PICKLE', 'MESSAGE_TOO_LARGE'].includes(e.code)) throw e
        }
        if (picture?.kind === 'jpeg') expect([...picture.jpeg.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff])
        if (picture?.kind === 'pixels') expect(picture.image.data.length).toBe(picture.image.height * picture.image.width * picture.image.channels)
        expect(work.opcodes).toBeLessThanOrEqual(PICKLE_MAX_OPCODES + 1)
        expect(work.objects).toBeLessThanOrEqual(PICKLE_MAX_OBJECTS + 64)
        expect(work.copiedBytes).toBeLessThanOrEqual(pickleCopyBudget(bytes.length))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
