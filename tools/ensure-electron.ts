// Electron fetches its binary the first time it is used. `npm start` fetches it up front, and where that cannot work
// (no route to Electron's download host) says how to run the same app without it.
import { spawnSync } from 'node:child_process'

const installer = require.resolve('electron/install.js')
const result = spawnSync(process.execPath, [installer], { stdio: 'inherit' })
if (result.status !== 0) {
  console.error(
    [
      '',
      'Framecast could not get the Electron binary it runs in (see the error above).',
      'Run the same app in Chrome or Chromium on this machine instead:',
      '',
      '  npm run web',
      ''
    ].join('\n')
  )
  process.exit(result.status ?? 1)
}
