// Whether the other end of a connection is a program of this same user on this machine — the peer credentials a Unix
// socket would give (SO_PEERCRED), found for TCP in the socket table Linux publishes: on this machine the peer's socket
// is listed too, with its ends swapped and its owner's uid (/proc/net/tcp{,6}, proc_net_tcp(5)). Such a program can
// already read everything this user can, the broadcast's token included, so the MJPEG endpoint lets it in without
// one (request-guard.ts): `cv2.VideoCapture("http://127.0.0.1:8080/stream.mjpg")` works on the broadcasting machine.
// Other users' programs, and every other machine, still need the token. Elsewhere than Linux the answer is always no.

import { readFileSync } from 'node:fs'
import { endianness } from 'node:os'
import { connectionKey, procNetTcpRows, type SocketEnds } from '../pacing/send-queue'

const FILES = ['/proc/net/tcp', '/proc/net/tcp6']

/**
 * True when `socket`'s peer is a socket of this machine owned by this process's user. Reads the socket table once per
 * call (call it only for peers whose address is this machine's); `read` and `uid` are injectable for tests.
 */
export function peerIsSameUser(
  socket: SocketEnds,
  read: (path: string) => string = (path) => readFileSync(path, 'latin1'),
  uid: number | null = typeof process.getuid === 'function' && process.platform === 'linux' ? process.getuid() : null
): boolean {
  if (uid === null) return false
  // The peer's own socket: its local end is our remote end.
  const peerKey = connectionKey(socket, true)
  if (peerKey === null) return false
  const littleEndian = endianness() === 'LE'
  for (const file of FILES) {
    let text: string
    try {
      text = read(file)
    } catch {
      continue
    }
    for (const row of procNetTcpRows(text, littleEndian)) if (row.key === peerKey) return row.uid === uid
  }
  return false
}
