import fc from 'fast-check'
import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster } from '../../../src/core/fanout/broadcaster'
import { type KeyframeWanted, ViewerKeyframes } from '../../../src/core/fanout/keyframes'
import { encodeKeyframeRequest } from '../../../src/core/codec/codec'
import { KEYFRAME_REQUEST_MIN_MS, type Message, type MessageOf, nowUs, type StreamInfo } from '../../../src/shared/protocol'
import { fakeJpeg, rawClient, type RawPeer, sleep, waitFor, waitUntil } from '../../support/net'
import { NUM_RUNS } from '../../support/runs'

const h264: StreamInfo = { codec: 'h264', params: 'avc1.42E01F', width: 1280, height: 720, fps: 30, name: 'Desk camera' }
const open: Broadcaster[] = []
const peers: RawPeer[] = []

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy()
  await Promise.all(open.splice(0).map((b) => b.close()))
})

async function broadcaster(info: StreamInfo = h264): Promise<{ b: Broadcaster; wanted: KeyframeWanted[] }> {
  const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
  open.push(b)
  const wanted: KeyframeWanted[] = []
  b.on('keyframe-wanted', (w) => wanted.push(w))
  return { b, wanted }
}

async function viewer(b: Broadcaster): Promise<RawPeer> {
  const p = await rawClient(b.port)
  peers.push(p)
  return p
}

function frames(p: RawPeer): MessageOf<'frame'>[] {
  return p.messages.filter((m: Message): m is MessageOf<'frame'> => m.type === 'frame')
}

/**
 * A viewer that joined, was asked a keyframe for, and got it; KEYFRAME_REQUEST_MIN_MS later, so the next request for
 * it is not held back.
 */
async function viewerPastJoin(b: Broadcaster, wanted: KeyframeWanted[]): Promise<RawPeer> {
  const v = await viewer(b)
  await waitUntil(() => wanted.length === 1, 2_000, 'the request for a joining viewer')
  b.send({ capturedAtUs: nowUs(), payload: accessUnit(800, 0), keyframe: true })
  await waitUntil(() => frames(v).length === 1, 2_000, 'the first keyframe')
  await sleep(KEYFRAME_REQUEST_MIN_MS)
  return v
}

/** An Annex B-looking access unit of `size` bytes. */
function accessUnit(size: number, seed: number): Uint8Array {
  const b = fakeJpeg(size, seed)
  b.set([0, 0, 0, 1], 0)
  return b
}

/** Every delta frame received directly follows the frame received before it. */
function chainIntact(received: MessageOf<'frame'>[]): boolean {
  return received.every((f, i) => f.keyframe || (i > 0 && f.seq === ((received[i - 1]!.seq + 1) >>> 0)))
}

describe('ViewerKeyframes', () => {
  it('never lets a viewer receive a delta whose predecessor it did not receive, and never skips a keyframe', () => {
    const step = fc.oneof(
      fc.record({ kind: fc.constant('frame' as const), keyframe: fc.boolean(), blocked: fc.boolean() }),
      fc.record({ kind: fc.constant('drain' as const) }),
      fc.record({ kind: fc.constant('request' as const) })
    )
    fc.assert(
      fc.property(fc.array(step, { maxLength: 150 }), (steps) => {
        const k = new ViewerKeyframes()
        let pending: { seq: number; keyframe: boolean } | null = null
        const delivered: { seq: number; keyframe: boolean }[] = []
        let seq = 0
        for (const s of steps) {
          if (s.kind === 'drain') {
            if (pending) delivered.push(pending)
            pending = null
          } else if (s.kind === 'request') {
            k.requested()
          } else {
            const frame = { seq: seq++, keyframe: s.keyframe }
            const verdict = k.decide(frame.keyframe, pending !== null)
            if (frame.keyframe) expect(verdict).not.toBe('skip')
            if (verdict === 'replace') pending = frame
            else if (verdict === 'send') {
              if (s.blocked) pending = frame
              else delivered.push(frame)
            }
          }
        }
        expect(delivered.every((f, i) => f.keyframe || (i > 0 && f.seq === delivered[i - 1]!.seq + 1))).toBe(true)
      }),
      { numRuns: NUM_RUNS }
    )
  })

  it('lets every frame of a JPEG stream through and replaces a pending one with the newest', () => {
    const k = new ViewerKeyframes()
    expect(k.decide(true, false)).toBe('send')
    expect(k.decide(true, true)).toBe('replace')
    expect(k.waiting).toBe(false)
  })
})

describe('Broadcaster with an H.264 stream', () => {
  it('starts a new viewer at a keyframe and asks for one as it joins', async () => {
    const { b, wanted } = await broadcaster()
    const v = await viewer(b)
    const joined = await waitFor<{ id: number }>(b, 'viewer-joined')
    await waitUntil(() => wanted.length === 1, 2_000, 'a keyframe request')
    expect(wanted).toEqual([{ viewerId: joined.id, reason: 'joined' }])
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(500, 1), keyframe: false })
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(500, 2), keyframe: false })
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(5_000, 3), keyframe: true, quality: 100 })
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(500, 4), keyframe: false, quality: 100 })
    await waitUntil(() => frames(v).length === 2, 2_000, 'the keyframe and the delta after it')
    expect(frames(v).map((f) => [f.seq, f.keyframe, f.quality])).toEqual([
      [2, true, 100],
      [3, false, 100]
    ])
    expect(b.viewers()[0]!.replaced).toBe(2)
  })

  it("answers a viewer's KEYFRAME_REQUEST at most once per KEYFRAME_REQUEST_MIN_MS, and sends it no delta until the keyframe", async () => {
    const { b, wanted } = await broadcaster()
    const v = await viewerPastJoin(b, wanted)
    for (let i = 0; i < 5; i++) v.socket.write(encodeKeyframeRequest(0))
    await waitUntil(() => wanted.length === 2, 2_000, 'one more request')
    await sleep(100)
    expect(wanted.slice(1)).toEqual([{ viewerId: wanted[0]!.viewerId, reason: 'requested' }])
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(800, 1), keyframe: false })
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(800, 2), keyframe: true })
    await waitUntil(() => frames(v).length === 2, 2_000, 'the keyframe that answers the request')
    expect(frames(v).map((f) => [f.seq, f.keyframe])).toEqual([
      [0, true],
      [2, true]
    ])
  })

  it('ignores KEYFRAME_REQUEST on a JPEG stream and never asks for keyframes', async () => {
    const { b, wanted } = await broadcaster({ ...h264, codec: 'jpeg', params: undefined })
    const v = await viewer(b)
    await waitFor(b, 'viewer-joined')
    v.socket.write(encodeKeyframeRequest(3))
    b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(400, 1) })
    await waitUntil(() => frames(v).length === 1, 2_000, 'a frame')
    await sleep(50)
    expect(wanted).toEqual([])
    expect(b.viewers()).toHaveLength(1)
  })

  it('asks again for every viewer when the codec parameters change, and restarts each at a keyframe', async () => {
    const { b, wanted } = await broadcaster()
    const v = await viewerPastJoin(b, wanted)
    b.setInfo({ ...h264, params: 'avc1.42E028', width: 1920, height: 1080 })
    expect(wanted).toHaveLength(2)
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(800, 1), keyframe: false })
    b.send({ capturedAtUs: nowUs(), payload: accessUnit(800, 2), keyframe: true })
    await waitUntil(() => frames(v).length === 2, 2_000, 'the next keyframe')
    expect(frames(v).map((f) => f.seq)).toEqual([0, 2])
  })

  it('never sends a delta after a frame it skipped for a viewer that stopped reading, while a reading viewer gets every frame', async () => {
    const { b, wanted } = await broadcaster()
    const slow = await viewer(b)
    const fast = await viewer(b)
    await waitUntil(() => b.viewers().length === 2, 2_000, 'two viewers')
    const slowId = b.viewers().find((x) => x.address.endsWith(`:${slow.socket.localPort}`))!.id
    // Past the requests made for the joining viewers, so the one for a skipped frame is not held back.
    await sleep(KEYFRAME_REQUEST_MIN_MS)
    slow.socket.pause()
    const frameBytes = 128 * 1024
    let sent = 0
    const send = (): void => {
      b.send({ capturedAtUs: nowUs(), payload: accessUnit(frameBytes, sent), keyframe: sent % 10 === 0 })
      sent++
    }
    // Until the slow viewer's socket is full and frames pile up for it, then some more.
    while (!(b.viewers().find((x) => x.id === slowId)?.blocked ?? false) && sent < 400) {
      send()
      await sleep(2)
    }
    for (let i = 0; i < 25; i++) {
      send()
      await sleep(2)
    }
    expect(wanted.some((w) => w.viewerId === slowId && w.reason === 'skipped')).toBe(true)
    slow.socket.resume()
    // Read what was written, then a keyframe and a few deltas with the viewer keeping up.
    await sleep(200)
    for (let i = 0; i < 12; i++) {
      send()
      await sleep(15)
    }
    await waitUntil(() => frames(fast).length === sent, 5_000, 'every frame at the reading viewer')
    await waitUntil(() => frames(slow).at(-1)?.seq === sent - 1, 5_000, 'the slow viewer catching up')
    const received = frames(slow)
    expect(received.length).toBeLessThan(sent)
    expect(chainIntact(received)).toBe(true)
    expect(chainIntact(frames(fast))).toBe(true)
    expect(b.viewers().find((x) => x.id === slowId)!.replaced).toBe(sent - received.length)
  })
})
