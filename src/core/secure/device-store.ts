// The secure store of one installation: its identity (EC P-256 key and self-signed certificate, identity.ts) and the
// devices it paired with or blocked, in one folder with owner-only permissions (0700 folder, 0600 files):
//
//   identity-key.pem   identity-cert.pem   paired-viewers.json   paired-broadcasters.json
//
// The viewers that paired with this broadcaster and the broadcasters this device paired with are kept apart, so a
// `framecast broadcast` and a `framecast watch` running at once on one machine never write the same file.
// The app keeps it in Electron's user-data folder; the browser host and the CLI in a config folder
// (defaultConfigDir(): $FRAMECAST_CONFIG_DIR, else $XDG_CONFIG_HOME/framecast or ~/.config/framecast). Writes go to a
// temporary file that is renamed over the old one, one after another, so a crash never leaves half a file.

import { EventEmitter } from 'node:events'
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join } from 'node:path'
import * as v from 'valibot'
import { displayFingerprint, FingerprintSchema } from '../../shared/fingerprint'
import { HELLO_MAX_NAME_BYTES } from '../../shared/protocol'
import type { DeviceList, PairedDevice } from '../../shared/status'
import { truncateUtf8 } from '../../shared/utf8'
import { FramecastError } from '../errors'
import { createIdentity, type Identity, identityFromPem } from './identity'

const KEY_FILE = 'identity-key.pem'
const CERT_FILE = 'identity-cert.pem'
const DEVICE_FILES = { viewer: 'paired-viewers.json', broadcaster: 'paired-broadcasters.json' } as const
/** Remembered devices, at most: the oldest unseen one is dropped beyond this. */
export const MAX_DEVICES = 256
/** Addresses remembered per broadcaster. */
const MAX_ADDRESSES = 8

const DeviceSchema = v.object({
  fingerprint: FingerprintSchema,
  role: v.picklist(['viewer', 'broadcaster']),
  name: v.pipe(v.string(), v.maxLength(256)),
  pairedAt: v.number(),
  lastSeenAt: v.number(),
  blocked: v.boolean(),
  addresses: v.pipe(v.array(v.pipe(v.string(), v.maxLength(300))), v.maxLength(MAX_ADDRESSES))
})
const DevicesFileSchema = v.object({ version: v.literal(1), devices: v.pipe(v.array(DeviceSchema), v.maxLength(MAX_DEVICES)) })

/** Where the browser host and the CLI keep their store when not told: $FRAMECAST_CONFIG_DIR, else the OS's config folder. */
export function defaultConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.FRAMECAST_CONFIG_DIR) return env.FRAMECAST_CONFIG_DIR
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'Framecast')
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Framecast')
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'framecast')
}

export interface DeviceStoreEvents {
  /** The device list changed (paired, renamed, forgotten, blocked); the argument is the new list. */
  changed: [DeviceList]
}

/**
 * One installation's identity and remembered devices. `open(dir)` reads them or makes them; every change is written
 * at once (atomically, 0600) and announced with 'changed'. Fingerprints are 64 lowercase hex digits.
 */
export class DeviceStore extends EventEmitter<DeviceStoreEvents> {
  private writing: Promise<void> = Promise.resolve()

  private constructor(
    readonly dir: string,
    readonly identity: Identity,
    private devices: PairedDevice[]
  ) {
    super()
  }

  /**
   * Open the store in `dir` (made 0700 if missing), reading the identity or making a new one, and the device lists (a
   * list that does not parse is set aside as NAME.unreadable and started afresh). Throws ACCESS_DENIED when the folder
   * cannot be made or read, INVALID_ARGUMENT when the stored key and certificate do not match.
   */
  static async open(dir: string): Promise<DeviceStore> {
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 })
      await chmod(dir, 0o700)
    } catch (e) {
      throw new FramecastError('ACCESS_DENIED', `Cannot use the folder ${dir} for this device's keys`, { cause: e })
    }
    const identity = await loadIdentity(dir)
    const [viewers, broadcasters] = await Promise.all([loadDevices(dir, 'viewer'), loadDevices(dir, 'broadcaster')])
    return new DeviceStore(dir, identity, [...viewers, ...broadcasters])
  }

  /** This installation's fingerprint. */
  get fingerprint(): string {
    return this.identity.fingerprint
  }

  list(): DeviceList {
    return { self: this.identity.fingerprint, devices: this.devices.map((d) => ({ ...d, addresses: [...d.addresses] })) }
  }

  find(role: PairedDevice['role'], fingerprint: string): PairedDevice | undefined {
    return this.devices.find((d) => d.role === role && d.fingerprint === fingerprint)
  }

  /** A viewer this broadcaster paired with (not merely blocked). */
  isPairedViewer(fingerprint: string): boolean {
    const d = this.find('viewer', fingerprint)
    return d !== undefined && d.pairedAt > 0
  }

  isBlocked(fingerprint: string): boolean {
    return this.find('viewer', fingerprint)?.blocked ?? false
  }

  /** The paired broadcaster last reached at `address` (host:port), if any. */
  broadcasterAt(address: string): PairedDevice | undefined {
    return this.devices.find((d) => d.role === 'broadcaster' && d.addresses.includes(address))
  }

  /** A pairing succeeded: remember the device (or refresh it). Resolves when written. */
  remember(role: PairedDevice['role'], fingerprint: string, name: string, address?: string): Promise<void> {
    const now = Date.now()
    const d = this.upsert(role, fingerprint, name)
    d.pairedAt = d.pairedAt || now
    d.lastSeenAt = now
    if (address !== undefined) this.noteAddress(d, address)
    return this.save(role)
  }

  /** A paired device was seen again (at `address` for a broadcaster). Resolves when written. */
  seen(role: PairedDevice['role'], fingerprint: string, address?: string): Promise<void> {
    const d = this.find(role, fingerprint)
    if (!d) return Promise.resolve()
    d.lastSeenAt = Date.now()
    if (address !== undefined) this.noteAddress(d, address)
    return this.save(role)
  }

  /** Block or unblock a viewer (a blocked viewer that never paired is remembered only to be refused). */
  setBlocked(fingerprint: string, blocked: boolean, name = ''): Promise<void> {
    const d = this.upsert('viewer', fingerprint, name)
    d.blocked = blocked
    if (!blocked && d.pairedAt === 0) this.devices = this.devices.filter((x) => x !== d)
    return this.save('viewer')
  }

  /** Give a remembered device another name (cut to 64 bytes of UTF-8). Throws INVALID_ARGUMENT for an unknown one. */
  async rename(role: PairedDevice['role'], fingerprint: string, name: string): Promise<void> {
    const d = this.find(role, fingerprint)
    if (!d) throw new FramecastError('INVALID_ARGUMENT', 'No such device')
    d.name = cutName(name)
    return this.save(role)
  }

  /** Forget a device: the next contact needs the code again. */
  forget(role: PairedDevice['role'], fingerprint: string): Promise<void> {
    this.devices = this.devices.filter((d) => !(d.role === role && d.fingerprint === fingerprint))
    return this.save(role)
  }

  private upsert(role: PairedDevice['role'], fingerprint: string, name: string): PairedDevice {
    let d = this.find(role, fingerprint)
    if (!d) {
      d = { fingerprint, role, name: cutName(name), pairedAt: 0, lastSeenAt: Date.now(), blocked: false, addresses: [] }
      this.devices.push(d)
      if (this.devices.length > MAX_DEVICES) {
        const oldest = [...this.devices].sort((a, b) => a.lastSeenAt - b.lastSeenAt)[0]!
        this.devices = this.devices.filter((x) => x !== oldest)
      }
    } else if (name !== '' && d.name === '') {
      d.name = cutName(name)
    }
    return d
  }

  private noteAddress(d: PairedDevice, address: string): void {
    // One address belongs to one broadcaster: whoever answers there now is the one remembered for it.
    for (const other of this.devices) if (other !== d && other.role === d.role) other.addresses = other.addresses.filter((a) => a !== address)
    d.addresses = [address, ...d.addresses.filter((a) => a !== address)].slice(0, MAX_ADDRESSES)
  }

  private save(role: PairedDevice['role']): Promise<void> {
    const text = JSON.stringify({ version: 1, devices: this.devices.filter((d) => d.role === role) }, null, 2)
    this.emit('changed', this.list())
    this.writing = this.writing.then(() => writePrivate(join(this.dir, DEVICE_FILES[role]), text)).catch(() => undefined)
    return this.writing
  }
}

function cutName(name: string): string {
  return truncateUtf8(name, HELLO_MAX_NAME_BYTES)
}

/** Write `text` to `path` with mode 0600: a temporary file beside it, then a rename. */
async function writePrivate(path: string, text: string): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, text, { mode: 0o600 })
  await chmod(tmp, 0o600)
  await rename(tmp, path)
}

async function readIfThere(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null
    throw new FramecastError('ACCESS_DENIED', `Cannot read ${path}`, { cause: e })
  }
}

async function loadIdentity(dir: string): Promise<Identity> {
  const [key, cert] = await Promise.all([readIfThere(join(dir, KEY_FILE)), readIfThere(join(dir, CERT_FILE))])
  if (key !== null && cert !== null) {
    await Promise.all([chmod(join(dir, KEY_FILE), 0o600), chmod(join(dir, CERT_FILE), 0o600)])
    return identityFromPem(key, cert)
  }
  const identity = await createIdentity()
  // The certificate first: a key without its certificate is replaced on the next start, never the other way round.
  await writePrivate(join(dir, CERT_FILE), identity.certPem)
  await writePrivate(join(dir, KEY_FILE), identity.keyPem)
  return identity
}

async function loadDevices(dir: string, role: PairedDevice['role']): Promise<PairedDevice[]> {
  const path = join(dir, DEVICE_FILES[role])
  const text = await readIfThere(path)
  if (text === null) return []
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    parsed = undefined
  }
  const r = v.safeParse(DevicesFileSchema, parsed)
  if (r.success) return r.output.devices.filter((d) => d.role === role).map((d) => ({ ...d }))
  await rename(path, `${path}.unreadable`).catch(() => undefined)
  return []
}

/**
 * This installation's fingerprint as the store in `dir` holds it (made on first use), in full and in the short form
 * people compare (displayFingerprint). For advertising the broadcaster (DNS-SD) and for `framecast` output.
 */
export async function localFingerprint(dir: string): Promise<{ fingerprint: string; display: string }> {
  const store = await DeviceStore.open(dir)
  return { fingerprint: store.fingerprint, display: displayFingerprint(store.fingerprint) }
}
