// Renders resources/icon.svg into every icon file the packagers want:
//   resources/icon.png (512×512, also used for the window icon on Linux)
//   build/icon.png (512), build/icons/<n>x<n>.png (Linux), build/icon.ico (Windows), build/icon.icns (macOS).
// Run: npx tsx tools/make-icons.ts

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import sharp from 'sharp'

const root = resolve(__dirname, '..')
const svg = readFileSync(join(root, 'resources', 'icon.svg'))

function png(size: number): Promise<Buffer> {
  return sharp(svg, { density: Math.max(72, Math.ceil((72 * size) / 512)) }).resize(size, size).png({ compressionLevel: 9 }).toBuffer()
}

/** ICO with PNG-compressed images (Windows Vista and later). */
function ico(images: Array<{ size: number; data: Buffer }>): Buffer {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0)
  header.writeUInt16LE(1, 2)
  header.writeUInt16LE(images.length, 4)
  const dir = Buffer.alloc(16 * images.length)
  let offset = header.length + dir.length
  images.forEach(({ size, data }, i) => {
    const e = i * 16
    dir.writeUInt8(size >= 256 ? 0 : size, e)
    dir.writeUInt8(size >= 256 ? 0 : size, e + 1)
    dir.writeUInt8(0, e + 2)
    dir.writeUInt8(0, e + 3)
    dir.writeUInt16LE(1, e + 4)
    dir.writeUInt16LE(32, e + 6)
    dir.writeUInt32LE(data.length, e + 8)
    dir.writeUInt32LE(offset, e + 12)
    offset += data.length
  })
  return Buffer.concat([header, dir, ...images.map((i) => i.data)])
}

/** ICNS with PNG entries: ic07 128, ic08 256, ic09 512, ic10 1024 (512@2x). */
function icns(entries: Array<{ type: string; data: Buffer }>): Buffer {
  const parts = entries.map(({ type, data }) => {
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(data.length + 8, 4)
    return Buffer.concat([head, data])
  })
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(8 + parts.reduce((n, p) => n + p.length, 0), 4)
  return Buffer.concat([head, ...parts])
}

async function main(): Promise<void> {
  const sizes = [16, 24, 32, 48, 64, 128, 256, 512, 1024]
  const images = new Map<number, Buffer>()
  for (const s of sizes) images.set(s, await png(s))
  mkdirSync(join(root, 'build', 'icons'), { recursive: true })
  writeFileSync(join(root, 'resources', 'icon.png'), images.get(512)!)
  writeFileSync(join(root, 'build', 'icon.png'), images.get(512)!)
  for (const s of [16, 32, 48, 64, 128, 256, 512]) writeFileSync(join(root, 'build', 'icons', `${s}x${s}.png`), images.get(s)!)
  writeFileSync(join(root, 'build', 'icon.ico'), ico([16, 24, 32, 48, 64, 128, 256].map((size) => ({ size, data: images.get(size)! }))))
  writeFileSync(
    join(root, 'build', 'icon.icns'),
    icns([
      { type: 'ic07', data: images.get(128)! },
      { type: 'ic08', data: images.get(256)! },
      { type: 'ic09', data: images.get(512)! },
      { type: 'ic10', data: images.get(1024)! }
    ])
  )
  console.log(`icons written to resources/ and build/ (${sizes.join(', ')} px)`)
}

void main()
