// `npm start` where Electron's binary cannot be fetched (forced here: the download goes to a closed loopback port and
// any installed binary is hidden): it builds the renderer, starts the browser host, prints the URL, opens it in the
// "default browser" (a stand-in that records its argument), and stops on `kill <npm's pid>` and on Ctrl+C.

import { type ChildProcess, spawn } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { freePort, sleep, waitUntil } from '../support/net'

const ROOT = resolve(__dirname, '../..')
const dir = mkdtempSync(join(tmpdir(), 'framecast-start-'))
const browser = join(dir, 'browser.sh')
const opened = join(dir, 'opened.txt')
let closedPort = 0

interface Started {
  child: ChildProcess
  url: URL
  output: () => string
  /** The child's exit code once every process that shares its output (the launcher, the host) has exited. */
  closed: Promise<number | null>
}

const started: Started[] = []

/** `npm start -- --port 0`, or the command it runs, in a process group of its own; resolves once the URL is printed. */
async function start(how: 'npm' | 'launcher'): Promise<Started> {
  rmSync(opened, { force: true })
  const [file, args] =
    how === 'npm' ? ['npm', ['start', '--', '--port', '0']] : [process.execPath, ['--import', 'tsx', 'tools/start.ts', '--port', '0']]
  const child = spawn(file, args, {
    cwd: ROOT,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ELECTRON_OVERRIDE_DIST_PATH: join(dir, 'no-electron'),
      ELECTRON_MIRROR: `http://127.0.0.1:${closedPort}/`,
      electron_config_cache: join(dir, 'electron-cache'),
      BROWSER: browser,
      FORCE_COLOR: '0'
    }
  })
  let log = ''
  child.stdout!.on('data', (c: Buffer) => (log += c.toString()))
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()))
  const closed = new Promise<number | null>((r) => child.once('close', (code) => r(code)))
  const run: Started = { child, url: new URL('http://invalid'), output: () => log, closed }
  started.push(run)
  await waitUntil(() => /start:\s+\S+\n/.test(log) || child.exitCode !== null, 120_000, 'npm start to print the start URL')
  const m = /start:\s+(\S+)\n/.exec(log)
  expect(m, log).not.toBeNull()
  run.url = new URL(m![1]!)
  return run
}

/** `promise`, or a failure naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: not after ${ms} ms`)), ms)))
  return Promise.race([promise, late]).finally(() => clearTimeout(timer))
}

function accepts(port: number): Promise<boolean> {
  return new Promise((r) => {
    const s = connect({ host: '127.0.0.1', port }, () => {
      s.destroy()
      r(true)
    })
    s.once('error', () => r(false))
  })
}

async function expectServing(run: Started): Promise<void> {
  expect(run.url.hostname).toBe('127.0.0.1')
  expect(run.output()).toContain("Electron's binary could not be fetched")
  const res = await fetch(run.url)
  expect(res.status).toBe(200)
  expect(await res.text()).toContain(`/web-api.js?token=${run.url.searchParams.get('token')}`)
  await waitUntil(() => {
    try {
      return readFileSync(opened, 'utf8') === run.url.href
    } catch {
      return false
    }
  }, 10_000, 'the browser to be opened on the start URL')
}

beforeAll(async () => {
  mkdirSync(join(dir, 'no-electron'))
  writeFileSync(browser, `#!/bin/sh\nprintf '%s' "$1" > '${opened}'\n`)
  chmodSync(browser, 0o755)
  closedPort = await freePort()
})
afterEach(async () => {
  for (const run of started.splice(0)) {
    if (run.child.exitCode !== null || run.child.signalCode !== null) continue
    // SIGTERM first: the launcher passes it on to the host, which runs in its own process group.
    process.kill(-run.child.pid!, 'SIGTERM')
    const late = setTimeout(() => process.kill(-run.child.pid!, 'SIGKILL'), 10_000)
    await run.closed
    clearTimeout(late)
  }
})
afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe('npm start without Electron', () => {
  it('serves the app, opens it, and stops when npm is sent SIGTERM', async () => {
    const run = await start('npm')
    await expectServing(run)
    // npm hands SIGTERM to the shell that runs the launcher, which dies without passing it on; the launcher notices.
    process.kill(run.child.pid!, 'SIGTERM')
    await within(run.closed, 20_000, `everything to exit\n${run.output()}`)
    expect(await accepts(Number(run.url.port))).toBe(false)
  }, 180_000)

  it('stops on Ctrl+C with the host exiting 0, although the launcher hears it twice', async () => {
    const run = await start('launcher')
    await expectServing(run)
    // Ctrl+C in a terminal signals the whole process group, and npm passes it on to the launcher once more: a few ms
    // apart, so the two are not merged into one pending signal. (A host that has already closed by then is fine too.)
    process.kill(-run.child.pid!, 'SIGINT')
    await sleep(30)
    if (run.child.exitCode === null) process.kill(run.child.pid!, 'SIGINT')
    expect(await within(run.closed, 20_000, `the launcher to exit\n${run.output()}`), run.output()).toBe(0)
    expect(await accepts(Number(run.url.port))).toBe(false)
  }, 180_000)
})
