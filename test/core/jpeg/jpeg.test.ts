import { spawnSync } from 'node:child_process'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { bgrToJpeg, jpegSize, jpegToBgr } from '../../../src/core/jpeg/jpeg'
import { FramecastError } from '../../../src/core/errors'
import { hasCv2, PYTHON } from '../../support/python'

/** A JPEG of one RGB colour. */
function solidJpeg(rgb: [number, number, number], width = 64, height = 32): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } }).jpeg({ quality: 95 }).toBuffer()
}

function mean(data: Uint8Array, channels: number): number[] {
  const sums = new Array<number>(channels).fill(0)
  for (let i = 0; i < data.length; i++) sums[i % channels]! += data[i]!
  return sums.map((s) => Math.round(s / (data.length / channels)))
}

const near = (got: number[], want: number[]): void => got.forEach((g, i) => expect(Math.abs(g - want[i]!), `channel ${i}: ${got} vs ${want}`).toBeLessThanOrEqual(3))

describe('JPEG and raw BGR pixels', () => {
  it('decodes a JPEG into BGR order', async () => {
    const image = await jpegToBgr(await solidJpeg([200, 100, 30]))
    expect(image).toMatchObject({ width: 64, height: 32, channels: 3 })
    expect(image.data.length).toBe(64 * 32 * 3)
    near(mean(image.data, 3), [30, 100, 200])
  })

  it('decodes straight into a caller-provided buffer at an offset', async () => {
    const target = Buffer.alloc(10 + 64 * 32 * 3 + 5, 0xee)
    const image = await jpegToBgr(await solidJpeg([10, 20, 250]), { into: () => ({ buffer: target, offset: 10 }) })
    expect(image.data.buffer).toBe(target.buffer)
    expect(target[9]).toBe(0xee)
    expect(target[10 + 64 * 32 * 3]).toBe(0xee)
    near(mean(target.subarray(10, 10 + 64 * 32 * 3), 3), [250, 20, 10])
  })

  it('encodes BGR, grey and BGRA pixels to a JPEG with the colours in the right place', async () => {
    const px = 48 * 16
    const bgr = Buffer.alloc(px * 3)
    for (let i = 0; i < px; i++) bgr.set([30, 100, 200], i * 3)
    const decoded = await sharp(await bgrToJpeg({ width: 48, height: 16, channels: 3, data: bgr })).raw().toBuffer({ resolveWithObject: true })
    expect(decoded.info).toMatchObject({ width: 48, height: 16 })
    near(mean(decoded.data, 3), [200, 100, 30])

    const grey = await sharp(await bgrToJpeg({ width: 48, height: 16, channels: 1, data: Buffer.alloc(px, 77) })).raw().toBuffer()
    near([mean(grey, grey.length / px)[0]!], [77])

    const bgra = Buffer.alloc(px * 4)
    for (let i = 0; i < px; i++) bgra.set([30, 100, 200, 255], i * 4)
    near(mean(await sharp(await bgrToJpeg({ width: 48, height: 16, channels: 4, data: bgra })).removeAlpha().raw().toBuffer(), 3), [200, 100, 30])
  })

  it('refuses bytes that are not a JPEG with a typed error', async () => {
    await expect(jpegToBgr(Buffer.from('not a jpeg'))).rejects.toBeInstanceOf(FramecastError)
    await expect(bgrToJpeg({ width: 2, height: 2, channels: 3, data: Buffer.alloc(5) })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('reads the size from the frame header without decoding', async () => {
    expect(jpegSize(await solidJpeg([1, 2, 3], 321, 123))).toEqual({ width: 321, height: 123 })
    const progressive = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#123456' } }).jpeg({ progressive: true }).toBuffer()
    expect(jpegSize(progressive)).toEqual({ width: 40, height: 30 })
    expect(jpegSize(Buffer.from([0xff, 0xd8, 0xff]))).toBeUndefined()
    expect(jpegSize(Buffer.from('GIF89a'))).toBeUndefined()
  })

  it.skipIf(!hasCv2)('agrees with OpenCV on channel order both ways', async () => {
    // OpenCV writes a JPEG of BGR (30, 100, 200); we decode it; OpenCV decodes ours.
    const script = [
      'import cv2, numpy as np, sys',
      'a = np.zeros((32, 64, 3), np.uint8); a[:] = (30, 100, 200)',
      'ok, enc = cv2.imencode(".jpg", a)',
      'sys.stdout.buffer.write(enc.tobytes())'
    ].join('\n')
    const r = spawnSync(PYTHON, ['-c', script])
    expect(r.status).toBe(0)
    near(mean((await jpegToBgr(r.stdout as Buffer)).data, 3), [30, 100, 200])

    const bgr = Buffer.alloc(64 * 32 * 3)
    for (let i = 0; i < 64 * 32; i++) bgr.set([30, 100, 200], i * 3)
    const ours = await bgrToJpeg({ width: 64, height: 32, channels: 3, data: bgr })
    const back = spawnSync(PYTHON, ['-c', 'import cv2, numpy as np, sys; a = cv2.imdecode(np.frombuffer(sys.stdin.buffer.read(), np.uint8), cv2.IMREAD_COLOR); print(*[round(float(x)) for x in a.reshape(-1, 3).mean(axis=0)])'], {
      input: ours,
      encoding: 'utf8'
    })
    expect(back.status, back.stderr).toBe(0)
    near(back.stdout.trim().split(' ').map(Number), [30, 100, 200])
  })
})
