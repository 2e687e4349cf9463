// One source address cannot take more than its share of a broadcaster: at most 8 of its connections may be
// mid-handshake, and when the viewer places run out, an address holding more than 4 gives one up to another address.
// 127.0.0.2 plays "another machine" (all of 127.0.0.0/8 is loopback on Linux).

import { afterEach, describe, expect, it } from 'vitest'
import { Broadcaster, FAIR_SHARE_PER_ADDRESS, MAX_PENDING_HANDSHAKES_PER_ADDRESS } from '../../../src/core/fanout/broadcaster'
import type { ErrorCode, StreamInfo } from '../../../src/shared/protocol'
import { rawClient, type RawPeer, waitUntil } from '../../support/net'

const info: StreamInfo = { codec: 'jpeg', width: 64, height: 48, fps: 30, name: 'cam' }
const open: Broadcaster[] = []
const peers: RawPeer[] = []

afterEach(async () => {
  for (const p of peers.splice(0)) p.socket.destroy()
  await Promise.all(open.splice(0).map((b) => b.close()))
})

async function peer(port: number, localAddress: string, hello: string | null): Promise<RawPeer> {
  const p = await rawClient(port, '127.0.0.1', hello === null ? null : 'viewer', { hello, localAddress })
  peers.push(p)
  return p
}

const errorCodes = (p: RawPeer): ErrorCode[] => p.messages.flatMap((m) => (m.type === 'error' && m.code !== 'UNKNOWN' ? [m.code] : []))

describe('fair share per source address', () => {
  it('lets one address hold at most 8 half-open handshakes while another address still gets in', async () => {
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info })
    open.push(b)
    const refused: string[] = []
    b.on('refused', (r) => refused.push(`${r.address.split(':')[0]} ${r.code}`))
    // Silent connections: TCP up, not a byte sent.
    for (let i = 0; i < MAX_PENDING_HANDSHAKES_PER_ADDRESS; i++) await peer(b.port, '127.0.0.1', null)
    const extra = await peer(b.port, '127.0.0.1', null)
    await waitUntil(() => refused.length === 1, 2_000, 'the refusal')
    expect(refused).toEqual(['127.0.0.1 SERVER_FULL'])
    await extra.closed
    const other = await peer(b.port, '127.0.0.2', 'other machine')
    await waitUntil(() => b.viewers().length === 1, 2_000, 'the other address to be admitted')
    expect(b.viewers()[0]?.name).toBe('other machine')
    expect(other.messages.map((m) => m.type)).toContain('info')
  })

  it('makes an address that holds every place give one up to a viewer from another address', async () => {
    const maxViewers = FAIR_SHARE_PER_ADDRESS + 2
    const b = await Broadcaster.listen({ host: '127.0.0.1', port: 0, info, maxViewers })
    open.push(b)
    const hogs: RawPeer[] = []
    for (let i = 0; i < maxViewers; i++) {
      hogs.push(await peer(b.port, '127.0.0.1', `hog ${i}`))
      await waitUntil(() => b.viewers().length === i + 1, 2_000, `hog ${i}`)
    }
    // The same address gets no more places: the broadcaster is full.
    const more = await peer(b.port, '127.0.0.1', 'one more hog')
    await waitUntil(() => errorCodes(more).length > 0, 2_000, 'the refusal')
    expect(errorCodes(more)).toEqual(['SERVER_FULL'])

    const guest = await peer(b.port, '127.0.0.2', 'guest')
    await waitUntil(() => guest.messages.some((m) => m.type === 'info'), 2_000, 'the guest to be admitted')
    const names = b.viewers().map((v) => v.name)
    expect(names).toContain('guest')
    expect(names).toHaveLength(maxViewers)
    // The newest viewer of the address over its share gave its place up, and was told why.
    expect(names).not.toContain(`hog ${maxViewers - 1}`)
    await waitUntil(() => errorCodes(hogs[maxViewers - 1]!).length > 0, 2_000, 'the evicted viewer to hear why')
    expect(errorCodes(hogs[maxViewers - 1]!)).toEqual(['SERVER_FULL'])

    // An address within its share keeps its places: a second guest from elsewhere takes another hog's place, never the first guest's.
    const second = await peer(b.port, '127.0.0.3', 'second guest')
    await waitUntil(() => second.messages.some((m) => m.type === 'info'), 2_000, 'the second guest')
    expect(b.viewers().map((v) => v.name)).toEqual(expect.arrayContaining(['guest', 'second guest']))
    expect(b.viewers().filter((v) => v.address.startsWith('127.0.0.1:'))).toHaveLength(FAIR_SHARE_PER_ADDRESS)
  })
})
