// Waiting for one piece of work or a stop, whichever comes first, without keeping anything alive afterwards.
//
// `Promise.race([work, stop])` in a loop looks the same but leaks: each race subscribes to `stop`, and while `stop`
// never settles every subscription keeps its race's promise — and the value that race settled with — reachable, so a
// loop of a million frames keeps a million frames. Here the stop is an AbortSignal whose listener is removed as soon
// as the work settles.

/**
 * `work`'s value, or null as soon as `signal` aborts (at once when it already has). A rejection of `work` before the
 * abort rejects the same way. Nothing stays subscribed to `signal` once the returned promise has settled, so calling
 * it once per frame of an endless stream keeps memory flat.
 *
 * ```ts
 * const next = await abortable(frames.next(), stop.signal)   // null: stopped
 * ```
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T | null> {
  if (signal.aborted) {
    work.catch(() => {})
    return Promise.resolve(null)
  }
  return new Promise<T | null>((resolve, reject) => {
    const onAbort = (): void => resolve(null)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error as Error)
      }
    )
  })
}
