// Ending a stream so that its reader never sees it end inside a frame. Every frame is written whole (header and
// payload in one corked write), so the bytes a socket holds are whole frames except for the one its reader is part-way
// through. A FIN sent once everything written has gone out lands on a frame boundary; a FIN sent by closing while Node
// still holds part of a frame would land inside it, and a reader such as the classic tutorial loop
// (`while len(data) < size: data += recv()`) then spins forever on an empty read. So: end(), and if the reader has
// not taken what we hold within the linger time, reset the connection instead (an RST is an error at the reader,
// never a short frame followed by a clean end).

import type { Duplex } from 'node:stream'

/** A socket that can be reset (net.Socket; a TLS socket cannot and is destroyed instead). */
type Resettable = Duplex & { resetAndDestroy?: () => unknown }

/**
 * Half-close `socket` after the last whole frame written to it: end() now; after `lingerMs` ms, if it is still
 * open, destroy it — with a reset when Node still held unsent bytes (the FIN never went out), else plainly (the FIN
 * is queued behind whole frames). Idempotent; does nothing to a destroyed socket.
 */
export function endAfterWholeFrames(socket: Resettable, lingerMs: number): void {
  if (socket.destroyed) return
  if (!socket.writableEnded) socket.end()
  const t = setTimeout(() => {
    if (socket.destroyed) return
    if (socket.writableFinished) socket.destroy()
    else resetSocket(socket)
  }, lingerMs)
  t.unref()
  socket.once('close', () => clearTimeout(t))
}

/** Close `socket` with an RST where it can be reset, else destroy it. */
export function resetSocket(socket: Resettable): void {
  try {
    if (typeof socket.resetAndDestroy === 'function') {
      socket.resetAndDestroy()
      return
    }
  } catch {
    // not a plain TCP handle (TLS): destroy below
  }
  socket.destroy()
}
