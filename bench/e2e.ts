// End-to-end benchmark: `npm run bench:e2e [-- --seconds 10]`. Glass-to-glass at 1280×720, 30 fps, over loopback,
// in headless Chromium with a fake camera playing a clip whose frames carry a counter (tools/make-y4m.ts):
//
//   app:    Broadcast page -> browser host -> TCP core -> browser host -> Watch page (the real renderer build), once
//           with JPEG and once with "Smaller stream (H.264)"
//   WebRTC: two plain pages with one RTCPeerConnection (what WebRTC-based tools give), measured in the same run at
//           the same resolution (degradationPreference 'maintain-resolution', and measured only once it sends 720p)
//
// Both are measured the same way: from the moment the camera captured a frame (requestVideoFrameCallback's
// captureTime on the sending page's own preview; the counter, telling which frame it was, read from the luma plane of
// a cloned track so the probe costs the sending page next to nothing) to the moment a page had drawn that frame on
// its canvas. Every page runs in one browser, so performance.timeOrigin + now() is one clock.
// Prints JSON lines {"name","value","unit","baseline","goal"} like bench:core; the app's JPEG figures carry the WebRTC
// figure measured in the same run as their baseline, the H.264 figures the JPEG ones, and each codec's latency is
// broken down hop by hop. Bitrate is what reached the Watch page; PSNR compares pictures read back from the viewer
// canvas with the clip's own frames (luma).

import { existsSync, readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { parseArgs } from 'node:util'
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test'
import { percentile } from '../src/shared/stats'
import { CHROMIUM, chromiumArgs, CLIP_720P, FIXTURE_DIR } from '../e2e/camera'
import { freePort, type HostProcess, launchHost } from '../e2e/host'
import { cellCentre, COUNTER_CELLS, counterFromLumas, ensureY4m, fixturePath, y4mHeader } from '../tools/make-y4m'
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
  takeRecords,
  viewerLuma
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

type AppCodec = 'jpeg' | 'h264'
const CODEC_LABEL: Record<AppCodec, string> = { jpeg: 'JPEG', h264: 'H.264' }

interface AppRun {
  codec: AppCodec
  latencies: number[]
  fps: number
  encodeP95: number | null
  encodeAvg: number | null
  /** frames the capture worker took per second, and frames it skipped because the previous one was still in flight */
  captureFps: number | null
  skippedBusy: number | null
  breakdown: { camToWorker: number[]; workerToHost: number[]; hostToPage: number[]; pageToPaint: number[]; appStamp: number[] }
  /** mean picture size per frame the Watch page received (KiB) */
  frameKiB: number | null
  /** bits per second that reached the Watch page, in kbit/s */
  kbps: number | null
  /** keyframes among the frames the Watch page received */
  keyframes: number
  /** mean luma PSNR (dB) of pictures read back from the viewer against the clip's frames, and how many were compared */
  psnrDb: number | null
  psnrFrames: number
  /** the picture size the Watch page painted ("1280x720") */
  receivedSize: string
  hasCaptureTime: boolean
  paints: number
}

async function measureApp(browser: Browser, host: HostProcess, codec: AppCodec, warmupMs: number, durationMs: number): Promise<AppRun> {
  const port = await freePort()
  const bctx = await newContext(browser, { port, preset: '720p', fps: 30, quality: JPEG_QUALITY, codec })
  const wctx = await newContext(browser)
  try {
    const broadcast = await bctx.newPage()
    await broadcast.goto(host.pageUrl('broadcast'))
    await broadcast.getByTestId('broadcast-resolution').selectOption('720p')
    await broadcast.getByTestId('broadcast-port').fill(String(port))
    await broadcast.getByTestId('broadcast-interface').selectOption('127.0.0.1')
    await waitAttr(broadcast, 'broadcast-h264', 'data-support', /^(yes|no)$/)
    const h264 = broadcast.getByTestId('broadcast-h264')
    if (codec === 'h264' && !(await h264.isChecked())) throw new Error('this Chromium offers no H.264 encoder')
    if (codec === 'jpeg' && (await h264.isChecked())) await h264.uncheck()
    await broadcast.getByTestId('broadcast-start').click()
    await waitAttr(broadcast, 'broadcast-phase', 'data-phase', /^live$/)

    const watch = await wctx.newPage()
    await watch.goto(host.pageUrl('watch'))
    await watch.getByTestId('watch-host').fill(`127.0.0.1:${port}`)
    await watch.getByTestId('watch-connect').click()
    // A private broadcast asks a device it does not know for its code: read it off the Broadcast window and type it.
    await waitAttr(watch, 'watch-banner', 'data-state', /^(live|pairing)$/)
    if ((await watch.getByTestId('watch-banner').getAttribute('data-state')) === 'pairing') {
      await waitAttr(broadcast, 'pairing-code', 'data-code', /^\d{6}$/)
      await watch.getByTestId('pairing-code-input').fill((await broadcast.getByTestId('pairing-code').getAttribute('data-code')) ?? '')
      await watch.getByTestId('pairing-submit').click()
    }
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
    const sentAs = await stats.getAttribute('data-codec')
    if (sentAs !== codec) throw new Error(`the broadcast went out as ${sentAs}, not ${codec}`)
    const canvas = watch.getByTestId('viewer-canvas')
    const receivedSize = `${await canvas.getAttribute('data-frame-width')}x${await canvas.getAttribute('data-frame-height')}`
    const psnr = await measurePsnr(watch)

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
    const bytes = arrivals.reduce((sum, a) => sum + a.bytes, 0)
    const frameKiB = arrivals.length ? bytes / arrivals.length / 1024 : null
    note(
      `app ${CODEC_LABEL[codec]}: ${viewer.length} paints at ${receivedSize}, ${drawn.length} new frames, ${latencies.length} paired with the camera ` +
        `(${camera.length} camera frames seen, capture timestamps ${index.hasCaptureTime ? 'from the camera' : 'NOT available: frame-callback time used'})`
    )
    return {
      codec,
      latencies,
      fps: drawn.length / (durationMs / 1000),
      encodeP95,
      encodeAvg,
      captureFps,
      skippedBusy,
      breakdown,
      hasCaptureTime: index.hasCaptureTime,
      paints: viewer.length,
      frameKiB,
      kbps: arrivals.length ? (bytes * 8) / durationMs : null,
      keyframes: arrivals.filter((a) => a.keyframe).length,
      psnrDb: psnr.db,
      psnrFrames: psnr.frames,
      receivedSize
    }
  } finally {
    await bctx.close()
    await wctx.close()
  }
}

/** The luma plane of clip frame `n` (the camera's own picture), read from the .y4m file. */
function clipLuma(n: number): Uint8Array {
  const frameBytes = (CLIP.width * CLIP.height * 3) / 2
  const offset = Buffer.byteLength(y4mHeader(CLIP)) + n * (6 + frameBytes) + 6
  return CLIP_BYTES().subarray(offset, offset + CLIP.width * CLIP.height)
}
let clipBytes: Buffer | null = null
const CLIP_BYTES = (): Buffer => (clipBytes ??= readFileSync(fixturePath(CLIP, FIXTURE_DIR)))

function lumaPsnr(a: Uint8Array, b: Uint8Array): number {
  let se = 0
  for (let i = 0; i < a.length; i++) se += (a[i]! - b[i]!) ** 2
  const mse = se / a.length
  return mse === 0 ? 99 : 10 * Math.log10((255 * 255) / mse)
}

/** Mean luma PSNR (dB) of a few pictures read back from the viewer canvas, each against the clip frame it shows. */
async function measurePsnr(watch: Page, samples = 8): Promise<{ db: number | null; frames: number }> {
  const values: number[] = []
  for (let i = 0; i < samples; i++) {
    const picture = await watch.evaluate(viewerLuma, CENTRES)
    const n = picture ? counterFromLumas(picture.lumas) : null
    if (picture && n !== null && n < CLIP.frames && picture.width === CLIP.width && picture.height === CLIP.height) {
      values.push(lumaPsnr(Buffer.from(picture.luma, 'base64'), clipLuma(n)))
    }
    await sleep(170)
  }
  return { db: values.length ? values.reduce((a, b) => a + b, 0) / values.length : null, frames: values.length }
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
      for (const t of stream.getVideoTracks()) {
        // Same resolution as the app: WebRTC must not send less than the camera's 1280×720 to keep its frame rate.
        t.contentHint = 'detail'
        pc.addTrack(t, stream)
      }
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
      const pc = (window as unknown as { pc: RTCPeerConnection }).pc
      await pc.setRemoteDescription({ type: 'answer', sdp })
      for (const s of pc.getSenders()) {
        const params = s.getParameters() as RTCRtpSendParameters & { degradationPreference?: string }
        params.degradationPreference = 'maintain-resolution'
        await s.setParameters(params)
      }
    }, loopbackOnly(answer))

    await receiver.waitForFunction(() => (document.getElementById('v') as HTMLVideoElement).videoWidth > 0, undefined, { timeout: 20_000 })
    // Measured at the camera's resolution: wait (up to 30 s) until WebRTC sends it.
    await receiver
      .waitForFunction((width) => (document.getElementById('v') as HTMLVideoElement).videoWidth >= width, CLIP.width, { timeout: 30_000 })
      .catch(() => note('webrtc: never reached the camera resolution within 30 s; measured at what it sent'))
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
    const jpeg = await measureApp(browser, host, 'jpeg', warmupMs, durationMs)
    const h264 = await measureApp(browser, host, 'h264', warmupMs, durationMs)
    const rtc = await measureWebRtc(browser, host, Math.max(warmupMs, 5_000), durationMs)

    const rtcP50 = p(rtc.latencies, 50)
    const rtcP95 = p(rtc.latencies, 95)
    const jpegP50 = p(jpeg.latencies, 50)
    const jpegP95 = p(jpeg.latencies, 95)
    const h264P50 = p(h264.latencies, 50)
    const ratio = (a: number | null, b: number | null): number | null => (a !== null && b ? a / b : null)
    const height = (size: string): number | null => Number(size.split('x')[1]) || null
    const camera = `${CLIP.width}x${CLIP.height}`
    print('e2e_latency_p50_ms', jpegP50, 'ms', rtcP50, `< 18 (JPEG at ${jpeg.receivedSize}; baseline WebRTC at ${rtc.receivedSize})`)
    print('e2e_latency_p95_ms', jpegP95, 'ms', rtcP95, '< 30 (JPEG; baseline WebRTC)')
    print('e2e_fps', jpeg.fps, 'fps', rtc.fps, '>= 30 (camera rate; JPEG; baseline WebRTC)')
    print('encode_ms_p95', jpeg.encodeP95, 'ms', bareEncode, '< 12 (JPEG capture + encode; baseline: bare drawImage + JPEG encode, idle page)')
    print('e2e_h264_latency_p50_ms', h264P50, 'ms', jpegP50, `< 15 (H.264 at ${h264.receivedSize}; baseline JPEG)`)
    print('e2e_h264_latency_p95_ms', p(h264.latencies, 95), 'ms', jpegP95, 'baseline JPEG')
    print('e2e_h264_fps', h264.fps, 'fps', jpeg.fps, '>= 30 (camera rate; baseline JPEG)')
    print('e2e_h264_encode_ms_p95', h264.encodeP95, 'ms', jpeg.encodeP95, 'baseline JPEG capture + encode')
    print('e2e_h264_kbps', h264.kbps, 'kbit/s', jpeg.kbps, '<= baseline / 4 at equal or better PSNR (baseline JPEG)')
    print('e2e_h264_kbps_ratio', ratio(h264.kbps, jpeg.kbps), 'ratio', 1, '<= 0.25 (H.264 / JPEG kbit/s)')
    print('e2e_h264_psnr_db', h264.psnrDb, 'dB', jpeg.psnrDb, `>= baseline (luma, ${h264.psnrFrames} and ${jpeg.psnrFrames} pictures; baseline JPEG)`)
    print('e2e_vs_webrtc_p50_ratio', ratio(jpegP50, rtcP50), 'ratio', 1, `<= 0.5 (JPEG at ${jpeg.receivedSize} / WebRTC at ${rtc.receivedSize})`)
    print('e2e_h264_vs_webrtc_p50_ratio', ratio(h264P50, rtcP50), 'ratio', 1, `<= 0.5 (H.264 at ${h264.receivedSize} / WebRTC at ${rtc.receivedSize})`)
    print('webrtc_latency_p50_ms', rtcP50, 'ms', null, `reference (VP8, received at ${rtc.receivedSize})`)
    print('webrtc_latency_p95_ms', rtcP95, 'ms', null, 'reference')
    for (const [name, size] of [['jpeg', jpeg.receivedSize], ['h264', h264.receivedSize], ['webrtc', rtc.receivedSize]] as const) {
      print(`${name}_received_height`, height(size), 'px', CLIP.height, `= camera (${size} received, camera ${camera})`)
    }
    // Where each codec's time goes (p50 of each hop; they add up to the latency of each frame).
    for (const run of [jpeg, h264]) {
      const b = run.breakdown
      const c = run.codec
      const what = CODEC_LABEL[c]
      print(`e2e_${c}_encode_avg_ms`, run.encodeAvg, 'ms', null, `breakdown: ${c === 'jpeg' ? 'copyTo/draw + JPEG encode' : 'H.264 encode'} in the capture worker`)
      print(`e2e_${c}_capture_fps`, run.captureFps, 'fps', null, `breakdown: ${what} frames the capture worker sent (${run.skippedBusy ?? '?'} skipped while busy)`)
      print(`e2e_${c}_kib_per_frame`, run.frameKiB, 'KiB', null, `breakdown: ${what} frame size (${run.keyframes} keyframes received)`)
      print(`e2e_${c}_camera_to_capture_worker_p50_ms`, p(b.camToWorker, 50), 'ms', null, 'breakdown')
      print(`e2e_${c}_capture_worker_to_host_watcher_p50_ms`, p(b.workerToHost, 50), 'ms', null, 'breakdown: encode, page -> host, TCP')
      print(`e2e_${c}_host_watcher_to_watch_page_p50_ms`, p(b.hostToPage, 50), 'ms', null, 'breakdown: host -> page')
      print(`e2e_${c}_watch_page_decode_and_paint_p50_ms`, p(b.pageToPaint, 50), 'ms', null, 'breakdown: decode and draw')
      print(`e2e_${c}_app_stamped_latency_p50_ms`, p(b.appStamp, 50), 'ms', null, 'capture worker stamp -> painted (what the app reports)')
    }
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
