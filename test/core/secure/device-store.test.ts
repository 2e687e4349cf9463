import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { defaultConfigDir, DeviceStore, localFingerprint } from '../../../src/core/secure/device-store'
import { removeTempStores, tempDir } from '../../support/secure'

afterAll(removeTempStores)

const mode = async (path: string): Promise<number> => (await stat(path)).mode & 0o777

describe('DeviceStore', () => {
  it('makes one identity per folder, keeps it across opens, and keeps everything owner-only', async () => {
    const dir = join(await tempDir(), 'nested', 'framecast')
    const a = await DeviceStore.open(dir)
    expect(a.fingerprint).toMatch(/^[0-9a-f]{64}$/)
    expect(await mode(dir)).toBe(0o700)
    await a.remember('viewer', 'a'.repeat(64), 'Kitchen')
    for (const f of ['identity-key.pem', 'identity-cert.pem', 'paired-viewers.json']) expect(await mode(join(dir, f)), f).toBe(0o600)
    expect(await readFile(join(dir, 'identity-key.pem'), 'utf8')).toMatch(/BEGIN PRIVATE KEY/)
    const b = await DeviceStore.open(dir)
    expect(b.fingerprint).toBe(a.fingerprint)
    expect(b.isPairedViewer('a'.repeat(64))).toBe(true)
    expect(await localFingerprint(dir)).toEqual({ fingerprint: a.fingerprint, display: a.fingerprint.slice(0, 16).match(/.{4}/g)!.join(' ') })
    const other = await DeviceStore.open(await tempDir())
    expect(other.fingerprint).not.toBe(a.fingerprint)
  })

  it('remembers broadcasters where they were reached, renames, blocks and forgets', async () => {
    const dir = await tempDir()
    const s = await DeviceStore.open(dir)
    const changes: number[] = []
    s.on('changed', (l) => changes.push(l.devices.length))
    const b1 = '1'.repeat(64)
    const b2 = '2'.repeat(64)
    await s.remember('broadcaster', b1, 'Attic', '192.168.1.20:9999')
    await s.remember('broadcaster', b2, 'Porch', '192.168.1.20:9999')
    expect(s.broadcasterAt('192.168.1.20:9999')?.fingerprint, 'an address belongs to whoever answered there last').toBe(b2)
    expect(s.find('broadcaster', b1)?.addresses).toEqual([])
    await s.rename('broadcaster', b1, 'Loft')
    await s.setBlocked('3'.repeat(64), true, 'stranger')
    expect(s.isBlocked('3'.repeat(64))).toBe(true)
    expect(s.isPairedViewer('3'.repeat(64)), 'blocked is not paired').toBe(false)
    await s.setBlocked('3'.repeat(64), false)
    expect(s.find('viewer', '3'.repeat(64)), 'unblocking a device that never paired forgets it').toBeUndefined()
    await s.forget('broadcaster', b2)
    const again = await DeviceStore.open(dir)
    expect(again.list().devices.map((d) => [d.role, d.name])).toEqual([['broadcaster', 'Loft']])
    expect(changes.length).toBeGreaterThanOrEqual(5)
    await expect(s.rename('viewer', '9'.repeat(64), 'x')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('sets an unreadable device list aside instead of failing, and keeps the identity', async () => {
    const dir = await tempDir()
    const first = await DeviceStore.open(dir)
    await writeFile(join(dir, 'paired-viewers.json'), '{"version":1,"devices":[{"fingerprint":"nope"}]}')
    const s = await DeviceStore.open(dir)
    expect(s.fingerprint).toBe(first.fingerprint)
    expect(s.list().devices).toEqual([])
    expect(await readFile(join(dir, 'paired-viewers.json.unreadable'), 'utf8')).toContain('nope')
  })

  it('refuses a key that is not its certificate’s', async () => {
    const a = await tempDir()
    const b = await tempDir()
    await DeviceStore.open(a)
    await DeviceStore.open(b)
    await writeFile(join(a, 'identity-key.pem'), await readFile(join(b, 'identity-key.pem')))
    await expect(DeviceStore.open(a)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
  })

  it('finds its folder from FRAMECAST_CONFIG_DIR, then XDG_CONFIG_HOME', () => {
    expect(defaultConfigDir({ FRAMECAST_CONFIG_DIR: '/x/y' })).toBe('/x/y')
    if (process.platform === 'linux') expect(defaultConfigDir({ XDG_CONFIG_HOME: '/cfg' })).toBe('/cfg/framecast')
  })
})
