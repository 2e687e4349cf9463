#!/usr/bin/env node
// Launcher for the `framecast` command: loads src/cli/framecast.ts through tsx (TypeScript compiled on the fly, no
// build step) and runs it.
import { tsImport } from 'tsx/esm/api'

const cli = await tsImport('../src/cli/framecast.ts', import.meta.url)
cli.run()
