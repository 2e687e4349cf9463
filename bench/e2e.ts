// End-to-end benchmark: `npm run bench:e2e [-- --seconds 10]`. Glass-to-glass at 1280×720, 30 fps, over loopback,
// in headless Chromium with a fake camera playing a clip whose frames carry a counter (tools/make-y4m.ts):
//
//   app:    Broadcast page -> browser host -> TCP core -> browser host -> Watch page (the real renderer build)
//   WebRTC: two plain pages with one RTCPeerConnection (what WebRTC-based tools give), measured in the same run
//
// Both are measured the same way: from the moment the camera captured a frame (requestVideoFrameCallback's
// captureTime on the sending page's own preview; the counter, telling which frame it was, read from the luma plane of
// a cloned track so the probe costs the sending page next to nothing) to the moment a page had drawn that frame on
// its canvas. Every page runs in one browser, so performance.timeOrigin + now() is one clock.
// Prints JSON lines {"name","value","unit","baseline","goal"} like bench:core; the app's figures carry the WebRTC
// figure measured in the same run as their baseline, and the app's latency is broken down hop by hop.

import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test'
import { percentile } from '../src/shared/stats'
import { CHROMIUM, chromiumArgs, CLIP_720P, FIXTURE_DIR } from '../e2e/camera'
import { freePort, type HostProcess, launchHost } from '../e2e/host'
import { cellCentre, COUNTER_CELLS, counterFromLumas, ensureY4m } from '../tools/make-y4m'
import { defaultSettings } from '../src/renderer/src/store/settings'
import {
  type ArrivalRecord,
  bareEncodeP95,
  probeCamera,
  probeArrivals,
  probeVideo,
  type ProbeRecord,
  takeArrivals,
  takeCameraRecords,
  takeRecords
} from './probe'
import { recordViewerPaints, takeViewerPaints, type ViewerPaint } from '../e2e/viewer-probe'

const ROOT = resolve(__dirname, '..')
const CLIP = CLIP_720P
const CENTRES = Array.from({ length: COUNTER_CELLS }, (_, i) => cellCentre(CLIP, i))
/** JPEG quality: the app's default unless --quality says otherwise. */
let JPEG_QUALITY = defaultSettings.quality
/** tsx compiles functions with esbuild's keepNames; the in-page copies need its helper. */
const KEEP_NAMES_SHIM = 'globalThis.__name = globalThis.__name || ((f) => f);'

function print(name: string, value: number | null, unit: string, baseline: number | null, goal: string): void {
  const r = (n: number | null): number | null => (n === null ? null : Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100)
  console.log(JSON.stringify({ name, value: r(value), unit, baseline: r(baseline), goal }))
}

function note(line: string): void {
  console.error(`[bench:e2e] ${line}`)
}

// ---------------------------------------------------------------------------------------------------------------
// Pairing frames by counter
// ---------------------------------------------------------------------------------------------------------------

interface CameraIndex {
  /** counter -> capture times (epoch ms), ascending */
  times: Map<number, number[]>
  /** whether the browser gave capture timestamps (otherwise the frame callback's time is used: later than capture) */
  hasCaptureTime: boolean
}

function indexCamera(records: ProbeRecord[]): CameraIndex {
  const times = new Map<number, number[]>()
  let withCapture = 0
  for (const r of records) {
    const c = counterFromLumas(r.lumas)
    if (c === null) continue
    if (r.captureMs !== null) withCapture++
    const t = r.captureMs ?? r.atMs
    const list = times.get(c) ?? []
    list.push(t)
    times.set(c, list)
  }
  return { times, hasCaptureTime: withCapture > records.length / 2 }
}

/** When the camera captured the frame showing `counter` that was drawn at `drawnMs` (the clip loops every 4 s). */
function captureTimeOf(index: CameraIndex, counter: number, drawnMs: number): number | null {
  const list = index.times.get(counter)
  if (!list) return null
  let best: number | null = null
  for (const t of list) if (t <= drawnMs && drawnMs - t < 2_000) best = t
  return best
}

interface Drawn {
  counter: number
  drawnMs: number
  record: ProbeRecord
}

/** Paints that showed a new camera frame (the counter changed). */
function newFrames(records: ProbeRecord[]): Drawn[] {
  const out: Drawn[] = []
  let last: number | null = null
  for (const r of records) {
    const c = counterFromLumas(r.lumas)
    if (c === null || c === last || r.drawnMs === null) continue
    last = c
    out.push({ counter: c, drawnMs: r.drawnMs, record: r })
  }
  return out
}

/** A paint of the app's viewer canvas as a probe record: drawn when the app stamped the paint. */
function viewerRecord(paint: ViewerPaint): ProbeRecord {
  return {
    lumas: paint.lumas,
    atMs: paint.atMs,
    captureMs: null,
    receiveMs: null,
    drawnMs: paint.paintedAtUs / 1000,
    seq: paint.seq,
    appCapturedUs: paint.capturedAtUs,
    appPaintedUs: paint.paintedAtUs
  }
}

function p(values: number[], q: number): number | null {
  return percentile(values, q)
}

// ---------------------------------------------------------------------------------------------------------------
// The app
// ---------------------------------------------------------------------------------------------------------------

async function newContext(browser: Browser, settings?: Record<string, unknown>): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } })
  await context.addInitScript({ content: KEEP_NAMES_SHIM })
  if (settings) {
    const value = JSON.stringify({ state: { settings }, version: 1 })
    await context.addInitScript({
      content: `if (localStorage.getItem('framecast.settings') === null) localStorage.setItem('framecast.settings', ${JSON.stringify(value)});`
    })
  }
  return context
}

async function waitAttr(page: Page, testId: string, attr: string, value: RegExp, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(
    ([id, a, source]) => new RegExp(source).test(document.querySelector(`[data-testid="${id}"]`)?.getAttribute(a) ?? ''),
    [testId, attr, value.source] as const,
    { timeout: timeoutMs }
  )
}

interface AppRun {
  latencies: number[]
  fps: number
  encodeP95: number | null
  encodeAvg: number | null
  /** frames the capture worker took per second, and frames it skipped because the previous one was still in flight */
  captureFps: number | null
  skippedBusy: number | null
  breakdown: { camToWorker: number[]; workerToHost: number[]; hostToPage: number[]; pageToPaint: number[]; appStamp: number[] }
  /** mean JPEG size per frame the Watch page received (KiB) */
  jpegKiB: number | null
  hasCaptureTime: boolean
  paints: number
}

async function measureApp(browser: Browser, host: HostProcess, warmupMs: number, durationMs: number): Promise<AppRun> {
  const port = await freePort()
  const bctx = await newContext(browser, { port, preset: '720p', fps: 30, quality: JPEG_QUALITY })
  const wctx = await newContext(browser)
  try {
    const broadcast = await bctx.newPage()
    await broadcast.goto(host.pageUrl('broadcast'))
    await broadcast.getByTestId('broadcast-resolution').selectOption('720p')
    await broadcast.getByTestId('broadcast-port').fill(String(port))
    await broadcast.getByTestId('broadcast-interface').selectOption('127.0.0.1')
    await broadcast.getByTestId('broadcast-start').click()
    await waitAttr(broadcast, 'broadcast-phase', 'data-phase', /^live$/)

    const watch = await wctx.newPage()
    await watch.goto(host.pageUrl('watch'))
    await watch.getByTestId('watch-host').fill(`127.0.0.1:${port}`)
    await watch.getByTestId('watch-connect').click()
    await waitAttr(watch, 'watch-banner', 'data-state', /^live$/)
    await waitAttr(watch, 'viewer-canvas', 'data-seq', /^\d+$/)
    await sleep(warmupMs)

    await broadcast.evaluate(probeCamera, { name: 'camera', selector: '[data-testid="broadcast-preview"]', centres: CENTRES })
    await watch.evaluate(recordViewerPaints, { name: 'viewer', centres: CENTRES })
    await watch.evaluate(probeArrivals)
    await sleep(durationMs)
    const camera = await broadcast.evaluate(takeCameraRecords, 'camera')
    const viewer = (await watch.evaluate(takeViewerPaints, { name: 'viewer', stop: true })).map(viewerRecord)
    const arrivals = await watch.evaluate(takeArrivals)
    const stats = broadcast.getByTestId('broadcast-stats')
    const attr = async (name: string): Promise<number | null> => {
      const text = await stats.getAttribute(name)
      return text ? Number(text) : null
    }
    const encodeP95 = await attr('data-encode-ms-p95')
    const encodeAvg = await attr('data-encode-ms')
    const captureFps = await attr('data-capture-fps')
    const skippedBusy = await attr('data-skipped')

    const index = indexCamera(camera)
    const drawn = newFrames(viewer)
    const bySeq = new Map<number, ArrivalRecord>(arrivals.map((a) => [a.seq, a]))
    const latencies: number[] = []
    const breakdown: AppRun['breakdown'] = { camToWorker: [], workerToHost: [], hostToPage: [], pageToPaint: [], appStamp: [] }
    for (const d of drawn) {
      const captured = captureTimeOf(index, d.counter, d.drawnMs)
      const r = d.record
      const stampMs = (r.appCapturedUs ?? NaN) / 1000
      if (Number.isFinite(stampMs)) breakdown.appStamp.push(d.drawnMs - stampMs)
      if (captured === null) continue
      latencies.push(d.drawnMs - captured)
      const a = r.seq !== undefined ? bySeq.get(r.seq) : undefined
      if (!a || a.latencyMs === null || !Number.isFinite(stampMs)) continue
      breakdown.camToWorker.push(stampMs - captured)
      breakdown.workerToHost.push(a.latencyMs)
      breakdown.hostToPage.push(a.arrivedMs - stampMs - a.latencyMs)
      breakdown.pageToPaint.push(d.drawnMs - a.arrivedMs)
    }
    const jpegKiB = arrivals.length ? arrivals.reduce((sum, a) => sum + a.bytes, 0) / arrivals.length / 1024 : null
    note(
      `app: ${viewer.length} paints, ${drawn.length} new frames, ${latencies.length} paired with the camera ` +
        `(${camera.length} camera frames seen, capture timestamps ${index.hasCaptureTime ? 'from the camera' : 'NOT available: frame-callback time used'})`
    )
    return {
      latencies,
      fps: drawn.length / (durationMs / 1000),
      encodeP95,
      encodeAvg,
      captureFps,
      skippedBusy,
      breakdown,
      hasCaptureTime: index.hasCaptureTime,
      paints: viewer.length,
      jpegKiB
    }
  } finally {
    await bctx.close()
    await wctx.close()
  }
}

// ---------------------------------------------------------------------------------------------------------------
// WebRTC, same camera, same browser
// ---------------------------------------------------------------------------------------------------------------

const RTC_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>WebRTC reference</title></head>
<body style="margin:0;background:#000"><video id="v" autoplay muted playsinline style="width:640px"></video></body></html>`

/** Keep only loopback UDP candidates: the peers talk over 127.0.0.1 and nothing else. */
function loopbackOnly(sdp: string): string {
  const lines = sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:') || (/ udp /i.test(l) && / 127\.0\.0\.1 /.test(l)))
  if (!lines.some((l) => l.startsWith('a=candidate:'))) throw new Error('WebRTC gathered no loopback candidate')
  return lines.join('\r\n')
}

interface RtcRun {
  latencies: number[]
  fps: number
  receivedSize: string
}

/** The floor for encoding: camera frame -> OffscreenCanvas -> JPEG in a plain page, with nothing else running. */
async function measureBareEncode(browser: Browser, host: HostProcess): Promise<number> {
  const url = `${host.origin}/bench/camera.html`
  const context = await newContext(browser)
  try {
    await context.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: RTC_PAGE }))
    const page = await context.newPage()
    await page.goto(url)
    await page.evaluate(async (size) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: size.width }, height: { ideal: size.height }, frameRate: { ideal: size.fps } }
      })
      const video = document.getElementById('v') as HTMLVideoElement
      video.srcObject = stream
      await video.play()
    }, CLIP)
    await sleep(1_000)
    return await page.evaluate(bareEncodeP95, { selector: '#v', width: CLIP.width, height: CLIP.height, quality: JPEG_QUALITY, runs: 60 })
  } finally {
    await context.close()
  }
}

async function measureWebRtc(browser: Browser, host: HostProcess, warmupMs: number, durationMs: number): Promise<RtcRun> {
  const url = `${host.origin}/bench/webrtc.html`
  const contexts = [await newContext(browser), await newContext(browser)]
  try {
    const [sender, receiver] = await Promise.all(
      contexts.map(async (c) => {
        await c.route(url, (route) => route.fulfill({ status: 200, contentType: 'text/html', body: RTC_PAGE }))
        const page = await c.newPage()
        await page.goto(url)
        return page
      })
    ) as [Page, Page]

    const offer = await sender.evaluate(async (size) => {
      const stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: size.width }, height: { ideal: size.height }, frameRate: { ideal: size.fps } }
      })
      const video = document.getElementById('v') as HTMLVideoElement
      video.srcObject = stream
      await video.play()
      const pc = new RTCPeerConnection({ iceServers: [] })
      ;(window as unknown as { pc: RTCPeerConnection }).pc = pc
      for (const t of stream.getVideoTracks()) pc.addTrack(t, stream)
      await pc.setLocalDescription(await pc.createOffer())
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()))
      }
      return pc.localDescription!.sdp
    }, CLIP)

    const answer = await receiver.evaluate(async (sdp) => {
      const pc = new RTCPeerConnection({ iceServers: [] })
      ;(window as unknown as { pc: RTCPeerConnection }).pc = pc
      const video = document.getElementById('v') as HTMLVideoElement
      pc.addEventListener('track', (e) => {
        video.srcObject = e.streams[0] ?? new MediaStream([e.track])
        void video.play()
      })
      await pc.setRemoteDescription({ type: 'offer', sdp })
      await pc.setLocalDescription(await pc.createAnswer())
      if (pc.iceGatheringState !== 'complete') {
        await new Promise<void>((r) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && r()))
      }
      return pc.localDescription!.sdp
    }, loopbackOnly(offer))
    await sender.evaluate(async (sdp) => {
      await (window as unknown as { pc: RTCPeerConnection }).pc.setRemoteDescription({ type: 'answer', sdp })
    }, loopbackOnly(answer))

    await receiver.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 20_000 })
    await sleep(warmupMs)
    await sender.evaluate(probeCamera, { name: 'camera', selector: '#v', centres: CENTRES })
    await receiver.evaluate(probeVideo, { name: 'remote', selector: '#v', width: CLIP.width, height: CLIP.height, centres: CENTRES, paint: true })
    await sleep(durationMs)
    const camera = await sender.evaluate(takeCameraRecords, 'camera')
    const remote = await receiver.evaluate(takeRecords, 'remote')
    const receivedSize = await receiver.evaluate(() => {
      const v = document.getElementById('v') as HTMLVideoElement
      return `${v.videoWidth}x${v.videoHeight}`
    })

    const index = indexCamera(camera)
    const drawn = newFrames(remote)
    const latencies: number[] = []
    for (const d of drawn) {
      const captured = captureTimeOf(index, d.counter, d.drawnMs)
      if (captured !== null) latencies.push(d.drawnMs - captured)
    }
    note(
      `webrtc: ${remote.length} frames drawn at ${receivedSize}, ${drawn.length} new, ${latencies.length} paired ` +
        `(${camera.length} camera frames seen, capture timestamps ${index.hasCaptureTime ? 'from the camera' : 'NOT available'})`
    )
    return { latencies, fps: drawn.length / (durationMs / 1000), receivedSize }
  } finally {
    await Promise.all(contexts.map((c) => c.close()))
  }
}

// ---------------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { seconds: { type: 'string', default: '10' }, warmup: { type: 'string', default: '3' }, quality: { type: 'string' } }
  })
  const durationMs = Number(values.seconds) * 1000
  const warmupMs = Number(values.warmup) * 1000
  if (values.quality !== undefined) JPEG_QUALITY = Number(values.quality)
  await ensureY4m(CLIP, FIXTURE_DIR)
  if (!existsSync(resolve(ROOT, 'out/renderer/index.html'))) throw new Error('No renderer build: run npx electron-vite build first')

  const host = await launchHost()
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [...chromiumArgs(CLIP), '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns']
  })
  try {
    const bareEncode = await measureBareEncode(browser, host)
    const app = await measureApp(browser, host, warmupMs, durationMs)
    const rtc = await measureWebRtc(browser, host, Math.max(warmupMs, 5_000), durationMs)

    const appP50 = p(app.latencies, 50)
    const appP95 = p(app.latencies, 95)
    const rtcP50 = p(rtc.latencies, 50)
    const rtcP95 = p(rtc.latencies, 95)
    print('e2e_latency_p50_ms', appP50, 'ms', rtcP50, '< 25')
    print('e2e_latency_p95_ms', appP95, 'ms', rtcP95, '< 40')
    print('e2e_fps', app.fps, 'fps', rtc.fps, '>= 30 (camera rate)')
    print('encode_ms_p95', app.encodeP95, 'ms', bareEncode, '< 20 (baseline: bare OffscreenCanvas JPEG encode, idle page)')
    print('webrtc_latency_p50_ms', rtcP50, 'ms', null, `reference (VP8, received at ${rtc.receivedSize})`)
    print('e2e_vs_webrtc_p50_ratio', appP50 !== null && rtcP50 ? appP50 / rtcP50 : null, 'ratio', 1, '<= 0.6')
    // Where the app's time goes (p50 of each hop; they add up to the latency of each frame).
    const b = app.breakdown
    print('e2e_encode_avg_ms', app.encodeAvg, 'ms', null, 'breakdown: draw + JPEG encode in the capture worker')
    print('e2e_capture_fps', app.captureFps, 'fps', null, `breakdown: frames the capture worker took (${app.skippedBusy ?? '?'} skipped while busy)`)
    print('e2e_jpeg_kib_per_frame', app.jpegKiB, 'KiB', null, `breakdown: JPEG size at quality ${JPEG_QUALITY}`)
    print('e2e_camera_to_capture_worker_p50_ms', p(b.camToWorker, 50), 'ms', null, 'breakdown')
    print('e2e_capture_worker_to_host_watcher_p50_ms', p(b.workerToHost, 50), 'ms', null, 'breakdown: encode, page -> host, TCP')
    print('e2e_host_watcher_to_watch_page_p50_ms', p(b.hostToPage, 50), 'ms', null, 'breakdown: host -> page')
    print('e2e_watch_page_decode_and_paint_p50_ms', p(b.pageToPaint, 50), 'ms', null, 'breakdown: decode and draw')
    print('e2e_app_stamped_latency_p50_ms', p(b.appStamp, 50), 'ms', null, 'capture worker stamp -> painted (what the app reports)')
    print('webrtc_latency_p95_ms', rtcP95, 'ms', null, 'reference')
  } finally {
    await browser.close()
    await host.stop()
    const loop = /event loop delay: .*/.exec(host.output())
    if (loop) note(`browser host ${loop[0]}`)
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack : e)
  process.exit(1)
})
