// Private access end to end over loopback sockets: TLS 1.3, the pairing code proven with CPace, pinned fingerprints,
// and a man in the middle with its own certificate.

import net from 'node:net'
import tls from 'node:tls'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { Broadcaster } from '../../../src/core/fanout/broadcaster'
import { Decoder, encodeError, encodePreamble } from '../../../src/core/codec/codec'
import type { DeviceStore } from '../../../src/core/secure/device-store'
import { createIdentity } from '../../../src/core/secure/identity'
import { PairingCodes } from '../../../src/core/secure/pairing-code'
import type { ViewerSecurity } from '../../../src/core/secure/pairing-initiator'
import { Watcher } from '../../../src/core/watch/watcher'
import { type ErrorCode, nowUs, PreambleFlag, type StreamInfo } from '../../../src/shared/protocol'
import type { WatchStatus } from '../../../src/shared/status'
import { fakeJpeg, rawServer, sleep, waitUntil } from '../../support/net'
import { removeTempStores, tempStore } from '../../support/secure'

const info: StreamInfo = { codec: 'jpeg', width: 64, height: 48, fps: 30, name: 'Desk camera' }
const cleanups: Array<() => Promise<unknown> | unknown> = []

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})
afterAll(removeTempStores)

async function privateBroadcaster(store?: DeviceStore, port = 0): Promise<{ b: Broadcaster; store: DeviceStore; codes: PairingCodes; feed: NodeJS.Timeout }> {
  const s = store ?? (await tempStore())
  const codes = new PairingCodes()
  const b = await Broadcaster.listen({ host: '127.0.0.1', port, info, access: { mode: 'private', store: s, codes } })
  const feed = setInterval(() => b.send({ capturedAtUs: nowUs(), payload: fakeJpeg(2_000) }), 20)
  cleanups.push(() => clearInterval(feed), () => codes.close(), () => b.close())
  return { b, store: s, codes, feed }
}

interface Outcome {
  status: WatchStatus
  infos: number
  frames: number
}

/** Watch until live (and a frame arrived) or until it gives up; never reconnects. */
async function watchOnce(port: number, security: ViewerSecurity, timeoutMs = 8_000): Promise<Outcome> {
  const w = new Watcher({ host: '127.0.0.1', port, reconnect: false, security })
  cleanups.push(() => w.stop())
  let infos = 0
  let frames = 0
  w.on('info', () => infos++)
  w.on('frame', () => frames++)
  w.start()
  await waitUntil(() => w.status.state === 'error' || frames > 0, timeoutMs, 'live or error')
  return { status: w.status, infos, frames }
}

function expectRefused(o: Outcome, code: ErrorCode): void {
  expect(o.status.state).toBe('error')
  expect(o.status.error?.code).toBe(code)
  expect(o.infos, 'no INFO reaches a viewer that was not let in').toBe(0)
  expect(o.frames, 'no frame reaches a viewer that was not let in').toBe(0)
}

describe('a private broadcaster', () => {
  it('gives an unpaired viewer neither INFO nor a frame, and asks for the code', async () => {
    const { b } = await privateBroadcaster()
    const viewer = await tempStore()
    const pairings: string[] = []
    b.on('pairing', (p) => pairings.push(p.fingerprint))
    expectRefused(await watchOnce(b.port, { store: viewer }), 'CODE_REQUIRED')
    expect(pairings).toEqual([viewer.fingerprint])
    expect(b.viewers()).toEqual([])
  })

  it('refuses a viewer that does not ask for TLS, before any stream information', async () => {
    const { b } = await privateBroadcaster()
    const w = new Watcher({ host: '127.0.0.1', port: b.port, reconnect: false })
    cleanups.push(() => w.stop())
    let infos = 0
    w.on('info', () => infos++)
    w.start()
    await waitUntil(() => w.status.state === 'error', 5_000, 'the refusal')
    expect(w.status.error?.code).toBe('UNSUPPORTED_TRANSPORT')
    expect(infos).toBe(0)
  })

  it('pairs with the right code over TLS, and the next connection needs none', async () => {
    const { b, store, codes } = await privateBroadcaster()
    const viewer = await tempStore()
    const code = codes.state.code
    const first = await watchOnce(b.port, { store: viewer, code })
    expect(first.status.state).toBe('live')
    expect(first.status.security).toEqual({ encrypted: true, fingerprint: store.fingerprint, paired: true })
    expect(store.isPairedViewer(viewer.fingerprint)).toBe(true)
    expect(viewer.find('broadcaster', store.fingerprint)?.addresses).toEqual([`127.0.0.1:${b.port}`])
    expect(viewer.find('broadcaster', store.fingerprint)?.name).toBe(info.name)
    expect(b.viewers()[0]?.fingerprint).toBe(viewer.fingerprint)
    expect(codes.state.code, 'a used code is replaced').not.toBe(code)

    const again = await watchOnce(b.port, { store: viewer })
    expect(again.status.state).toBe('live')
    expect(again.frames).toBeGreaterThan(0)
  })

  it('answers wrong codes with PAIRING_FAILED and replaces the code after three', async () => {
    const { b, codes } = await privateBroadcaster()
    const shown = codes.state.code
    const wrong = String((Number(shown) + 1) % 1_000_000).padStart(6, '0')
    const changed: string[] = []
    codes.on('changed', (s) => changed.push(s.code))
    for (let i = 0; i < 3; i++) expectRefused(await watchOnce(b.port, { store: await tempStore(), code: wrong }), 'PAIRING_FAILED')
    expect(codes.state.code, 'three wrong codes leave the code as it was until a fourth guess').toBe(shown)
    // The fourth guess finds the code used up: it is replaced, and the guess is told so.
    expectRefused(await watchOnce(b.port, { store: await tempStore(), code: shown }), 'CODE_EXPIRED')
    expect(changed).toHaveLength(1)
    expect(codes.state.code).not.toBe(shown)
    const fresh = await watchOnce(b.port, { store: await tempStore(), code: codes.state.code })
    expect(fresh.status.state).toBe('live')
  })

  it('limits guesses from one address to five a minute', async () => {
    const { b, codes } = await privateBroadcaster()
    const results: (ErrorCode | undefined)[] = []
    for (let i = 0; i < 6; i++) {
      codes.rotate()
      const o = await watchOnce(b.port, { store: await tempStore(), code: '000000' === codes.state.code ? '000001' : '000000' })
      results.push(o.status.error?.code)
    }
    expect(results).toEqual([...Array(5).fill('PAIRING_FAILED'), 'RATE_LIMITED'])
  })

  it('refuses a blocked device with BLOCKED', async () => {
    const { b, store } = await privateBroadcaster()
    const viewer = await tempStore()
    await store.setBlocked(viewer.fingerprint, true, 'stranger')
    expectRefused(await watchOnce(b.port, { store: viewer }), 'BLOCKED')
  })

  it('refuses TLS 1.2', async () => {
    const { b } = await privateBroadcaster()
    const refused: ErrorCode[] = []
    b.on('refused', (r) => refused.push(r.code))
    const raw = net.connect({ host: '127.0.0.1', port: b.port })
    cleanups.push(() => raw.destroy())
    raw.on('error', () => {})
    await new Promise((r) => raw.once('connect', r))
    raw.write(encodePreamble('viewer', PreambleFlag.tls))
    const answer = await new Promise<Buffer>((r) => raw.once('data', r))
    expect(new Decoder({ expectRole: 'broadcaster', pauseAfterPreamble: true }).push(answer)[0]).toMatchObject({ type: 'preamble', flags: PreambleFlag.tls })
    const identity = await createIdentity()
    const old = tls.connect({ socket: raw, maxVersion: 'TLSv1.2', rejectUnauthorized: false, key: identity.keyPem, cert: identity.certPem })
    const error = await new Promise<Error>((r) => old.once('error', r))
    expect(error.message).toMatch(/version|alert/i)
    await waitUntil(() => refused.includes('UNSUPPORTED_TRANSPORT'), 3_000, 'the refusal')
    expect(b.viewers()).toEqual([])
  })
})

/**
 * A man in the middle: it takes the viewer's TLS with its own certificate, makes its own TLS connection to the real
 * broadcaster, and relays the plaintext both ways.
 */
async function manInTheMiddle(targetPort: number, port = 0): Promise<{ port: number }> {
  const identity = await createIdentity()
  const server = await rawServerOn(port, (viewerSide) => {
    viewerSide.once('data', () => {
      const upstream = net.connect({ host: '127.0.0.1', port: targetPort })
      upstream.on('error', () => viewerSide.destroy())
      upstream.once('connect', () => upstream.write(encodePreamble('viewer', PreambleFlag.tls)))
      upstream.once('data', () => {
        viewerSide.write(encodePreamble('broadcaster', PreambleFlag.tls))
        const toViewer = new tls.TLSSocket(viewerSide, { isServer: true, requestCert: true, rejectUnauthorized: false, key: identity.keyPem, cert: identity.certPem })
        const toBroadcaster = tls.connect({ socket: upstream, rejectUnauthorized: false, key: identity.keyPem, cert: identity.certPem, checkServerIdentity: () => undefined })
        for (const s of [toViewer, toBroadcaster]) s.on('error', () => { toViewer.destroy(); toBroadcaster.destroy() })
        toViewer.pipe(toBroadcaster)
        toBroadcaster.pipe(toViewer)
      })
    })
  })
  cleanups.push(() => server.close())
  return { port: server.port }
}

async function rawServerOn(port: number, onConnection: (s: net.Socket) => void): Promise<{ port: number; close: () => Promise<void> }> {
  if (port === 0) return rawServer(onConnection)
  const sockets = new Set<net.Socket>()
  const server = net.createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    onConnection(s)
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  return { port, close: () => new Promise<void>((r) => { for (const s of sockets) s.destroy(); server.close(() => r()) }) }
}

describe('a man in the middle with its own certificate', () => {
  it('cannot pair, even knowing the code: the PAKE is bound to both fingerprints and the TLS session', async () => {
    const { b, codes } = await privateBroadcaster()
    const mitm = await manInTheMiddle(b.port)
    const viewer = await tempStore()
    expectRefused(await watchOnce(mitm.port, { store: viewer, code: codes.state.code }), 'PAIRING_FAILED')
    expect(b.viewers()).toEqual([])
    expect(viewer.list().devices).toEqual([])
  })

  it('is refused as KEY_CHANGED where the paired broadcaster was', async () => {
    const store = await tempStore()
    const first = await privateBroadcaster(store)
    const viewer = await tempStore()
    expect((await watchOnce(first.b.port, { store: viewer, code: first.codes.state.code })).status.state).toBe('live')
    const address = first.b.port
    await first.b.close()
    // The real broadcaster moves to another port; the man in the middle takes its old address.
    const moved = await privateBroadcaster(store)
    await sleep(20)
    await manInTheMiddle(moved.b.port, address)
    expectRefused(await watchOnce(address, { store: viewer, code: moved.codes.state.code }), 'KEY_CHANGED')
  })
})

describe('the address of a paired broadcaster', () => {
  it('answering in the clear is KEY_CHANGED, but a refusal there is reported as the refusal', async () => {
    const store = await tempStore()
    const first = await privateBroadcaster(store)
    const viewer = await tempStore()
    expect((await watchOnce(first.b.port, { store: viewer, code: first.codes.state.code })).status.state).toBe('live')
    const port = first.b.port
    await first.b.close()
    await sleep(20)
    // Something at that address answers in the clear, as an open broadcaster would.
    const clear = await rawServerOn(port, (s) => s.once('data', () => s.write(encodePreamble('broadcaster'))))
    expectRefused(await watchOnce(port, { store: viewer }), 'KEY_CHANGED')
    await clear.close()
    // A broadcaster that turns the viewer away before TLS (its preamble, then ERROR) is not accused of a new key.
    const full = await rawServerOn(port, (s) => s.once('data', () => s.write(Buffer.concat([encodePreamble('broadcaster'), encodeError('SERVER_FULL', 'full')]))))
    cleanups.push(() => full.close())
    const refused = await watchOnce(port, { store: viewer })
    expect(refused.status.error?.code).not.toBe('KEY_CHANGED')
    expect(refused.status.error?.code).toBe('SERVER_FULL')
  })
})
