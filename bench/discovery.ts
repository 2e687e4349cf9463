// Discovery: how soon a broadcast appears in a browse, and what a flood of hostile mDNS responses costs a browser.
// Prints JSON lines {"name","value","unit","baseline","goal"}; baselines are bonjour-service on its own, measured in
// the same run. Multicast DNS runs on the loopback interface on a port of this run's own: nothing leaves the machine.
// Run: npm run bench:discovery

import Bonjour from 'bonjour-service'
import { EventEmitter } from 'node:events'
import { Browsing } from '../src/service/browsing'
import { Discovery } from '../src/service/discovery'
import { openMdns } from '../src/service/mdns'

const PORT = 40_000 + (process.pid % 10_000)
const LOOPBACK = { interface: '127.0.0.1', port: PORT }
const APPEAR_RUNS = 5
const FLOOD_PACKETS = 60
/** Instances per hostile response: 85 × (PTR + SRV + TXT) = 255 records, just under the per-response cap. */
const FLOOD_INSTANCES = 85

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]!
}

const round = (n: number, digits = 1): number => Math.round(n * 10 ** digits) / 10 ** digits

/** ms from advertise() to the broadcast being in the list of a browse already running. */
async function appearOurs(run: number): Promise<number> {
  const d = new Discovery(LOOPBACK)
  const name = `Bench ${process.pid} ${run}`
  const t0 = performance.now()
  const ms = await new Promise<number>((resolve) => {
    const off = d.browse((list) => {
      if (!list.broadcasters.some((b) => b.name === name)) return
      off()
      resolve(performance.now() - t0)
    })
    d.advertise({ name, device: 'bench', port: 9999, classic: 'off', codec: 'jpeg', mjpegPort: null, mjpegPath: '/stream.mjpg' })
  })
  await d.close()
  return ms
}

/** The same with bonjour-service alone: publish (it probes too) and a plain browser. */
async function appearLibrary(run: number): Promise<number> {
  const options = { ...LOOPBACK, bind: '0.0.0.0' } as never
  const publisher = new Bonjour(options)
  const browser = new Bonjour(options)
  const name = `Plain ${process.pid} ${run}`
  const t0 = performance.now()
  const ms = await new Promise<number>((resolve) => {
    browser.find({ type: 'framecast' }, (s) => {
      if (s.name === name) resolve(performance.now() - t0)
    })
    publisher.publish({ name, type: 'framecast', port: 9999 })
  })
  await new Promise<void>((r) => publisher.unpublishAll(() => r()))
  publisher.destroy()
  browser.destroy()
  return ms
}

/** One hostile response: FLOOD_INSTANCES never-seen instances, each with SRV and TXT. */
function hostileResponse(n: number): object {
  const answers: object[] = []
  for (let i = 0; i < FLOOD_INSTANCES; i++) {
    const fqdn = `Flood ${n}-${i}._framecast._tcp.local`
    answers.push(
      { name: '_framecast._tcp.local', type: 'PTR', ttl: 4500, data: fqdn },
      { name: fqdn, type: 'SRV', ttl: 120, data: { port: 1000 + i, target: `h${n}-${i}.local` } },
      { name: fqdn, type: 'TXT', ttl: 4500, data: [Buffer.from('proto=2'), Buffer.from('codec=jpeg')] }
    )
  }
  return { type: 'response', answers, additionals: [] }
}

/** µs per hostile response emitted on `socket` (as multicast-dns emits a decoded packet), FLOOD_PACKETS in a row. */
function timeResponses(socket: EventEmitter): number {
  const packets = Array.from({ length: FLOOD_PACKETS }, (_, n) => hostileResponse(n))
  const rinfo = { address: '10.9.9.9', family: 'IPv4', port: 5353, size: 9000 }
  const t0 = process.hrtime.bigint()
  for (const p of packets) socket.emit('response', p, rinfo)
  return Number(process.hrtime.bigint() - t0) / 1000 / FLOOD_PACKETS
}

/** Our browse: responses enter the socket object a Browsing listens on, through its filter. */
async function floodOurs(): Promise<{ us: number; kept: number }> {
  const browsing = new Browsing({ ...LOOPBACK, settleMs: 0 })
  const inside = browsing as unknown as { endpoint: ReturnType<typeof openMdns>; heard: Map<string, number> }
  const us = timeResponses(inside.endpoint.mdns as unknown as EventEmitter)
  const kept = inside.heard.size
  await browsing.close()
  return { us, kept }
}

/** bonjour-service's Browser given the same responses unfiltered. */
function floodLibrary(): { us: number; kept: number } {
  const socket = Object.assign(new EventEmitter(), { query: () => undefined })
  const browser = new Bonjour.Browser(socket, { type: 'framecast' })
  const us = timeResponses(socket)
  return { us, kept: browser.services.length }
}

async function main(): Promise<void> {
  const ours: number[] = []
  const library: number[] = []
  for (let run = 0; run < APPEAR_RUNS; run++) {
    library.push(await appearLibrary(run))
    ours.push(await appearOurs(run))
  }
  console.log(
    JSON.stringify({
      name: 'discovery_appear_ms',
      value: round(median(ours)),
      unit: `ms from advertising to listed by a running browse, loopback mDNS, median of ${APPEAR_RUNS}`,
      baseline: round(median(library)),
      goal: '<= 2000 (appear within ~2 s); baseline: bonjour-service publish + find alone'
    })
  )

  const oursFlood = await floodOurs()
  const plain = floodLibrary()
  console.log(
    JSON.stringify({
      name: 'discovery_flood_us_per_response',
      value: round(oursFlood.us),
      unit: `µs per hostile response (${FLOOD_INSTANCES * 3} records, ${FLOOD_INSTANCES} new instances), ${FLOOD_PACKETS} in a row`,
      baseline: round(plain.us),
      goal: '<= baseline; baseline: bonjour-service Browser fed the same responses'
    })
  )
  console.log(
    JSON.stringify({
      name: 'discovery_flood_kept',
      value: oursFlood.kept,
      unit: `instances kept after ${FLOOD_PACKETS} hostile responses`,
      baseline: plain.kept,
      goal: '<= 64 (the browse cap); baseline: bonjour-service Browser'
    })
  )
}

void main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e)
    process.exit(1)
  }
)
