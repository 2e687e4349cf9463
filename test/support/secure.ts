// Secure stores for tests: each in its own temporary folder, removed after the test file.

import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DeviceStore } from '../../src/core/secure/device-store'

const folders: string[] = []

/** A fresh DeviceStore (new identity, no devices) in a temporary folder. */
export async function tempStore(): Promise<DeviceStore> {
  const dir = await mkdtemp(join(tmpdir(), 'framecast-store-'))
  folders.push(dir)
  return DeviceStore.open(dir)
}

/** A fresh temporary folder (removed by removeTempStores). */
export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'framecast-store-'))
  folders.push(dir)
  return dir
}

/** Remove every folder made here (call in afterAll). */
export async function removeTempStores(): Promise<void> {
  // A store may still be finishing a write it started for a pairing: retry a folder that is not empty yet.
  await Promise.all(folders.splice(0).map((d) => rm(d, { recursive: true, force: true, maxRetries: 10, retryDelay: 50 })))
}
