// Ending a stream after a whole frame (pacing/end-whole.ts), over real loopback sockets: a reader that keeps reading
// gets every frame whole and then a clean end, however much was still queued when the stream was ended.

import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { endAfterWholeFrames } from '../../../src/core/pacing/end-whole'

const FRAME = 256 * 1024
const FRAMES = 160

let server: net.Server | null = null
afterEach(() => {
  server?.close()
  server = null
})

/** A server that writes FRAMES whole frames to its first client and then ends after them with `lingerMs`. */
async function serve(lingerMs: number): Promise<number> {
  server = net.createServer((s) => {
    s.on('error', () => undefined)
    for (let i = 0; i < FRAMES; i++) s.write(Buffer.alloc(FRAME, i))
    endAfterWholeFrames(s, lingerMs)
  })
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
  return (server.address() as net.AddressInfo).port
}

/** Connect, wait `pauseMs` before reading, then read to the end: bytes got and how it ended. */
async function read(port: number, pauseMs: number): Promise<{ bytes: number; end: 'end' | 'reset' }> {
  const c = net.connect(port, '127.0.0.1')
  c.pause()
  await new Promise((resolve) => setTimeout(resolve, pauseMs))
  let bytes = 0
  return new Promise((resolve) => {
    c.on('data', (d: Buffer) => void (bytes += d.length))
    c.on('end', () => resolve({ bytes, end: 'end' }))
    c.on('error', () => resolve({ bytes, end: 'reset' }))
    c.resume()
  })
}

describe('endAfterWholeFrames', () => {
  it('ends after the last whole frame for a reader that reads', async () => {
    const port = await serve(5_000)
    const r = await read(port, 0)
    expect(r).toEqual({ bytes: FRAME * FRAMES, end: 'end' })
  })

})
