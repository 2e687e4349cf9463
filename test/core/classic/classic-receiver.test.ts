import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import sharp from 'sharp'
import { describe, expect, it } from 'vitest'
import { type ClassicFrame, ClassicReceiver } from '../../../src/core/classic/classic-receiver'
import { encodeClassicMessage } from '../../../src/core/classic/framing'
import { writeNdarrayPickle } from '../../../src/core/classic/pickle'
import type { FramecastError } from '../../../src/core/errors'
import { FIXTURES } from '../../support/python'

function solidBgr(bgr: [number, number, number], width: number, height: number): Buffer {
  const data = Buffer.alloc(width * height * 3)
  for (let i = 0; i < width * height; i++) data.set(bgr, i * 3)
  return writeNdarrayPickle({ height, width, channels: 3, data })
}

const framed = (payloads: Uint8Array[]): Buffer => Buffer.concat(payloads.flatMap((p) => encodeClassicMessage(p)))

function receiver(maxMessageBytes?: number): { r: ClassicReceiver; frames: ClassicFrame[]; errors: FramecastError[] } {
  const frames: ClassicFrame[] = []
  const errors: FramecastError[] = []
  const r = new ClassicReceiver({ onFrame: (f) => frames.push(f), onError: (e) => errors.push(e), ...(maxMessageBytes ? { maxMessageBytes } : {}) })
  return { r, frames, errors }
}

async function rgbMean(jpeg: Uint8Array): Promise<number[]> {
  const { channels } = await sharp(jpeg).stats()
  return channels.slice(0, 3).map((c) => Math.round(c.mean))
}

describe('receiving the classic format', () => {
  it('turns a pickled BGR frame into a JPEG with the same picture', async () => {
    const { r, frames, errors } = receiver()
    r.push(framed([solidBgr([30, 100, 200], 80, 60)]))
    await expect.poll(() => frames.length).toBe(1)
    expect(errors).toEqual([])
    expect(frames[0]).toMatchObject({ width: 80, height: 60, kind: 'pickle' })
    const [red, green, blue] = await rgbMean(frames[0]!.jpeg)
    expect(Math.abs(red! - 200)).toBeLessThan(4)
    expect(Math.abs(green! - 100)).toBeLessThan(4)
    expect(Math.abs(blue! - 30)).toBeLessThan(4)
  })

  it('passes a JPEG payload through untouched', async () => {
    const jpeg = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#ff0000' } }).jpeg().toBuffer()
    const { r, frames } = receiver()
    const bytes = framed([jpeg])
    for (let i = 0; i < bytes.length; i += 7) r.push(bytes.subarray(i, i + 7))
    expect(frames).toHaveLength(1)
    expect(Buffer.from(frames[0]!.jpeg).equals(jpeg)).toBe(true)
    expect(frames[0]).toMatchObject({ width: 20, height: 10, kind: 'jpeg' })
  })

  it('keeps only the newest pickle while one is being encoded', async () => {
    const { r, frames } = receiver()
    const shades = [10, 60, 110, 160, 210]
    r.push(framed(shades.map((s) => solidBgr([s, s, s], 64, 48))))
    await expect.poll(() => frames.length).toBe(2)
    await new Promise((done) => setTimeout(done, 100))
    expect(frames).toHaveLength(2)
    expect(r.skippedWhileEncoding).toBe(3)
    expect(Math.abs((await rgbMean(frames[0]!.jpeg))[0]! - 10)).toBeLessThan(4)
    expect(Math.abs((await rgbMean(frames[1]!.jpeg))[0]! - 210)).toBeLessThan(4)
  })

  it('stops at a hostile pickle with UNSUPPORTED_PICKLE and delivers nothing after it', async () => {
    const { r, frames, errors } = receiver()
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).jpeg().toBuffer()
    r.push(framed([jpeg, readFileSync(join(FIXTURES, 'hostile-os-system-p4.pkl')), jpeg]))
    expect(frames).toHaveLength(1)
    expect(errors.map((e) => e.code)).toEqual(['UNSUPPORTED_PICKLE'])
  })

  it('refuses a message that is neither a pickle nor a JPEG', async () => {
    const { r, frames, errors } = receiver()
    const jpeg = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#00ff00' } }).jpeg().toBuffer()
    r.push(framed([jpeg, Buffer.from('hello, this is not a picture')]))
    expect(frames).toHaveLength(1)
    expect(errors.map((e) => e.code)).toEqual(['UNSUPPORTED_PICKLE'])
  })

  it('refuses a first message that fits no length prefix with BAD_LENGTH_PREFIX', () => {
    const { r, errors } = receiver()
    r.push(framed([Buffer.from('hello, this is not a picture')]))
    expect(errors.map((e) => e.code)).toEqual(['BAD_LENGTH_PREFIX'])
    expect(errors[0]!.message).toMatch(/are not a length prefix \(2, 4 or 8 bytes, either byte order\) followed by a pickle or a JPEG/)
  })

  it('applies the size limit at the length prefix, once the payload shows it is a classic stream', () => {
    const { r, errors } = receiver(1000)
    const stream = framed([solidBgr([1, 2, 3], 40, 40)])
    r.push(stream.subarray(0, 8))
    expect(errors).toEqual([])
    r.push(stream.subarray(8, 11))
    expect(errors.map((e) => e.code)).toEqual(['MESSAGE_TOO_LARGE'])
    expect(errors[0]!.message).toMatch(/declares 4939 bytes \(4\.8 KiB\) in its 8-byte little-endian length prefix; the limit is 1000 bytes/)
  })

  it('reports TRUNCATED when the stream ends inside a message', () => {
    const { r } = receiver()
    r.push(framed([solidBgr([1, 2, 3], 4, 4)]).subarray(0, 20))
    expect(r.end()?.code).toBe('TRUNCATED')
  })
})
