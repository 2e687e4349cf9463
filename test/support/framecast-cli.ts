// The `framecast` command run from source (through tsx), for tests that start it as a process where the built one
// is not wanted: `lan.spawnTs(side, FRAMECAST_CLI, ['list', '--json'])` runs it inside a namespace.

import { run } from '../../src/cli/framecast'

/** This file's path, to hand to spawnTs. */
export const FRAMECAST_CLI = __filename

if (process.argv[1] === __filename) run()
