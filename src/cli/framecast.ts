// The `framecast` command: headless broadcast and watch, for machines without a screen and for scripts.
// `npm run build:cli` bundles it into out/cli/framecast.mjs (vite.cli.config.mts); bin/framecast.mjs runs that.

import { broadcast } from './broadcast'
import { describeError, EXIT_CODES_HELP, Exit, exitCodeFor, type Io, UsageError } from './common'
import { devices } from './devices'
import { list } from './list'
import { watch } from './watch'

export const HELP = `Usage: framecast <command> [options]

Commands:
  broadcast   serve JPEG frames from a file, a folder or standard input
              (Framecast viewers, classic OpenCV receiver scripts, HTTP MJPEG clients)
  watch       watch a Framecast broadcaster or a classic OpenCV sender script
  list        list the broadcasters on the local network (--json for scripts)
  devices     list, rename, forget or block the devices this device paired with

Run "framecast <command> --help" for its options.

${EXIT_CODES_HELP}`

export async function main(argv: string[], io: Io): Promise<number> {
  const [command, ...rest] = argv
  try {
    switch (command) {
      case 'broadcast':
        return await broadcast(rest, io)
      case 'watch':
        return await watch(rest, io)
      case 'list':
        return await list(rest, io)
      case 'devices':
        return await devices(rest, io)
      case undefined:
      case '-h':
      case '--help':
      case 'help':
        io.stdout.write(`${HELP}\n`)
        return command === undefined ? Exit.usage : Exit.ok
      default:
        throw new UsageError(`Unknown command "${command}"; use broadcast, watch, list or devices`)
    }
  } catch (e) {
    const usage = e instanceof UsageError || (e as NodeJS.ErrnoException)?.code?.startsWith('ERR_PARSE_ARGS')
    io.stderr.write(`framecast${command && usage ? ` ${command}` : ''}: ${describeError(e)}\n`)
    if (usage) {
      const known = command === 'broadcast' || command === 'watch' || command === 'list' || command === 'devices'
      io.stderr.write(`Run "framecast ${known ? `${command} ` : ''}--help" for usage.\n`)
      return Exit.usage
    }
    return exitCodeFor(e)
  }
}

/** Run as a process: wire signals to a graceful stop and set the exit code. */
export function run(): void {
  let stop: () => void = () => {}
  const interrupted = new Promise<void>((resolve) => (stop = resolve))
  let signals = 0
  const onSignal = (): void => {
    if (++signals > 1) process.exit(Exit.failed)
    stop()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    // The reader of our output went away (e.g. `| head`): stop quietly.
    if (e.code === 'EPIPE') stop()
  })
  main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, interrupted }).then(
    (code) => {
      process.exitCode = code
      // Nothing else should keep the process alive (a paused stdin, say).
      setTimeout(() => process.exit(code), 100).unref()
    },
    (e: unknown) => {
      process.stderr.write(`framecast: ${describeError(e)}\n`)
      process.exit(Exit.failed)
    }
  )
}
