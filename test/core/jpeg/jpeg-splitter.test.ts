import { spawnSync } from 'node:child_process'
import fc from 'fast-check'
import sharp from 'sharp'
import { beforeAll, describe, expect, it } from 'vitest'
import { JpegSplitter } from '../../../src/core/jpeg/jpeg-splitter'
import { jpegSize } from '../../../src/core/jpeg/jpeg'
import { cutPoints, splitAt } from '../../support/chunks'
import { NUM_RUNS } from '../../support/runs'

const hasFfmpeg = spawnSync('ffmpeg', ['-version'], { stdio: 'ignore' }).status === 0

async function jpeg(i: number, width = 64, height = 48): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3)
  for (let p = 0; p < raw.length; p++) raw[p] = (p * 7 + i * 53) % 256
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 70 }).toBuffer()
}

/** The same JPEG with an APP1 segment holding another whole JPEG (as an EXIF thumbnail does). */
function withThumbnail(outer: Buffer, thumb: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), thumb])
  const app1 = Buffer.alloc(4)
  app1.writeUInt16BE(0xffe1, 0)
  app1.writeUInt16BE(body.length + 2, 2)
  return Buffer.concat([outer.subarray(0, 2), app1, body, outer.subarray(2)])
}

/** Buffers compared as hex: fast, and a readable diff when they differ. */
const hex = (list: Array<Buffer | undefined>): string[] => list.map((b) => b?.toString('hex') ?? 'missing')

function splitAll(chunks: Uint8Array[], maxBytes?: number): { images: Buffer[]; splitter: JpegSplitter } {
  const splitter = new JpegSplitter(maxBytes === undefined ? {} : { maxBytes })
  const images = chunks.flatMap((c) => splitter.push(c))
  return { images, splitter }
}

describe('splitting an MJPEG byte stream', () => {
  let images: Buffer[] = []
  beforeAll(async () => {
    images = await Promise.all([0, 1, 2, 3, 4].map((i) => jpeg(i, 32 + i * 8, 24 + i * 4)))
  })

  it('returns each JPEG of a back-to-back stream, byte for byte', () => {
    const { images: got } = splitAll([Buffer.concat(images)])
    expect(hex(got)).toEqual(hex(images))
  })

  it('returns the same JPEGs under any split of the stream', () => {
    const stream = Buffer.concat(images)
    fc.assert(
      fc.property(cutPoints(20), (points) => {
        expect(hex(splitAll(splitAt(stream, points)).images)).toEqual(hex(images))
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('skips garbage between images', () => {
    const noise = Buffer.from('\xff\x00garbage\xff\xd8 not an image \xff', 'latin1')
    const stream = Buffer.concat([noise, images[0]!, noise, images[1]!, noise])
    const { images: got, splitter } = splitAll([stream])
    expect(hex(got)).toEqual(hex([images[0], images[1]]))
    expect(splitter.skippedBytes).toBeGreaterThan(0)
  })

  it('keeps a JPEG whole when it embeds a thumbnail with its own end-of-image marker', async () => {
    const outer = withThumbnail(images[2]!, images[0]!)
    expect(jpegSize(outer)).toEqual({ width: 48, height: 32 })
    expect((await sharp(outer).metadata()).width).toBe(48)
    expect(hex(splitAll([Buffer.concat([outer, images[3]!])]).images)).toEqual(hex([outer, images[3]]))
  })

  it('drops an image larger than the limit and finds the next one', () => {
    const big = images[4]!
    const small = Buffer.concat([images[0]!, big, images[1]!])
    const { images: got, splitter } = splitAll(splitAt(small, [100, 700, 1300]), big.length - 10)
    expect(hex(got)).toEqual(hex([images[0], images[1]]))
    expect(splitter.droppedImages).toBeGreaterThan(0)
  })

  it('never throws on random bytes and holds no more than one image', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 10 }), (chunks) => {
        const { splitter } = splitAll(chunks, 1000)
        expect(splitter.pendingBytes).toBeLessThanOrEqual(1000 + 200 + 4)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it.skipIf(!hasFfmpeg)('splits what ffmpeg writes with -f mjpeg into every frame', () => {
    const r = spawnSync('ffmpeg', ['-loglevel', 'error', '-f', 'lavfi', '-i', 'testsrc=size=160x120:rate=10', '-frames:v', '12', '-f', 'mjpeg', '-'], {
      maxBuffer: 64 << 20
    })
    expect(r.status).toBe(0)
    const { images: got } = splitAll(splitAt(r.stdout as Buffer, [5, 999, 4000, 4001, 12345]))
    expect(got.length).toBe(12)
    for (const g of got) expect(jpegSize(g)).toEqual({ width: 160, height: 120 })
    expect(Buffer.concat(got).equals(r.stdout as Buffer)).toBe(true)
  })
})
