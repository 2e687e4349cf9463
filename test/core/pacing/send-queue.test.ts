// The kernel send queue of our connections (pacing/send-queue.ts): the /proc/net/tcp parser against arbitrary and
// corrupted text, and ProcNetTcp against a real loopback connection whose reader stops reading.

import fc from 'fast-check'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import net from 'node:net'
import { endianness } from 'node:os'
import { afterEach, describe, expect, it } from 'vitest'
import { parseProcNetTcp, ProcNetTcp } from '../../../src/core/pacing/send-queue'
import { NUM_RUNS } from '../../support/runs'
import { sleep } from '../../support/net'

const LINE = '   3: 0100007F:9C59 0100007F:CA0E 01 0001A000:00000000 00:00000000 00000000  1000        0 123 1 0 20 4 30 10 -1'

describe('parseProcNetTcp', () => {
  it('reads both ends and the send queue of a row', () => {
    const rows = parseProcNetTcp(`  sl  local_address rem_address   st tx_queue rx_queue\n${LINE}\n`, true)
    expect([...rows]).toEqual([[`${'0'.repeat(20)}ffff7f000001:40025>${'0'.repeat(20)}ffff7f000001:51726`, 0x1a000]])
  })

  it('never throws, and skips a row with any field corrupted', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        for (const txQueue of parseProcNetTcp(text, true).values()) expect(Number.isSafeInteger(txQueue)).toBe(true)
      }),
      { numRuns: NUM_RUNS }
    )
    for (const bad of [LINE.replace('0100007F:9C59', '0100007G:9C59'), LINE.replace(':CA0E', ':CA0E0'), LINE.replace('0001A000:', '0001A000')]) {
      expect(parseProcNetTcp(bad, true).size).toBe(0)
    }
  })
})

describe.skipIf(process.platform !== 'linux')('ProcNetTcp over loopback', () => {
  const closers: Array<() => void> = []
  afterEach(() => closers.splice(0).forEach((c) => c()))

  it('sees what a reader that stopped reading leaves in our send queue, and sees it go when it reads', async () => {
    const server = net.createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const conn = once(server, 'connection') as Promise<[net.Socket]>
    const reader = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
    const [sender] = await conn
    closers.push(() => (reader.destroy(), sender.destroy(), server.close()))
    reader.pause()
    const proc = new ProcNetTcp((path) => readFileSync(path, 'latin1'), () => performance.now(), endianness() === 'LE')
    expect(proc.queued(sender)).toBe(0)
    const chunk = Buffer.alloc(1 << 20)
    while (sender.write(chunk));
    let queued = 0
    for (let i = 0; i < 50 && queued === 0; i++) {
      await sleep(20)
      queued = proc.queued(sender) ?? 0
    }
    expect(queued).toBeGreaterThan(0)
    reader.resume()
    for (let i = 0; i < 100 && queued > 0; i++) {
      await sleep(20)
      queued = proc.queued(sender) ?? 0
    }
    expect(queued).toBe(0)
    expect(proc.queued({ localAddress: '127.0.0.1', localPort: 1, remoteAddress: '127.0.0.1', remotePort: 2 })).toBeNull()
  })
})
