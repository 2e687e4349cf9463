// The secure transport's part of bench/core.ts: stores for a broadcaster and a viewer that paired beforehand (so the
// relay figures measure TLS, not the pairing), and pairing_ms — how long a new device takes from connecting to its
// first INFO with the code typed (TCP, TLS 1.3, HELLO, CPace, confirmation), against an already paired device
// connecting over TLS in the same run.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Broadcaster } from '../src/core/fanout/broadcaster'
import type { PrivateAccess } from '../src/core/secure/access'
import { DeviceStore } from '../src/core/secure/device-store'
import { PairingCodes } from '../src/core/secure/pairing-code'
import { Watcher } from '../src/core/watch/watcher'
import type { StreamInfo } from '../src/shared/protocol'
import { percentile } from '../src/shared/stats'

const HOST = '127.0.0.1'
const info: StreamInfo = { codec: 'jpeg', width: 1280, height: 720, fps: 30, name: 'bench' }

type Print = (name: string, value: number, unit: string, baseline: number | null, goal: string) => void

async function tempStore(): Promise<DeviceStore> {
  return DeviceStore.open(await mkdtemp(join(tmpdir(), 'framecast-bench-')))
}

/** A broadcaster's and a viewer's store, the viewer already paired with the broadcaster; remove() deletes both. */
export async function pairedStores(): Promise<{ broadcaster: DeviceStore; viewer: DeviceStore; remove: () => Promise<void> }> {
  const broadcaster = await tempStore()
  const viewer = await tempStore()
  await broadcaster.remember('viewer', viewer.fingerprint, 'bench viewer')
  return {
    broadcaster,
    viewer,
    remove: async () => {
      await Promise.all([rm(broadcaster.dir, { recursive: true, force: true }), rm(viewer.dir, { recursive: true, force: true })])
    }
  }
}

/** Private access for a benchmark broadcaster (its code never expires within a run). */
export function privateAccess(store: DeviceStore): PrivateAccess {
  const codes = new PairingCodes()
  codes.close()
  return { mode: 'private', store, codes }
}

/** ms from start() to 'live' for one watcher. */
async function timeToLive(port: number, security: ConstructorParameters<typeof Watcher>[0]['security']): Promise<number> {
  const w = new Watcher({ host: HOST, port, reconnect: false, ...(security ? { security } : {}) })
  const start = performance.now()
  const live = new Promise<void>((resolve, reject) =>
    w.on('state', (s) => {
      if (s.state === 'live') resolve()
      else if (s.state === 'error') reject(new Error(`${s.error?.code}: ${s.error?.message}`))
    })
  )
  w.start()
  await live
  const ms = performance.now() - start
  await w.stop()
  return ms
}

/**
 * pairing_ms: median over 15 new devices of connect-to-INFO with the code given up front; baseline: the median of an
 * already paired device connecting (TLS, HELLO, INFO), runs interleaved.
 */
export async function benchPairing(print: Print): Promise<void> {
  const store = await tempStore()
  const codes = new PairingCodes()
  const b = await Broadcaster.listen({ host: HOST, port: 0, info, access: { mode: 'private', store, codes } })
  const paired = await tempStore()
  await store.remember('viewer', paired.fingerprint, 'paired')
  const fresh: DeviceStore[] = []
  for (let i = 0; i < 16; i++) fresh.push(await tempStore())
  const pairing: number[] = []
  const known: number[] = []
  try {
    await timeToLive(b.port, { store: paired })
    for (const [i, viewer] of fresh.entries()) {
      // One address may guess 5 times a minute; these guesses are right, and each uses the new code.
      const ms = await timeToLive(b.port, { store: viewer, code: codes.state.code })
      if (i > 0) pairing.push(ms)
      known.push(await timeToLive(b.port, { store: paired }))
    }
  } finally {
    codes.close()
    await b.close()
    await Promise.all([store, paired, ...fresh].map((s) => rm(s.dir, { recursive: true, force: true })))
  }
  print('pairing_ms', percentile(pairing, 50)!, 'ms', percentile(known, 50)!, '< 100 (new device, code given; baseline: paired device)')
  print('pairing_p95_ms', percentile(pairing, 95)!, 'ms', percentile(known, 95)!, 'info')
}
