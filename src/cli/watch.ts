// `framecast watch HOST:PORT`: watch a Framecast broadcaster or a classic OpenCV sender script, print live stats,
// write the frames, and end with one JSON line of stats.

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import * as v from 'valibot'
import { HostSchema, readPort, splitHostPort } from '../shared/address'
import type { ErrorCode } from '../shared/protocol'
import type { WatchMode } from '../shared/status'
import { Watcher, type WatchedFrame } from '../core/watch/watcher'
import { defaultConfigDir, DeviceStore } from '../core/secure/device-store'
import { isPairingCode } from '../core/secure/pairing-code'
import { KeyframeChain } from '../shared/keyframe-chain'
import { EXIT_CODES_HELP, Exit, frameLimitOption, type Io, parseNumber, prefixOption, StatusLine, UsageError } from './common'

export const WATCH_HELP = `Usage: framecast watch HOST:PORT [options]

Watches a Framecast broadcaster, or a classic OpenCV sender script (pickle or JPEG payloads).

  HOST:PORT           e.g. 192.168.1.20:9999, camera.local:9999, [fe80::1%eth0]:9999
  --classic           the peer is a classic OpenCV sender (default: tell from its first bytes)
  --native            the peer must be a Framecast broadcaster
  --prefix P          a classic sender's length prefix, as its struct.pack format writes it: Q (the tutorial's;
                      "L" on Linux), <L (Windows "L"; also I), >L (also !L, !I), !Q, H, !H — default auto, told
                      from its first messages
  --max-frame-mib N   largest frame accepted, MiB (1 to 1024; default 32 from a classic sender, 8 from Framecast)
  --code NNNNNN       the pairing code a private broadcaster shows (needed once per broadcaster; this device
                      remembers it, and a broadcaster whose key changed is refused)
  --config-dir DIR    this device's key and paired broadcasters (default $FRAMECAST_CONFIG_DIR, else
                      $XDG_CONFIG_HOME/framecast or ~/.config/framecast)
  --frames N          stop after N frames (default: until Ctrl-C)
  --out DIR | -       write each frame as DIR/frame-000001.jpg ..., or - for an MJPEG stream on standard output;
                      an H.264 stream: DIR/frame-000001.h264 ... (one access unit each), or - for an H.264 Annex B
                      stream (ffplay -f h264 -)
  --json              end with one JSON line on standard output:
                      {"frames","fps","kbps","latencyP50Ms","latencyP95Ms","gaps","skippedWhileEncoding",
                      "format","width","height"}
                      gaps: frames the broadcaster skipped (jumps in its sequence numbers);
                      skippedWhileEncoding: classic pickles skipped while an earlier one was encoded to JPEG
  --timeout SECONDS   give up (exit 1) if not done by then
  --quiet, -q         no status line on standard error
  --help, -h          this text

Lost connections are retried until the frame count, the timeout or Ctrl-C.

${EXIT_CODES_HELP}`

/** What to do about the errors an option can fix, in this command's words. */
const HINTS: Partial<Record<ErrorCode, string>> = {
  MESSAGE_TOO_LARGE: ' — raise the limit with --max-frame-mib',
  BAD_LENGTH_PREFIX: ' — give the sender\'s prefix with --prefix, or --prefix auto',
  CODE_REQUIRED: ' — run again with --code and the 6 digits the broadcaster shows',
  PAIRING_FAILED: ' — check the code the broadcaster shows now, and run again with --code',
  CODE_EXPIRED: ' — check the code the broadcaster shows now, and run again with --code',
  KEY_CHANGED: ' — this is not the Framecast you paired with; if it was reinstalled, forget it first (framecast devices forget ...)'
}

/**
 * The HOST:PORT argument: "192.168.1.20:9999", "camera.local:9999", "[fe80::1%eth0]:9999" (split by splitHostPort,
 * checked by HostSchema and readPort). Throws UsageError saying what is wrong.
 */
export function parseAddress(text: string): { host: string; port: number } {
  const split = splitHostPort(text)
  if (split === null) throw new UsageError(`"${text}" is not HOST:PORT (an IPv6 address goes in brackets: [::1]:9999)`)
  const host = v.safeParse(HostSchema, split.host)
  if (!host.success) throw new UsageError(`${split.host}: ${host.issues[0].message}`)
  const port = readPort(split.port)
  if (port.port === null) throw new UsageError(`${split.port}: ${port.problem}`)
  return { host: host.output, port: port.port }
}

export async function watch(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      classic: { type: 'boolean' },
      native: { type: 'boolean' },
      prefix: { type: 'string' },
      'max-frame-mib': { type: 'string' },
      code: { type: 'string' },
      'config-dir': { type: 'string' },
      frames: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      quiet: { type: 'boolean', short: 'q' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) {
    io.stdout.write(`${WATCH_HELP}\n`)
    return Exit.ok
  }
  if (positionals.length !== 1) throw new UsageError('Give exactly one HOST:PORT to watch')
  const { host, port } = parseAddress(positionals[0]!)
  if (values.classic && values.native) throw new UsageError('--classic and --native exclude each other')
  const mode: WatchMode = values.classic ? 'classic' : values.native ? 'native' : 'auto'
  const classicPrefix = prefixOption(values.prefix, true)
  if (classicPrefix !== undefined && values.native) throw new UsageError('--prefix is for classic senders, not with --native')
  const maxMessageBytes = frameLimitOption(values['max-frame-mib'])
  const limit = parseNumber('frames', values.frames, 1, Number.MAX_SAFE_INTEGER)
  const timeoutS = parseNumber('timeout', values.timeout, 0.1, 86_400, false)
  const out = values.out
  if (out === '-' && values.json) throw new UsageError('--out - and --json both use standard output; write frames to a folder instead')
  if (out !== undefined && out !== '-') await mkdir(out, { recursive: true })

  if (values.code !== undefined && !isPairingCode(values.code)) throw new UsageError(`--code takes the 6 digits the broadcaster shows, not "${values.code}"`)
  const store = mode === 'classic' ? undefined : await DeviceStore.open(values['config-dir'] ?? defaultConfigDir())
  const watcher = new Watcher({
    host,
    port,
    mode,
    ...(store !== undefined ? { security: { store, ...(values.code !== undefined ? { code: values.code } : {}) } } : {}),
    ...(classicPrefix !== undefined ? { classicPrefix } : {}),
    ...(maxMessageBytes !== undefined ? { maxMessageBytes } : {})
  })
  const status = new StatusLine(io.stderr, values.quiet ?? false)
  let frames = 0
  let bytes = 0
  let firstAt: number | null = null
  let lastAt = 0
  let size: { width: number; height: number } | null = null
  let stdoutBlocked = false
  let skipped = 0
  // What goes to standard output: after a frame skipped there, an H.264 stream resumes at its next keyframe.
  const toStdout = new KeyframeChain()
  // Writes to --out under way: settled ones leave at once, and while MAX_PENDING_WRITES are under way (a slow disk)
  // newer frames are skipped, so a long watch holds a few frames, not every frame the disk has yet to take.
  const writes = new Set<Promise<void>>()
  let writeError: unknown = null

  const result = await new Promise<{ code: number; reason: string | null }>((resolve) => {
    const finish = (code: number, reason: string | null): void => resolve({ code, reason })
    watcher.on('info', (info) => (size = { width: info.width, height: info.height }))
    watcher.on('frame', (f: WatchedFrame) => {
      if (limit !== undefined && frames >= limit) return
      frames++
      bytes += f.payload.length
      const now = performance.now()
      firstAt ??= now
      lastAt = now
      if (out === '-') {
        if (stdoutBlocked) {
          skipped++
          toStdout.break()
        } else if (!toStdout.take(f.keyframe)) skipped++
        else if (!io.stdout.write(f.payload)) {
          stdoutBlocked = true
          io.stdout.once('drain', () => (stdoutBlocked = false))
        }
      } else if (out !== undefined) {
        if (writes.size >= MAX_PENDING_WRITES) skipped++
        else {
          const ext = f.codec === 'h264' ? 'h264' : 'jpg'
          const write: Promise<void> = writeFile(join(out, `frame-${String(frames).padStart(6, '0')}.${ext}`), f.payload)
            .catch((e: unknown) => void (writeError ??= e))
            .finally(() => writes.delete(write))
          writes.add(write)
        }
      }
      if (limit !== undefined && frames >= limit) finish(Exit.ok, null)
    })
    watcher.on('stats', (s) => {
      const st = watcher.status
      const lat = s.latencyP50Ms === null ? '' : ` · latency p50 ${s.latencyP50Ms} ms p95 ${s.latencyP95Ms} ms`
      const skipped = s.skippedWhileEncoding > 0 ? ` · skipped while encoding ${s.skippedWhileEncoding}` : ''
      const transport = st.security === null ? '' : st.security.encrypted ? ' encrypted' : ' UNENCRYPTED'
      status.update(`${st.state} ${st.format ?? ''}${transport} · frames ${frames} · ${s.fps} fps · ${s.kbps} kbps · gaps ${s.gaps}${skipped}${lat}`)
    })
    watcher.on('state', (s) => {
      if (s.state === 'error') finish(Exit.failed, s.error ? `${s.error.message} (${s.error.code})${HINTS[s.error.code] ?? ''}` : 'the watch failed')
      else if ((s.state === 'reconnecting' || s.state === 'lost') && s.error && !values.quiet) {
        status.update(`${s.state}: ${s.error.message}`)
      }
    })
    void io.interrupted.then(() => finish(Exit.ok, null))
    if (timeoutS !== undefined) {
      setTimeout(() => finish(Exit.failed, `not done after ${timeoutS} s (${frames} frames)`), timeoutS * 1000).unref()
    }
    watcher.start()
  })
  const stats = watcher.stats()
  const format = watcher.status.format
  await watcher.stop()
  await Promise.all([...writes])
  if (writeError !== null) throw writeError
  status.done()
  if (result.reason !== null) io.stderr.write(`framecast watch: ${result.reason}\n`)
  if (skipped > 0) io.stderr.write(`framecast watch: ${skipped} frames were not written because ${out === '-' ? 'standard output' : 'the disk'} was busy\n`)
  if (values.json) {
    const seconds = firstAt === null || lastAt <= firstAt ? 0 : (lastAt - firstAt) / 1000
    const summary = {
      frames,
      fps: seconds > 0 ? round2((frames - 1) / seconds) : 0,
      kbps: seconds > 0 ? Math.round((bytes * 8) / seconds / 1000) : 0,
      latencyP50Ms: stats.latencyP50Ms,
      latencyP95Ms: stats.latencyP95Ms,
      gaps: stats.gaps,
      skippedWhileEncoding: stats.skippedWhileEncoding,
      format,
      width: (size as { width: number } | null)?.width ?? null,
      height: (size as { height: number } | null)?.height ?? null
    }
    io.stdout.write(`${JSON.stringify(summary)}\n`)
  }
  return result.code
}

/** Frames being written to --out at once before newer ones are skipped. */
const MAX_PENDING_WRITES = 16

function round2(n: number): number {
  return Math.round(n * 100) / 100
}

