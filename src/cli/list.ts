// `framecast list`: the broadcasters this machine hears on the local network (DNS-SD over multicast DNS), printed as
// a table or as JSON for scripts; with --follow, each one as it comes and goes.

import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { FramecastError } from '../core/errors'
import { Discovery, discoveryOptionsFromEnv, MDNS_INTERFACE_ENV } from '../service/discovery'
import { formatHostPort } from '../shared/address'
import { type DiscoveredBroadcaster, type DiscoveryList, describeKind } from '../shared/discovery'
import { displayFingerprint } from '../shared/fingerprint'
import { EXIT_CODES_HELP, Exit, type Io, parseNumber, UsageError } from './common'

export const LIST_HELP = `Usage: framecast list [options]

Lists the Framecast broadcasters heard on the local network (they advertise themselves with DNS-SD over multicast
DNS unless started with --no-advertise), their MJPEG endpoints included.

  --wait SECONDS      listen this long, then print what was heard (default 2)
  --follow, -f        keep listening and print each broadcaster as it comes (+), changes (~) and goes (-),
                      until Ctrl-C
  --json              JSON for scripts: one array of broadcasters; with --follow one line per change,
                      {"event":"up"|"update"|"down","broadcaster":{...}}
                      A broadcaster: {"name","device","address","url","kind","host","port","addresses",
                      "protocolVersion","codec","pairing","fingerprint","path","supported","instance","id"}
                      kind: framecast, classic-pickle, classic-jpeg or mjpeg; address: HOST:PORT for
                      \`framecast watch\`; url: the MJPEG stream's http:// URL (null for other kinds)
  --help, -h          this text

${MDNS_INTERFACE_ENV}=ADDRESS listens on the interface with that IPv4 address only.

${EXIT_CODES_HELP}`

/** A broadcaster as `list --json` prints it: what discovery found, plus the address to watch and the MJPEG URL. */
export function listEntry(b: DiscoveredBroadcaster): DiscoveredBroadcaster & { address: string; url: string | null } {
  const address = formatHostPort(b.host, b.port)
  return { ...b, address, url: b.kind === 'mjpeg' && b.path !== null ? `http://${address}${b.path}` : null }
}

/** One table row's cells: name, device, where to reach it, what it serves. */
function cells(b: DiscoveredBroadcaster): string[] {
  const e = listEntry(b)
  const extras = [b.pairing ? 'pairing required' : '', b.fingerprint === null ? '' : `key ${displayFingerprint(b.fingerprint)}`].filter(Boolean)
  return [b.name, b.device || '-', e.url ?? e.address, [describeKind(b), ...extras].join(', ')]
}

/** Rows of cells as aligned text, one line each. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)))
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n')
}

export async function list(argv: string[], io: Io): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      wait: { type: 'string' },
      follow: { type: 'boolean', short: 'f' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' }
    }
  })
  if (values.help) {
    io.stdout.write(`${LIST_HELP}\n`)
    return Exit.ok
  }
  if (values.follow && values.wait !== undefined) throw new UsageError('--wait and --follow exclude each other')
  const waitS = parseNumber('wait', values.wait, 0.1, 3600, false) ?? 2

  const discovery = new Discovery(discoveryOptionsFromEnv())
  try {
    const failed = new Promise<FramecastError>((resolve) => {
      const off = discovery.browse((l) => {
        if (l.error === null) return
        off()
        resolve(new FramecastError(l.error.code, l.error.message))
      })
    })
    if (values.follow) return await follow(discovery, io, values.json ?? false, failed)
    const error = await Promise.race([failed, sleep(waitS * 1000).then(() => null), io.interrupted.then(() => null)])
    if (error) throw error
    print(discovery.current(), io, values.json ?? false, waitS)
    return Exit.ok
  } finally {
    await discovery.close()
  }
}

function print(found: DiscoveryList, io: Io, json: boolean, waitS: number): void {
  if (json) {
    io.stdout.write(`${JSON.stringify(found.broadcasters.map(listEntry))}\n`)
  } else if (found.broadcasters.length === 0) {
    io.stderr.write(`No broadcasters heard within ${waitS} s.\n`)
  } else {
    io.stdout.write(`${table([['NAME', 'DEVICE', 'ADDRESS', 'SERVES'], ...found.broadcasters.map(cells)])}\n`)
  }
}

/** Print changes as they come until interrupted (or discovery fails, which is thrown). */
async function follow(discovery: Discovery, io: Io, json: boolean, failed: Promise<FramecastError>): Promise<number> {
  let known = new Map<string, DiscoveredBroadcaster>()
  const emit = (event: 'up' | 'update' | 'down', b: DiscoveredBroadcaster): void => {
    if (json) io.stdout.write(`${JSON.stringify({ event, broadcaster: listEntry(b) })}\n`)
    else io.stdout.write(`${event === 'up' ? '+' : event === 'down' ? '-' : '~'} ${cells(b).join('  ')}\n`)
  }
  const off = discovery.browse((l) => {
    const next = new Map(l.broadcasters.map((b) => [b.id, b]))
    for (const [id, b] of known) if (!next.has(id)) emit('down', b)
    for (const [id, b] of next) {
      const before = known.get(id)
      if (before === undefined) emit('up', b)
      else if (JSON.stringify(before) !== JSON.stringify(b)) emit('update', b)
    }
    known = next
  })
  try {
    const error = await Promise.race([failed, io.interrupted.then(() => null)])
    if (error) throw error
    return Exit.ok
  } finally {
    off()
  }
}
