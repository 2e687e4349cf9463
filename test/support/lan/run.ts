// One LAN run (test/support/netns.ts): a broadcaster agent in side A, viewer agents in side B, and what each reported.
// Shared by the namespace tests and `npm run bench:lan`.

import { join } from 'node:path'
import type { Lan } from '../netns'
import type { BroadcasterAgentLine, BroadcasterAgentOptions } from './broadcaster-agent'
import type { ReaderResult, ViewerAgentLine, ViewerSpec, WatchResult } from './viewer-agent'

const BROADCASTER = join(__dirname, 'broadcaster-agent.ts')
const VIEWER = join(__dirname, 'viewer-agent.ts')

export type BroadcasterDone = Extract<BroadcasterAgentLine, { done: unknown }>['done']

/**
 * Start a broadcaster agent in A with `broadcaster` (its address filled in), then one viewer agent per spec in B
 * connected to it (to its MJPEG port for 'mjpeg' readers); resolves when all have reported, in the specs' order.
 * Rejects (with the agent's standard error) when an agent exits without reporting or takes longer than the run plus
 * a minute.
 */
export async function lanRun(
  lan: Lan,
  broadcaster: Omit<BroadcasterAgentOptions, 'host'>,
  viewers: readonly ViewerSpec[]
): Promise<{ sent: BroadcasterDone; results: Array<WatchResult[] | ReaderResult> }> {
  const b = lan.agent<BroadcasterAgentLine>(lan.a, BROADCASTER, { ...broadcaster, host: lan.a.address })
  const ready = await b.next((l) => ('ready' in l ? l.ready : undefined), 60_000)
  const vs = viewers.map((v) =>
    lan.agent<ViewerAgentLine>(lan.b, VIEWER, { ...v, host: lan.a.address, port: v.kind === 'mjpeg' ? ready.mjpegPort : ready.port })
  )
  const results = await Promise.all(vs.map((v) => v.next((l) => l.result, (broadcaster.seconds + 60) * 1_000)))
  const sent = await b.next((l) => ('done' in l ? l.done : undefined), 60_000)
  return { sent, results }
}

/** The results of 'watch' viewers (one per Watcher). */
export const watchResults = (r: WatchResult[] | ReaderResult): WatchResult[] => r as WatchResult[]
/** The result of a 'classic' or 'mjpeg' reader. */
export const readerResult = (r: WatchResult[] | ReaderResult): ReaderResult => r as ReaderResult

/** Path of the viewer agent, for runs that start viewers themselves. */
export const VIEWER_AGENT = VIEWER
