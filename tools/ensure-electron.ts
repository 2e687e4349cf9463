// Electron fetches its binary the first time it is used (nothing is downloaded at install). `npm run dev` fetches it up
// front with this script, and where that cannot work (no route to Electron's download host) says how to run the same
// app without it; `npm start` (tools/start.ts) asks fetchElectron() and starts the browser host itself instead.
import { spawnSync } from 'node:child_process'

/**
 * Make sure Electron's binary is on disk: runs electron's own installer (a no-op when the binary is there, else a
 * download of about 100 MB with its progress on the terminal). Returns true when the binary is ready.
 */
export function fetchElectron(): boolean {
  const installer = require.resolve('electron/install.js')
  return spawnSync(process.execPath, [installer], { stdio: 'inherit' }).status === 0
}

if (require.main === module && !fetchElectron()) {
  console.error(
    [
      '',
      'Framecast could not get the Electron binary it runs in (see the error above).',
      'Run the same app in Chrome or Chromium on this machine instead:',
      '',
      '  npm start        (starts the browser host and opens it where Electron cannot run)',
      '  npm run web      (the browser host alone)',
      ''
    ].join('\n')
  )
  process.exit(1)
}
