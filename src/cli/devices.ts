// `framecast devices`: the devices this installation paired with (viewers that watch it, broadcasters it watches) and
// the ones it blocked; forget, rename, block or unblock one by the start of its fingerprint.

import { parseArgs } from 'node:util'
import { defaultConfigDir, DeviceStore } from '../core/secure/device-store'
import { displayFingerprint } from '../shared/fingerprint'
import type { PairedDevice } from '../shared/status'
import { EXIT_CODES_HELP, Exit, type Io, UsageError } from './common'

export const DEVICES_HELP = `Usage: framecast devices [list | forget FP | rename FP NAME | block FP | unblock FP] [options]

Lists the devices this device paired with, or changes one. FP is the start of a device fingerprint as listed
(at least 4 hex digits; spaces allowed). A forgotten device needs the pairing code again; a blocked viewer is refused.

  --config-dir DIR    this device's key and paired devices (default $FRAMECAST_CONFIG_DIR, else
                      $XDG_CONFIG_HOME/framecast or ~/.config/framecast)
  --help, -h          this text

${EXIT_CODES_HELP}`

function line(d: PairedDevice): string {
  const flags = [d.blocked ? 'blocked' : '', d.addresses.length ? `at ${d.addresses.join(', ')}` : ''].filter(Boolean).join('; ')
  const when = d.pairedAt ? new Date(d.pairedAt).toISOString().slice(0, 10) : 'never paired'
  return `${d.role.padEnd(11)} ${displayFingerprint(d.fingerprint)}  ${d.name || '(unnamed)'}  paired ${when}${flags ? `  (${flags})` : ''}`
}

/** The one device whose fingerprint starts with `prefix`; UsageError when none or several do. */
function pick(store: DeviceStore, prefix: string | undefined): PairedDevice {
  const p = (prefix ?? '').replace(/\s+/g, '').toLowerCase()
  if (!/^[0-9a-f]{4,64}$/.test(p)) throw new UsageError('Give the start of a fingerprint: at least 4 hex digits')
  const hits = store.list().devices.filter((d) => d.fingerprint.startsWith(p))
  if (hits.length !== 1) throw new UsageError(hits.length === 0 ? `No device's fingerprint starts with ${p}` : `${hits.length} devices start with ${p}; give more digits`)
  return hits[0]!
}

export async function devices(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { 'config-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } }
  })
  if (values.help) {
    io.stdout.write(`${DEVICES_HELP}\n`)
    return Exit.ok
  }
  const store = await DeviceStore.open(values['config-dir'] ?? defaultConfigDir())
  const [action = 'list', fp, ...rest] = positionals
  switch (action) {
    case 'list': {
      io.stdout.write(`this device  ${displayFingerprint(store.fingerprint)}  (${store.fingerprint})\n`)
      for (const d of store.list().devices) io.stdout.write(`${line(d)}\n`)
      return Exit.ok
    }
    case 'forget': {
      const d = pick(store, fp)
      await store.forget(d.role, d.fingerprint)
      io.stdout.write(`forgot ${line(d)}\n`)
      return Exit.ok
    }
    case 'rename': {
      const d = pick(store, fp)
      if (rest.length === 0) throw new UsageError('Give the new name after the fingerprint')
      await store.rename(d.role, d.fingerprint, rest.join(' '))
      io.stdout.write(`renamed ${line(store.find(d.role, d.fingerprint)!)}\n`)
      return Exit.ok
    }
    case 'block':
    case 'unblock': {
      const d = pick(store, fp)
      if (d.role !== 'viewer') throw new UsageError('Only viewers are blocked; forget a broadcaster instead')
      await store.setBlocked(d.fingerprint, action === 'block')
      io.stdout.write(`${action}ed ${displayFingerprint(d.fingerprint)}\n`)
      return Exit.ok
    }
    default:
      throw new UsageError(`Unknown action "${action}"; use list, forget, rename, block or unblock`)
  }
}
