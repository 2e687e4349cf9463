import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { type Finding, judge, scan } from '../../tools/security-gate'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

function finding(check: string, file: string, severity: string): Finding {
  return { check, file, line: 1, column: 1, severity, confidence: 'FIRM', message: 'x' }
}

describe('security gate', () => {
  it('finds an insecure BrowserWindow through the SARIF report with its severity', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'framecast-gate-'))
    dirs.push(dir)
    writeFileSync(
      join(dir, 'main.js'),
      "const { BrowserWindow } = require('electron')\n" +
        "new BrowserWindow({ webPreferences: { nodeIntegration: true, contextIsolation: false, sandbox: false } })\n"
    )
    const findings = await scan(dir, join(dir, 'out', 'report.sarif'))
    const byCheck = new Map(findings.map((f) => [f.check, f]))
    expect(byCheck.get('CONTEXT_ISOLATION_JS_CHECK')).toMatchObject({ severity: 'HIGH', file: 'main.js', line: 2 })
    expect(byCheck.get('SANDBOX_JS_CHECK')).toMatchObject({ severity: 'MEDIUM', file: 'main.js', line: 2 })
    expect(byCheck.get('LIMIT_NAVIGATION_GLOBAL_CHECK')).toMatchObject({ severity: 'HIGH', file: '(app)' })
  })

  it('fails HIGH and MEDIUM findings unless the allow-list names the check and the file', () => {
    const verdict = judge(
      [finding('A_CHECK', 'main/x.ts', 'HIGH'), finding('B_CHECK', 'main/x.ts', 'MEDIUM'), finding('C_CHECK', 'main/y.ts', 'LOW')],
      { entries: [{ check: 'B_CHECK', file: 'main/x.ts', reason: 'reviewed: safe because of this and that' }] }
    )
    expect(verdict.failing.map((f) => f.check)).toEqual(['A_CHECK'])
    expect(verdict.allowed.map((a) => a.finding.check)).toEqual(['B_CHECK'])
    expect(verdict.ignored.map((f) => f.check)).toEqual(['C_CHECK'])
    expect(verdict.stale).toEqual([])
  })

  it('reports allow-list entries that match no finding as stale', () => {
    const entry = { check: 'B_CHECK', file: 'main/other.ts', reason: 'reviewed: safe because of this and that' }
    const verdict = judge([finding('B_CHECK', 'main/x.ts', 'MEDIUM')], { entries: [entry] })
    expect(verdict.failing).toHaveLength(1)
    expect(verdict.stale).toEqual([entry])
  })
})
