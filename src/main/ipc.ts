// The only user of ipcMain. Every request arrives on IPC_REQUEST_CHANNEL as (channel, payload) and is answered with
// a Result; nothing is ever thrown back to a window. A request must come from the main frame of a window we created,
// showing our own page; its role is the one we gave the window, never one the page claims.
//
// One handler for all channels (rather than one per channel) so that the sender check sits in exactly one place and
// an unknown channel still reaches us: it gets an error Result and a log line instead of Electron's "no handler".

import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { IPC_REQUEST_CHANNEL, type EventChannel, type EventMap, type IpcError, type Result } from '../shared/ipc'
import type { Peer, Sessions } from '../service/sessions'
import { isAppUrl, onWindowGone, windowRole } from './windows'

export interface IpcOptions {
  sessions: Pick<Sessions, 'handle' | 'release'>
  log?: (line: string) => void
}

/**
 * Electron clones a typed array together with its whole backing buffer; a frame that is a view into a larger
 * network buffer is copied out first so only its own bytes cross to the window.
 */
export function ownBytes(bytes: Uint8Array): Uint8Array {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) return bytes
  return new Uint8Array(bytes)
}

function peerFor(contents: WebContents, role: Peer['role']): Peer {
  return {
    id: String(contents.id),
    role,
    send<E extends EventChannel>(channel: E, payload: EventMap[E]): void {
      if (contents.isDestroyed()) return
      if (channel === 'watch:frame') {
        const frame = payload as EventMap['watch:frame']
        contents.send(channel, { ...frame, payload: ownBytes(frame.payload) })
      } else {
        contents.send(channel, payload)
      }
    }
  }
}

/** Why a request's sender is not acceptable, or null when it is one of our windows' main frame showing our page. */
export function senderProblem(event: Pick<IpcMainInvokeEvent, 'sender' | 'senderFrame'>): string | null {
  const contents = event.sender
  if (!contents || contents.isDestroyed()) return 'the sender is gone'
  if (windowRole(contents.id) === undefined) return `webContents ${contents.id} is not a window we created`
  const frame = event.senderFrame
  if (!frame) return 'the sending frame is gone'
  const main = contents.mainFrame
  const isMain =
    frame === main || (frame.parent === null && frame.processId === main.processId && frame.routingId === main.routingId)
  if (!isMain) return 'the request came from a subframe'
  if (!isAppUrl(frame.url)) return `the sending page is not ours (${frame.url.slice(0, 80)})`
  return null
}

export function registerIpc({ sessions, log = (line) => console.warn(`[framecast] ${line}`) }: IpcOptions): () => void {
  const peers = new Map<number, Peer>()

  ipcMain.handle(IPC_REQUEST_CHANNEL, async (event, channel: unknown, payload: unknown): Promise<Result<unknown>> => {
    try {
      const problem = senderProblem(event)
      if (problem !== null) {
        log(`refused IPC ${typeof channel === 'string' ? channel.slice(0, 48) : typeof channel}: ${problem}`)
        return { ok: false, error: { code: 'ACCESS_DENIED', message: 'This window may not make requests' } }
      }
      const contents = event.sender
      const role = windowRole(contents.id)!
      let peer = peers.get(contents.id)
      if (!peer || peer.role !== role) {
        peer = peerFor(contents, role)
        peers.set(contents.id, peer)
      }
      return await sessions.handle(peer, channel, payload)
    } catch (e) {
      const error: IpcError = { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
      log(`IPC request failed: ${error.message}`)
      return { ok: false, error }
    }
  })

  const stopWatching = onWindowGone((id) => {
    const peer = peers.get(id)
    peers.delete(id)
    if (peer) {
      sessions.release(peer).catch((e: unknown) => log(`releasing window ${id} failed: ${String(e)}`))
    }
  })

  return () => {
    ipcMain.removeHandler(IPC_REQUEST_CHANNEL)
    stopWatching()
  }
}
