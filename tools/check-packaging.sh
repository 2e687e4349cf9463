#!/usr/bin/env bash
# Validates electron-builder.yml offline: builds the app, then packs it for Linux with `--dir` around a stub Electron
# (a shell script standing in for the binary, which cannot be downloaded here), and checks what went into the package
# and how the fuses of the packed executable are set (read back with @electron/fuses).
# Usage: bash tools/check-packaging.sh    (exit 0 = the configuration packs the built app as intended)
set -euo pipefail
cd "$(dirname "$0")/.."

work="$(mktemp -d "${TMPDIR:-/tmp}/framecast-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "== electron-vite build"
npx electron-vite build

echo "== stub Electron distribution"
stub="$work/electron-dist"
mkdir -p "$stub/resources"
cat > "$stub/electron" <<'STUB'
#!/bin/sh
echo "This is a stub standing in for the Electron binary; it only exists to validate packaging." >&2
exit 1
STUB
# Electron's fuse wire (docs/tutorial/fuses.md): the sentinel, schema version 1, the wire length, then one byte per
# fuse ('1' on, '0' off) as a stock Electron ships them: RunAsNode 1, EnableCookieEncryption 0,
# EnableNodeOptionsEnvironmentVariable 1, EnableNodeCliInspectArguments 1, EnableEmbeddedAsarIntegrityValidation 0,
# OnlyLoadAppFromAsar 0, LoadBrowserProcessSpecificV8Snapshot 0, GrantFileProtocolExtraPrivileges 1, WasmTrapHandlers 1.
# It sits in a comment line, so the stand-in stays a shell script.
printf '# fuses dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX\001\011101100011\n' >> "$stub/electron"
chmod +x "$stub/electron"
electron_version="$(node -p "require('electron/package.json').version")"
printf 'v%s' "$electron_version" > "$stub/version"
cp node_modules/electron/LICENSE "$stub/LICENSE"

echo "== electron-builder --dir (linux, electron $electron_version)"
export ELECTRON_SKIP_BINARY_DOWNLOAD=1
npx electron-builder --dir --linux --publish never \
  -c.electronDist="$stub" -c.electronVersion="$electron_version" -c.directories.output="$work/dist"

echo "== checking the unpacked app"
app="$work/dist/linux-unpacked"
node - "$app" <<'CHECK'
const { existsSync, statSync } = require('node:fs')
const { getCurrentFuseWire, FuseV1Options } = require('@electron/fuses')
const { join } = require('node:path')
const asar = require('@electron/asar')
const app = process.argv[2]
const problems = []
const must = (ok, what) => { if (!ok) problems.push(what) }

const exe = join(app, 'framecast')
must(existsSync(exe) && (statSync(exe).mode & 0o111) !== 0, 'the executable is named framecast and is executable')
const archive = join(app, 'resources', 'app.asar')
must(existsSync(archive), 'resources/app.asar exists')
const files = new Set(asar.listPackage(archive, {}).map((f) => f.replace(/\\/g, '/')))
for (const f of ['/package.json', '/out/main/index.js', '/out/preload/index.js', '/out/renderer/index.html',
                 '/node_modules/ws/package.json', '/node_modules/valibot/package.json', '/node_modules/sharp/package.json',
                 '/node_modules/bonjour-service/package.json', '/node_modules/multicast-dns/package.json']) {
  must(files.has(f), `the archive holds ${f}`)
}
for (const f of files) {
  if (/^\/(src|test|e2e|bench|tools|docs|resources|build|out\/cli)\//.test(f)) { problems.push(`source or tooling leaked into the archive: ${f}`); break }
  if (/^\/out\/.*\.map$/.test(f)) { problems.push(`a source map was packed: ${f}`); break }
}
must(existsSync(join(app, 'resources', 'app.asar.unpacked', 'node_modules', 'sharp', 'package.json')), "sharp is unpacked next to the archive")
const pkg = JSON.parse(asar.extractFile(archive, 'package.json').toString())
must(pkg.main === 'out/main/index.js' || pkg.main === './out/main/index.js', `package.json main points at out/main/index.js (is ${pkg.main})`)

// The fuses electron-builder.yml sets, read back from the packed executable: 48 is '0' (off), 49 is '1' (on).
const wantFuses = {
  RunAsNode: false,
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  EnableCookieEncryption: true,
  LoadBrowserProcessSpecificV8Snapshot: false,
  GrantFileProtocolExtraPrivileges: false
}
void (async () => {
  const wire = await getCurrentFuseWire(exe)
  for (const [name, on] of Object.entries(wantFuses)) {
    const state = wire[FuseV1Options[name]]
    must(state === (on ? 49 : 48), `the ${name} fuse must be ${on ? 'on' : 'off'} (reads ${state === undefined ? 'missing' : "'" + String.fromCharCode(state) + "'"})`)
  }

  if (problems.length) {
    console.error('packaging check FAILED:\n  - ' + problems.join('\n  - '))
    process.exit(1)
  }
  console.log(`packaging check passed: ${files.size} entries in app.asar, sharp unpacked, executable ${exe.split('/').pop()}, fuses ${Object.keys(wantFuses).length} as configured`)
})().catch((e) => {
  console.error(`packaging check FAILED: ${e.message}`)
  process.exit(1)
})
CHECK
