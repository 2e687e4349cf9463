// Who is at the other end of a loopback connection (mjpeg/local-peer.ts), against the real socket table and against
// tables whose owner or rows have been changed.

import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { peerIsSameUser } from '../../../src/core/mjpeg/local-peer'

const linux = process.platform === 'linux' && typeof process.getuid === 'function'

describe.skipIf(!linux)('peerIsSameUser', () => {
  const closers: Array<() => void> = []
  afterEach(() => closers.splice(0).forEach((c) => c()))

  /** A loopback connection of this process: the server's end of it. */
  async function accepted(host: string): Promise<net.Socket> {
    const server = net.createServer()
    server.listen(0, host)
    await once(server, 'listening')
    const conn = once(server, 'connection') as Promise<[net.Socket]>
    const client = net.connect((server.address() as net.AddressInfo).port, host)
    const [socket] = await conn
    closers.push(() => {
      client.destroy()
      socket.destroy()
      server.close()
    })
    return socket
  }

  it('finds this process itself at the other end of a loopback connection, over IPv4 and IPv6', async () => {
    expect(peerIsSameUser(await accepted('127.0.0.1'))).toBe(true)
    expect(peerIsSameUser(await accepted('::1'))).toBe(true)
  })

  it('says no for another user, for a peer the table does not list, and where the table cannot be read', async () => {
    const socket = await accepted('127.0.0.1')
    const read = (path: string): string => readFileSync(path, 'latin1')
    expect(peerIsSameUser(socket, read, process.getuid!() + 1)).toBe(false)
    // The same table with the peer's row gone (a peer on another machine).
    const port = socket.remotePort!.toString(16).toUpperCase().padStart(4, '0')
    const without = (path: string): string => read(path).split('\n').filter((l) => !l.includes(`0100007F:${port} `)).join('\n')
    expect(peerIsSameUser(socket, without)).toBe(false)
    expect(peerIsSameUser(socket, () => { throw new Error('no /proc') })).toBe(false)
    expect(peerIsSameUser(socket, read, null)).toBe(false)
    expect(peerIsSameUser({ localAddress: '127.0.0.1', localPort: 1 }, read)).toBe(false)
  })
})
