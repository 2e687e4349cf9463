import { resolve } from 'node:path'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  resolve: { alias: { '@renderer': resolve(__dirname, 'src/renderer/src') } },
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    // Multicast DNS (broadcasters advertising themselves, windows browsing) stays on the loopback interface in every
    // test and every program a test starts: no test multicasts onto a real network. Tests across a real link make
    // their own network namespaces and say otherwise there.
    env: { FRAMECAST_MDNS_INTERFACE: '127.0.0.1' }
  }
})
