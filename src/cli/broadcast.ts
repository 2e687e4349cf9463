// `framecast broadcast`: serve JPEG frames from a file, a folder or standard input to Framecast viewers (private:
// TLS and a pairing code printed here, unless --open), classic OpenCV receiver scripts (--classic) and HTTP MJPEG
// clients (--mjpeg-port, behind a per-broadcast token).

import { randomBytes } from 'node:crypto'
import { parseArgs } from 'node:util'
import { setTimeout as sleep } from 'node:timers/promises'
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_VIEWERS, DEFAULT_PORT, INFO_MAX_NAME_BYTES, nowUs } from '../shared/protocol'
import { Broadcaster } from '../core/fanout/broadcaster'
import { FramecastError } from '../core/errors'
import { framingForClassicMode } from '../core/fanout/framing'
import { DEFAULT_CLASSIC_PREFIX, PREFIX_LAYOUTS } from '../shared/classic'
import { formatHostPort } from '../shared/address'
import { jpegSize } from '../core/jpeg/jpeg'
import { MJPEG_STREAM_PATH, MjpegServer } from '../core/mjpeg/mjpeg-server'
import { type Access, OPEN_ACCESS } from '../core/secure/access'
import { defaultConfigDir, DeviceStore } from '../core/secure/device-store'
import { PairingCodes } from '../core/secure/pairing-code'
import { displayFingerprint } from '../shared/fingerprint'
import { EXIT_CODES_HELP, Exit, frameLimitOption, type Io, parseNumber, portOption, prefixOption, StatusLine, UsageError } from './common'
import { advertiseCli } from './advertise'
import { openSource } from './sources'
import { abortable } from '../shared/abortable'
import { describeAdaptation, describeDelivery, formatRate } from '../shared/delivery-words'
import { shapeFrame } from './shape-frame'

export const BROADCAST_HELP = `Usage: framecast broadcast --source <file.mjpeg | folder | -> [options]

Serves JPEG frames to viewers on the network.

Source:
  --source, -s PATH   an MJPEG byte stream (JPEGs back to back, e.g. from \`ffmpeg ... -f mjpeg -\`),
                      a folder of .jpg/.jpeg files (name order), or - for standard input
  --fps N             pace of a file or folder, and the nominal rate announced (default 30)
  --loop              start a file or folder over at its end (default: stop at the end)

Who may watch (Framecast viewers):
  (default)           private: encrypted (TLS 1.3), and only devices that paired with the 6-digit code printed
                      here ("pairing code: 123456"; a new one after each pairing, after 3 wrong tries, and every
                      10 minutes); paired devices need no code again
  --open              open: anyone who can reach the port watches, unencrypted (classic mode is always open)
  --config-dir DIR    this device's key and paired devices (default $FRAMECAST_CONFIG_DIR, else
                      $XDG_CONFIG_HOME/framecast or ~/.config/framecast)

Serving:
  --port, -p N        TCP port (default ${DEFAULT_PORT}; 0 picks a free one, printed on standard output)
  --host ADDR         address to listen on (default all interfaces)
  --classic[=pickle|jpeg]
                      speak the classic OpenCV-script format on --port instead of Framecast:
                      pickle (default) for receivers that call pickle.loads, jpeg for cv2.imdecode
  --prefix P          with --classic: the length prefix the receivers unpack, as their struct format writes it:
                      Q (default, the tutorial's; "L" on Linux), <L (Windows "L"; also I), >L (also !L), !Q, H, !H
  --max-frame-mib N   with --classic: largest frame sent, MiB (1 to 1024; default 32, a pickled 4K frame is 25);
                      larger frames are skipped and counted
  --mjpeg-port N      also serve http://HOST:N${MJPEG_STREAM_PATH} and /snapshot.jpg (0 picks a port); MJPEG is
                      unencrypted, and its URL carries a token (?token=...) that only people you give it to know
  --mjpeg-token TEXT  that token (default: a new random one each run)
  --max-viewers N     viewers per server (default ${DEFAULT_MAX_VIEWERS})
  --quality N         re-encode every frame at JPEG quality N (1-100); the most adaptive quality asks for
                      (default: frames go out as read, re-encoded only when the network cannot carry them)
  --fixed-quality     no adaptive quality: frames always go out as read (or at --quality)
  --name TEXT         name shown to Framecast viewers and in their lists (default "framecast")
  --no-advertise      do not tell the local network about this broadcast (by default it is listed, with DNS-SD,
                      in Watch windows and \`framecast list\` on the same network)
  --quiet, -q         no status line on standard error
  --help, -h          this text

Standard output gets one line per server: "listening on HOST:PORT (...)" and "mjpeg on http://...", then, when
private, "pairing code: NNNNNN ..." (again each time the code changes), and "advertised as "NAME"" once the local
network has been told.

${EXIT_CODES_HELP}`

export async function broadcast(argv: string[], io: Io): Promise<number> {
  const args = argv.map((a) => (a === '--classic' ? '--classic=pickle' : a))
  const { values } = parseArgs({
    args,
    strict: true,
    allowPositionals: false,
    options: {
      source: { type: 'string', short: 's' },
      fps: { type: 'string' },
      loop: { type: 'boolean' },
      port: { type: 'string', short: 'p' },
      host: { type: 'string' },
      classic: { type: 'string' },
      prefix: { type: 'string' },
      'max-frame-mib': { type: 'string' },
      'mjpeg-port': { type: 'string' },
      'max-viewers': { type: 'string' },
      quality: { type: 'string' },
      'fixed-quality': { type: 'boolean' },
      name: { type: 'string' },
      'no-advertise': { type: 'boolean' },
      open: { type: 'boolean' },
      'config-dir': { type: 'string' },
      'mjpeg-token': { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) {
    io.stdout.write(`${BROADCAST_HELP}\n`)
    return Exit.ok
  }
  if (values.source === undefined) throw new UsageError('--source is required (a file, a folder of JPEGs, or - for standard input)')
  const fps = parseNumber('fps', values.fps, 0.1, 120, false) ?? 30
  const port = portOption('port', values.port) ?? DEFAULT_PORT
  const mjpegPort = portOption('mjpeg-port', values['mjpeg-port'])
  const maxViewers = parseNumber('max-viewers', values['max-viewers'], 1, 1024) ?? DEFAULT_MAX_VIEWERS
  const fixedQuality = parseNumber('quality', values.quality, 1, 100)
  const adaptive = !(values['fixed-quality'] ?? false)
  const classic = values.classic as 'pickle' | 'jpeg' | undefined
  if (classic !== undefined && classic !== 'pickle' && classic !== 'jpeg') {
    throw new UsageError(`--classic takes pickle or jpeg, not "${String(classic)}"`)
  }
  const classicPrefix = prefixOption(values.prefix, false)
  const maxMessageBytes = frameLimitOption(values['max-frame-mib'])
  if (classic === undefined && (classicPrefix !== undefined || maxMessageBytes !== undefined)) {
    throw new UsageError('--prefix and --max-frame-mib go with --classic')
  }
  const name = values.name ?? 'framecast'
  if (Buffer.byteLength(name) > INFO_MAX_NAME_BYTES) throw new UsageError(`--name is longer than ${INFO_MAX_NAME_BYTES} bytes`)
  const mjpegToken = values['mjpeg-token'] ?? randomBytes(18).toString('base64url')
  if (!/^[\w-]{8,128}$/.test(mjpegToken)) throw new UsageError('--mjpeg-token takes 8 to 128 letters, digits, _ or -')
  const open = values.open === true || classic !== undefined

  const source = await openSource(values.source, io.stdin, DEFAULT_MAX_MESSAGE_BYTES)
  const frames = source.frames(values.loop ?? false)
  const first = await frames.next()
  if (first.done) throw new UsageError(`${source.label} holds no JPEG images`)
  const size = jpegSize(first.value)
  if (size === undefined) throw new UsageError(`The first image of ${source.label} is not a JPEG with a readable size`)
  const info = { codec: 'jpeg' as const, ...size, fps, name }

  const framing = framingForClassicMode(classic ?? 'off')
  let codes: PairingCodes | null = null
  let access: Access = OPEN_ACCESS
  if (!open) {
    const store = await DeviceStore.open(values['config-dir'] ?? defaultConfigDir())
    codes = new PairingCodes()
    access = { mode: 'private', store, codes }
  }
  const quality = { ceiling: fixedQuality ?? 100, enabled: adaptive }
  const server = await Broadcaster.listen({
    port,
    info,
    maxViewers,
    framing,
    access,
    quality,
    ...(classicPrefix !== undefined ? { classicPrefix } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {}),
    ...(values.host !== undefined ? { host: values.host } : {})
  })
  let mjpeg: MjpegServer | null = null
  try {
    const anyone = 'open: anyone on the network, unencrypted'
    const mode = classic ? `classic ${classic}, prefix "${PREFIX_LAYOUTS[classicPrefix ?? DEFAULT_CLASSIC_PREFIX].struct[0]}", ${anyone}` : open ? `framecast, ${anyone}` : 'framecast, private'
    io.stdout.write(`listening on ${formatHostPort(server.host, server.port)} (${mode})\n`)
    if (mjpegPort !== undefined) {
      mjpeg = await MjpegServer.listen({ port: mjpegPort, maxClients: maxViewers, token: mjpegToken, ...(values.host !== undefined ? { host: values.host } : {}) })
      io.stdout.write(`mjpeg on http://${formatHostPort(mjpeg.host, mjpeg.port)}${mjpeg.pathWithToken(MJPEG_STREAM_PATH)}\n`)
    }
    if (codes !== null && access.mode === 'private') {
      const device = displayFingerprint(access.store.fingerprint)
      const say = (code: string): void => void io.stdout.write(`pairing code: ${code} (type it on the watching device; this device is ${device})\n`)
      say(codes.state.code)
      codes.on('changed', (s) => say(s.code))
      server.on('pairing', (p) => io.stderr.write(`${p.address} (${p.name || 'unnamed device'}) asks to pair\n`))
    }
  } catch (e) {
    codes?.close()
    await server.close()
    throw e
  }
  const advertising = advertiseCli(io, {
    advertise: !values['no-advertise'],
    host: server.host,
    name,
    port: server.port,
    classic: classic ?? 'off',
    // The MJPEG endpoint is not listed: its URL carries the token, given only to those meant to watch.
    mjpegPort: null,
    fingerprint: access.mode === 'private' ? access.store.fingerprint : null
  })

  const status = new StatusLine(io.stderr, values.quiet ?? false)
  // One subscription to the interruption for the whole run (abortable.ts: a race per frame would keep every frame).
  const stop = new AbortController()
  void io.interrupted.then(() => stop.abort())
  const interval = 1000 / fps
  let due = performance.now()
  let sent = 0
  let tooLarge = 0
  let current: Buffer = first.value
  for (;;) {
    if (source.paced) {
      const wait = due - performance.now()
      if (wait > 0) await abortable(sleep(wait), stop.signal)
      due = Math.max(due + interval, performance.now() - interval)
    }
    if (stop.signal.aborted) break
    const capturedAtUs = nowUs()
    const frame = await shapeFrame(current, server.adaptation.target, fixedQuality)
    // A frame at another size (adaptive quality stepped it): the viewers are told (setInfo sends only a change).
    const size = jpegSize(frame.payload)
    if (size !== undefined) server.setInfo({ ...server.streamInfo, ...size })
    try {
      server.send({ capturedAtUs, payload: frame.payload, ...(frame.quality > 0 ? { quality: frame.quality } : {}) })
    } catch (e) {
      // A JPEG larger than a classic prefix or limit can carry is skipped, as a pickle that would be is.
      if (!(e instanceof FramecastError && e.code === 'INVALID_ARGUMENT')) throw e
      tooLarge++
    }
    mjpeg?.send(frame.payload)
    sent++
    status.update(statusText(sent, server, mjpeg, fixedQuality === undefined, tooLarge))
    const next = await abortable(frames.next(), stop.signal)
    if (next === null || next.done || stop.signal.aborted) break
    current = next.value
  }
  status.done()
  codes?.close()
  await Promise.all([server.close(stop.signal.aborted ? 'shutdown' : 'stopped'), mjpeg?.close(), advertising.close()])
  return Exit.ok
}

/** Viewers named one by one on the status line; more are counted. */
const STATUS_VIEWERS = 4

/**
 * The status line: "sent 300 · viewers 2 · 30 fps · 18.2 Mbit/s · replaced for slow viewers 4 · Network-limited:
 * quality lowered to 45 % · desk 12.1 Mbit/s · RTT 3.2 ms · limited | 192.168.1.9:50000 not measured".
 */
function statusText(sent: number, server: Broadcaster, mjpeg: MjpegServer | null, asRead: boolean, tooLarge: number): string {
  const t = server.stats()
  const skipped = tooLarge + t.conversionFailures > 0 ? ` · too large or unreadable ${tooLarge + t.conversionFailures}` : ''
  const viewers = server.viewers()
  const mj = mjpeg === null ? '' : ` · mjpeg ${mjpeg.stats().clients}`
  const each = viewers.slice(0, STATUS_VIEWERS).map((v) => `${v.name || v.address} ${describeDelivery(v)}`)
  if (viewers.length > STATUS_VIEWERS) each.push(`+${viewers.length - STATUS_VIEWERS} more`)
  const list = each.length > 0 ? ` · ${each.join(' | ')}` : ''
  return `sent ${sent} · viewers ${viewers.length}${mj} · ${t.fps} fps · ${formatRate(t.kbps)} · replaced for slow viewers ${t.replaced}${skipped} · ${describeAdaptation(server.adaptation, asRead)}${list}`
}
