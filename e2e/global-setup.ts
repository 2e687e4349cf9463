import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { ensureY4m } from '../tools/make-y4m'
import { ARTIFACT_DIR, CLIP_480P, FIXTURE_DIR } from './camera'

/** Generate the fake camera clip and make sure there is a renderer build to serve. */
export default async function globalSetup(): Promise<void> {
  await ensureY4m(CLIP_480P, FIXTURE_DIR)
  mkdirSync(ARTIFACT_DIR, { recursive: true })
  const root = resolve(__dirname, '..')
  if (!existsSync(resolve(root, 'out/renderer/index.html'))) {
    execFileSync(process.execPath, [resolve(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'], { cwd: root, stdio: 'inherit' })
  }
}
