// The receiving side of bench/core.ts's latency figure, run in a worker thread so that the sending thread only
// sends, as a broadcaster does when its viewers are on other machines. It holds N Watchers connected to the
// broadcaster and N raw readers connected to the raw baseline's server, and records when each frame arrived on the
// process's monotonic clock (process.hrtime, shared by all threads of the process).
//
// Messages from the main thread (each answered by exactly one reply):
//   { type: 'start', relayPort, rawPort, viewers, messageBytes } -> { type: 'ready' } once every viewer is connected
//     (with `tlsPort` and `configDir`, N more Watchers watch a private broadcaster over TLS as the device whose
//     store is in configDir: the 'tls' rig)
//   { type: 'collect', rig: 'raw' | 'relay' | 'tls' }            -> { type: 'samples', seqs, at }; starts afresh
//                                                                   with a collected heap for the next block
//   { type: 'stop' }                                              -> { type: 'stopped' }

import { once } from 'node:events'
import net from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import v8 from 'node:v8'
import { runInNewContext } from 'node:vm'
import { parentPort } from 'node:worker_threads'
import { DeviceStore } from '../src/core/secure/device-store'
import { Watcher, type WatchedFrame } from '../src/core/watch/watcher'

export type ReceiverRequest =
  | { type: 'start'; relayPort: number; rawPort: number; viewers: number; messageBytes: number; tlsPort?: number; configDir?: string }
  | { type: 'collect'; rig: 'raw' | 'relay' | 'tls' }
  | { type: 'stop' }

export type ReceiverReply =
  | { type: 'ready' }
  | { type: 'samples'; seqs: number[]; at: number[] }
  | { type: 'stopped' }

const HOST = '127.0.0.1'

/** Milliseconds on the process's monotonic clock: comparable between threads of one process. */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6
}

class Samples {
  seqs: number[] = []
  at: number[] = []

  add(seq: number): void {
    this.at.push(monotonicMs())
    this.seqs.push(seq)
  }

  take(): { seqs: number[]; at: number[] } {
    const out = { seqs: this.seqs, at: this.at }
    this.seqs = []
    this.at = []
    return out
  }
}

v8.setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const raw = new Samples()
const relay = new Samples()
const tls = new Samples()
const readers: net.Socket[] = []
const counts: number[] = []
const watchers: Watcher[] = []

/** A raw reader counts bytes; each completed message is the next seq (the sender restarts at 0 every block). */
async function connectRaw(port: number, index: number, messageBytes: number): Promise<void> {
  const s = net.connect({ host: HOST, port, noDelay: true })
  let got = 0
  counts[index] = 0
  s.on('data', (chunk: Buffer) => {
    got += chunk.length
    while (got >= messageBytes) {
      got -= messageBytes
      raw.add(counts[index]!++)
    }
  })
  await once(s, 'connect')
  readers.push(s)
}

async function start(r: Extract<ReceiverRequest, { type: 'start' }>): Promise<void> {
  for (let i = 0; i < r.viewers; i++) await connectRaw(r.rawPort, i, r.messageBytes)
  for (let i = 0; i < r.viewers; i++) {
    const w = new Watcher({ host: HOST, port: r.relayPort })
    w.on('frame', (f: WatchedFrame) => relay.add(f.seq))
    w.start()
    watchers.push(w)
  }
  if (r.tlsPort !== undefined && r.configDir !== undefined) {
    const store = await DeviceStore.open(r.configDir)
    for (let i = 0; i < r.viewers; i++) {
      const w = new Watcher({ host: HOST, port: r.tlsPort, security: { store } })
      w.on('frame', (f: WatchedFrame) => tls.add(f.seq))
      w.start()
      watchers.push(w)
    }
  }
  while (watchers.some((w) => w.status.state !== 'live')) await sleep(5)
}

async function handle(r: ReceiverRequest): Promise<ReceiverReply> {
  switch (r.type) {
    case 'start':
      await start(r)
      return { type: 'ready' }
    case 'collect': {
      if (r.rig === 'raw') counts.fill(0)
      const samples = (r.rig === 'raw' ? raw : r.rig === 'tls' ? tls : relay).take()
      gc()
      return { type: 'samples', ...samples }
    }
    case 'stop':
      await Promise.all(watchers.map((w) => w.stop()))
      for (const s of readers) s.destroy()
      parentPort!.unref()
      return { type: 'stopped' }
  }
}

// A failure is left unhandled on purpose: it ends the worker, and the main thread sees it as the worker's 'error'.
parentPort?.on('message', (r: ReceiverRequest) => void handle(r).then((reply) => parentPort!.postMessage(reply)))
