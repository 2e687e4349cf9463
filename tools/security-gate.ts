// Security gate: run Electronegativity over src/, read its SARIF report, and fail on any HIGH or MEDIUM finding that
// is not in security/electronegativity-allowlist.json (each entry names the check, the file and the reason).
//
//   npm run security [-- --input src --sarif security/electronegativity.sarif --allowlist security/...json]
//
// Electronegativity's SARIF has no severity field, so the gate runs the scanner in-process and takes each finding's
// severity and confidence from the scanner's own result, matched to the SARIF entry by check id and location.
// The scanner is kept offline: its translation download and its "newer Electron releases" check (both network
// fetches) are disabled; the Electron version comes from the installed electron package.

import { createRequire } from 'node:module'
import { mkdirSync, readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, relative, resolve, sep } from 'node:path'
import { parseArgs } from 'node:util'
import * as v from 'valibot'

const ROOT = resolve(__dirname, '..')
const requireHere = createRequire(__filename)

/** Checks that reach the network (Electron release list) and so never run here. */
const OFFLINE_EXCLUDED_CHECKS = ['AvailableSecurityFixesGlobalCheck']
const FAILING = new Set(['HIGH', 'MEDIUM'])

const AllowlistSchema = v.strictObject({
  description: v.optional(v.string()),
  entries: v.array(
    v.strictObject({
      /** Electronegativity check id, e.g. CSP_GLOBAL_CHECK */
      check: v.pipe(v.string(), v.nonEmpty()),
      /** path relative to the scanned directory, with forward slashes; '(app)' for whole-application checks */
      file: v.pipe(v.string(), v.nonEmpty()),
      reason: v.pipe(v.string(), v.minLength(20, 'give a real reason'))
    })
  )
})
export type Allowlist = v.InferOutput<typeof AllowlistSchema>

export interface Finding {
  check: string
  file: string
  line: number
  column: number
  severity: string
  confidence: string
  message: string
}

interface ScannerIssue {
  id: string
  file: string
  location: { line: number; column: number }
  severity: { name: string }
  confidence: { name: string }
  description: string
}

interface SarifLog {
  runs: {
    results: {
      ruleId: string
      message: { text: string }
      locations?: { physicalLocation: { artifactLocation: { uri: string }; region?: { startLine?: number; startColumn?: number } } }[]
    }[]
  }[]
}

/** Make the scanner's `got` a stub that answers 404, so it never fetches anything and stays quiet about it. */
function keepScannerOffline(): void {
  const pkg = requireHere.resolve('@doyensec/electronegativity/package.json')
  const scannerRequire = createRequire(pkg)
  const gotPath = scannerRequire.resolve('got')
  const stub = (): Promise<{ statusCode: number; body: string }> => Promise.resolve({ statusCode: 404, body: '' })
  stub.head = stub
  const mod = new (requireHere('node:module') as typeof import('node:module'))(gotPath)
  mod.filename = gotPath
  mod.loaded = true
  mod.exports = stub
  requireHere.cache[gotPath] = mod
}

/** A finding's file relative to the scanned directory; '(app)' for findings about the whole application. */
function normalise(file: string, input: string): string {
  if (file === 'N/A' || file === 'file:///' || file === '') return '(app)'
  const abs = resolve(input, file.replace(/^file:\/\/\/?/, '/'))
  const rel = file.startsWith('/') || file.startsWith('file:') ? relative(input, abs) : file
  return rel.split(sep).join('/')
}

async function waitForSarif(file: string, timeoutMs = 10_000): Promise<SarifLog> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as SarifLog
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`no readable SARIF report at ${file}: ${String(e)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }
}

/** Run the scanner over `input`, write SARIF to `sarifFile`, and return its findings with severities. */
export async function scan(input: string, sarifFile: string): Promise<Finding[]> {
  keepScannerOffline()
  const run = requireHere('@doyensec/electronegativity') as (o: Record<string, unknown>, forCli?: boolean) => Promise<{ issues: ScannerIssue[]; errors: { file: string; message: string; tolerable: boolean }[] }>
  const electronVersion = (requireHere('electron/package.json') as { version: string }).version
  mkdirSync(dirname(sarifFile), { recursive: true })
  const result = await run(
    {
      input,
      output: sarifFile,
      isSarif: true,
      customScan: [],
      excludeFromScan: OFFLINE_EXCLUDED_CHECKS.map((c) => c.toLowerCase()),
      isRelative: true,
      isVerbose: false,
      electronUpgrade: undefined,
      electronVersionOverride: electronVersion,
      parserPlugins: []
    },
    false
  )
  for (const e of result.errors.filter((x) => !x.tolerable)) {
    throw new Error(`Electronegativity could not parse ${normalise(e.file, input)}: ${e.message}`)
  }
  const sarif = await waitForSarif(sarifFile)
  const byLocation = new Map<string, ScannerIssue>()
  for (const i of result.issues) byLocation.set(`${i.id}|${normalise(i.file, input)}|${i.location.line}|${i.location.column}`, i)

  const findings: Finding[] = []
  for (const r of sarif.runs.flatMap((run) => run.results)) {
    const loc = r.locations?.[0]?.physicalLocation
    const file = loc ? normalise(loc.artifactLocation.uri, input) : 'N/A'
    const line = loc?.region?.startLine ?? 0
    const column = (loc?.region?.startColumn ?? 1) - 1
    const issue =
      byLocation.get(`${r.ruleId}|${file}|${line}|${column}`) ??
      byLocation.get(`${r.ruleId}|${file}|0|${column}`) ??
      result.issues.find((i) => i.id === r.ruleId && normalise(i.file, input) === file)
    findings.push({
      check: r.ruleId,
      file,
      line,
      column: column + 1,
      // A finding we cannot attribute is treated as the worst case.
      severity: issue?.severity.name ?? 'HIGH',
      confidence: issue?.confidence.name ?? 'CERTAIN',
      message: r.message.text
    })
  }
  return findings
}

export function loadAllowlist(file: string): Allowlist {
  return v.parse(AllowlistSchema, JSON.parse(readFileSync(file, 'utf8')))
}

export interface GateResult {
  failing: Finding[]
  allowed: { finding: Finding; reason: string }[]
  ignored: Finding[]
  /** allow-list entries that match nothing any more (remove them) */
  stale: Allowlist['entries']
}

export function judge(findings: Finding[], allowlist: Allowlist): GateResult {
  const out: GateResult = { failing: [], allowed: [], ignored: [], stale: [] }
  const used = new Set<number>()
  for (const f of findings) {
    if (!FAILING.has(f.severity)) {
      out.ignored.push(f)
      continue
    }
    const at = allowlist.entries.findIndex((e) => e.check === f.check && e.file === f.file)
    if (at >= 0) {
      used.add(at)
      out.allowed.push({ finding: f, reason: allowlist.entries[at]!.reason })
    } else out.failing.push(f)
  }
  out.stale = allowlist.entries.filter((_, i) => !used.has(i))
  return out
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      input: { type: 'string', default: resolve(ROOT, 'src') },
      sarif: { type: 'string', default: resolve(ROOT, 'security/electronegativity.sarif') },
      allowlist: { type: 'string', default: resolve(ROOT, 'security/electronegativity-allowlist.json') }
    }
  })
  const input = resolve(values.input)
  const findings = await scan(input, resolve(values.sarif))
  const verdict = judge(findings, loadAllowlist(resolve(values.allowlist)))
  const fmt = (f: Finding): string => `${f.severity}/${f.confidence} ${f.check} ${f.file}:${f.line}:${f.column}  ${f.message}`

  console.log(`Electronegativity over ${relative(ROOT, input) || '.'}: ${findings.length} findings (SARIF: ${relative(ROOT, resolve(values.sarif))})`)
  for (const a of verdict.allowed) console.log(`  allowed  ${fmt(a.finding)}\n           reason: ${a.reason}`)
  for (const f of verdict.ignored) console.log(`  low      ${fmt(f)}`)
  for (const f of verdict.failing) console.log(`  FAIL     ${fmt(f)}`)
  for (const e of verdict.stale) console.log(`  STALE    allow-list entry ${e.check} ${e.file} matches nothing: remove it`)
  const ok = verdict.failing.length === 0 && verdict.stale.length === 0
  console.log(
    ok
      ? `security gate passed: no HIGH or MEDIUM finding outside the allow-list (${verdict.allowed.length} allowed, ${verdict.ignored.length} low/informational)`
      : `security gate FAILED: ${verdict.failing.length} HIGH/MEDIUM finding(s) not allowed, ${verdict.stale.length} stale allow-list entr(ies)`
  )
  process.exitCode = ok ? 0 : 1
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.stack : e)
    process.exit(1)
  })
}
