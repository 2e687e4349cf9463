#!/usr/bin/env node
// Launcher for the `framecast` command: runs the built command, out/cli/framecast.mjs (plain JavaScript made from
// src/cli by `npm run build:cli`; the published package ships it built).
import { existsSync } from 'node:fs'

const built = new URL('../out/cli/framecast.mjs', import.meta.url)
if (!existsSync(built)) {
  process.stderr.write('framecast: the command is not built yet; run `npm run build:cli` in the Framecast folder first.\n')
  process.exit(3)
}
const cli = await import(built.href)
cli.run()
