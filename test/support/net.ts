// Helpers shared by the networking tests: real loopback sockets, waiting on events, raw protocol peers.

import { once } from 'node:events'
import type { EventEmitter } from 'node:events'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { Decoder, encodeAck, encodeHello, encodePreamble } from '../../src/core/codec/codec'
import type { Message, RoleName } from '../../src/shared/protocol'

export { sleep }

/** A JPEG-looking payload of `size` bytes whose content depends on `seed`. */
export function fakeJpeg(size: number, seed = 0): Uint8Array {
  const b = Buffer.allocUnsafe(size)
  b.fill(seed & 0xff)
  b[0] = 0xff
  b[1] = 0xd8
  b[2] = 0xff
  return b
}

/** Resolve with the first `event` whose argument satisfies `accept`, or reject after `timeoutMs`. */
export function waitFor<T = unknown>(
  emitter: EventEmitter,
  event: string,
  accept: (value: T) => boolean = () => true,
  timeoutMs = 5_000
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener)
      reject(new Error(`timed out after ${timeoutMs} ms waiting for '${event}'`))
    }, timeoutMs)
    const listener = (value: T): void => {
      if (!accept(value)) return
      clearTimeout(timer)
      emitter.off(event, listener)
      resolve(value)
    }
    emitter.on(event, listener)
  })
}

/** Poll `check` every 10 ms until it returns true, or reject after `timeoutMs`. */
export async function waitUntil(check: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
  const deadline = performance.now() + timeoutMs
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await sleep(10)
  }
}

export interface RawPeer {
  socket: net.Socket
  messages: Message[]
  decoder: Decoder
  closed: Promise<void>
}

/**
 * A bare TCP client that decodes what it receives. With a `role` it sends that preamble once connected; as a viewer it
 * then introduces itself with HELLO `hello` as soon as the broadcaster's preamble arrives, as protocol v2 asks (pass
 * `hello: null` to stay silent after the preamble), and acknowledges every FRAME as it is read (`ack: false` to
 * never acknowledge). `localAddress` picks the source address (127.0.0.2: "another machine").
 */
export async function rawClient(
  port: number,
  host = '127.0.0.1',
  role: RoleName | null = 'viewer',
  options: { hello?: string | null; localAddress?: string; ack?: boolean } = {}
): Promise<RawPeer> {
  const socket = net.connect({ host, port, ...(options.localAddress ? { localAddress: options.localAddress } : {}) })
  const decoder = new Decoder({ expectRole: 'broadcaster' })
  const messages: Message[] = []
  const hello = options.hello === undefined ? 'raw viewer' : options.hello
  const ack = role === 'viewer' && options.ack !== false
  socket.on('data', (chunk: Buffer) => {
    for (const m of decoder.push(chunk)) {
      messages.push(m)
      if (m.type === 'preamble' && role === 'viewer' && hello !== null) socket.write(encodeHello(hello))
      if (m.type === 'frame' && ack && socket.writable) socket.write(encodeAck(m.seq, 0))
    }
  })
  socket.on('error', () => {})
  const closed = once(socket, 'close').then(() => undefined)
  await once(socket, 'connect')
  if (role !== null) socket.write(encodePreamble(role))
  return { socket, messages, decoder, closed }
}

/** A plain TCP server whose connections are handled by `onConnection`; closes every socket on close(). */
export async function rawServer(onConnection: (socket: net.Socket) => void, host = '127.0.0.1'): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<net.Socket>()
  const server = net.createServer((socket) => {
    sockets.add(socket)
    socket.on('error', () => {})
    socket.on('close', () => sockets.delete(socket))
    onConnection(socket)
  })
  server.listen(0, host)
  await once(server, 'listening')
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

/**
 * A hand-driven Framecast broadcaster: it answers each viewer's preamble with its own and calls `onViewer` once the
 * viewer has introduced itself (HELLO), the point where a real broadcaster sends INFO; what the viewer says after that
 * (PINGs, ACKs) is collected in `heard`. For tests that need a broadcaster saying exactly what they choose.
 */
export async function rawBroadcaster(
  onViewer: (socket: net.Socket, heard: Message[]) => void
): Promise<{ port: number; close: () => Promise<void> }> {
  return rawServer((socket) => {
    const decoder = new Decoder({ expectRole: 'viewer', pauseAfterPreamble: true })
    const heard: Message[] = []
    socket.on('data', (chunk: Buffer) => {
      for (const m of decoder.push(chunk)) {
        heard.push(m)
        if (m.type === 'preamble') {
          decoder.resume()
          socket.write(encodePreamble('broadcaster'))
        } else if (m.type === 'hello') onViewer(socket, heard)
      }
    })
  })
}

/** A port that was free a moment ago (bound and released). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer()
  server.listen(0, host)
  await once(server, 'listening')
  const port = (server.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
