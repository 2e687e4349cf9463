// A broadcast from the command line tells the local network about itself (DNS-SD), as the app's do, and says so on
// standard output once it has: `advertised as "NAME"`.

import { type AdvertisedBroadcast, Discovery, discoveryOptionsFromEnv } from '../service/discovery'
import type { Io } from './common'

/**
 * Advertise `broadcast` (unless it asks not to be, or listens on loopback) and print the name once published; a
 * failure to advertise is a line on standard error, never the end of the broadcast. close() withdraws it (goodbye).
 */
export function advertiseCli(io: Io, broadcast: AdvertisedBroadcast): { close(): Promise<void> } {
  const discovery = new Discovery(discoveryOptionsFromEnv({ log: (line) => io.stderr.write(`framecast: ${line}\n`) }))
  const ad = discovery.advertisementFor(broadcast)
  if (ad === null) return { close: async () => undefined }
  let closed = false
  try {
    const advertising = discovery.advertise(ad)
    void advertising.published.then((instance) => {
      if (closed) return
      if (instance !== null) io.stdout.write(`advertised as ${JSON.stringify(instance)}\n`)
      else io.stderr.write('framecast: this broadcast could not be advertised on the local network\n')
    })
  } catch (e) {
    io.stderr.write(`framecast: not advertised: ${e instanceof Error ? e.message : String(e)}\n`)
  }
  return {
    close: () => {
      closed = true
      return discovery.close()
    }
  }
}
