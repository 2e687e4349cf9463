// The LAN helper itself: a shaped link really runs at its rate, programs in the two namespaces reach each other only
// over it, and nothing is left behind.

import { execFileSync } from 'node:child_process'
import { afterEach, describe, expect, it } from 'vitest'
import { createLan, type Lan, lanSupport } from './netns'

const support = lanSupport()

/** A TCP server in side A that sends `bytes` to the first client; a client in side B that reads it all and prints ms. */
const SERVER = `
const net = require('node:net')
const bytes = Number(process.argv[2])
const s = net.createServer((c) => { c.end(Buffer.alloc(bytes, 7)); s.close() })
s.listen(0, process.argv[1], () => console.log(s.address().port))`
const CLIENT = `
const net = require('node:net')
const t0 = performance.now(); let got = 0
const c = net.connect(Number(process.argv[2]), process.argv[1])
c.on('data', (d) => { got += d.length })
c.on('end', () => console.log(JSON.stringify({ got, ms: performance.now() - t0 })))`

function namespaces(): string {
  return execFileSync('/usr/sbin/ip', ['netns', 'list'], { encoding: 'utf8' })
}

async function firstLine(child: import('node:child_process').ChildProcess): Promise<string> {
  let out = ''
  child.stdout!.setEncoding('utf8')
  for await (const chunk of child.stdout!) {
    out += chunk as string
    if (out.includes('\n')) break
  }
  return out.trim()
}

describe.skipIf(!support.ok)('a two-namespace LAN', () => {
  let lan: Lan | null = null
  afterEach(async () => {
    await lan?.close()
    lan = null
  })

  it('carries TCP between the namespaces at the shaped rate', async () => {
    lan = createLan({ rateMbit: 20 })
    const bytes = 2_500_000
    const server = lan.spawn(lan.a, process.execPath, ['-e', SERVER, lan.a.address, String(bytes)])
    const port = await firstLine(server)
    const client = lan.spawn(lan.b, process.execPath, ['-e', CLIENT, lan.a.address, port])
    const result = JSON.parse(await firstLine(client)) as { got: number; ms: number }
    expect(result.got).toBe(bytes)
    const mbit = (bytes * 8) / (result.ms / 1000) / 1e6
    // 2.5 MB at 20 Mbit/s is 1 s; slow start and the shared CPU only make it slower, never faster than the link.
    expect(mbit).toBeLessThan(22)
    expect(mbit).toBeGreaterThan(8)
  })

  it('removes both namespaces on close, and close is idempotent', async () => {
    lan = createLan()
    const { a, b } = lan
    expect(namespaces()).toContain(a.ns)
    expect(namespaces()).toContain(b.ns)
    await lan.close()
    await lan.close()
    lan = null
    expect(namespaces()).not.toContain(a.ns)
    expect(namespaces()).not.toContain(b.ns)
  })
})

describe.skipIf(support.ok)('without the rights to make namespaces', () => {
  it('says why', () => {
    expect(support.ok ? '' : support.reason).toMatch(/root|Linux|iproute2/)
  })
})
