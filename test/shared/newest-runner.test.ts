import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NewestRunner, type Offered } from '../../src/shared/newest-runner'
import { NUM_RUNS } from '../support/runs'

/** Let the runner's promise handlers run (a settled run starts the next one a few microtasks later). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await Promise.resolve()
}

/** A runner whose runs are finished by hand, and what it did. */
function harness() {
  const runs: number[] = []
  const released: number[] = []
  const errors: number[] = []
  const finishers: ((ok: boolean) => void)[] = []
  let active = 0
  let overlapped = false
  const runner = new NewestRunner<number>({
    run: (item) => {
      runs.push(item)
      if (++active > 1) overlapped = true
      return new Promise<void>((resolve, reject) =>
        finishers.push((ok) => {
          active--
          if (ok) resolve()
          else reject(new Error(`run ${item} failed`))
        })
      )
    },
    release: (item) => released.push(item),
    onError: (_e, item) => errors.push(item)
  })
  const finish = async (ok = true): Promise<void> => {
    finishers.shift()!(ok)
    await settle()
  }
  return { runner, runs, released, errors, finish, overlapped: () => overlapped }
}

describe('NewestRunner', () => {
  it('runs an item at once when idle, keeps only the newest while busy, and runs it next', async () => {
    const h = harness()
    expect(h.runner.offer(1)).toBe('started')
    expect(h.runner.offer(2)).toBe('waiting')
    expect(h.runner.offer(3)).toBe('waiting')
    expect(h.runner.busy).toBe(true)
    expect(h.runner.peekWaiting()).toBe(3)
    expect(h.released).toEqual([2])
    expect(h.runner.replaced).toBe(1)
    await h.finish()
    expect(h.runs).toEqual([1, 3])
    expect(h.runner.peekWaiting()).toBeUndefined()
    await h.finish()
    expect(h.runner.busy).toBe(false)
  })

  it('goes on with the waiting item after a run throws or rejects, and reports the failure', async () => {
    const thrown: number[] = []
    const ran: number[] = []
    let fail: ((e: Error) => void) | undefined
    const runner = new NewestRunner<number>({
      run: (item) => {
        ran.push(item)
        if (item === 1) throw new Error('synchronous')
        return item === 2 ? new Promise((_resolve, reject) => (fail = reject)) : Promise.resolve()
      },
      onError: (_e, item) => thrown.push(item)
    })
    runner.offer(1)
    expect(runner.offer(2)).toBe('waiting')
    await settle()
    expect(ran).toEqual([1, 2])
    runner.offer(3)
    fail!(new Error('asynchronous'))
    await settle()
    expect(thrown).toEqual([1, 2])
    expect(ran).toEqual([1, 2, 3])
    expect(runner.busy).toBe(false)
    // Without a release function, close still empties the slot.
    runner.offer(4)
    runner.offer(5)
    runner.close()
    expect(runner.peekWaiting()).toBeUndefined()
    await settle()
    expect(ran).toEqual([1, 2, 3, 4])
  })

  it('after close, releases what waits and everything offered, and lets the running item finish', async () => {
    const h = harness()
    h.runner.offer(1)
    h.runner.offer(2)
    h.runner.close()
    expect(h.released).toEqual([2])
    expect(h.runner.offer(3)).toBe('closed')
    expect(h.released).toEqual([2, 3])
    await h.finish()
    expect(h.runs).toEqual([1])
    expect(h.runner.replaced).toBe(0)
  })

  it('hands the waiting item to whoever takes it, without counting or releasing it', async () => {
    const h = harness()
    h.runner.offer(1)
    h.runner.offer(2)
    expect(h.runner.takeWaiting()).toBe(2)
    expect(h.runner.takeWaiting()).toBeUndefined()
    await h.finish()
    expect(h.runs).toEqual([1])
    expect(h.released).toEqual([])
    expect(h.runner.replaced).toBe(0)
  })

  it('behaves like the model under any order of offers, finishes, failures and a close', async () => {
    const command = fc.oneof(
      { arbitrary: fc.constant('offer' as const), weight: 4 },
      { arbitrary: fc.constantFrom('finish' as const, 'fail' as const), weight: 2 },
      { arbitrary: fc.constant('close' as const), weight: 1 }
    )
    await fc.assert(
      fc.asyncProperty(fc.array(command, { maxLength: 40 }), async (commands) => {
        const h = harness()
        // The model: what runs, what waits, what is given back.
        const model = { running: null as number | null, waiting: null as number | null, closed: false, replaced: 0 }
        const runs: number[] = []
        const released: number[] = []
        const failed: number[] = []
        let next = 0
        for (const c of commands) {
          if (c === 'offer') {
            const id = next++
            let expected: Offered
            if (model.closed) {
              released.push(id)
              expected = 'closed'
            } else if (model.running !== null) {
              if (model.waiting !== null) {
                released.push(model.waiting)
                model.replaced++
              }
              model.waiting = id
              expected = 'waiting'
            } else {
              model.running = id
              runs.push(id)
              expected = 'started'
            }
            expect(h.runner.offer(id)).toBe(expected)
          } else if (c === 'close') {
            h.runner.close()
            model.closed = true
            if (model.waiting !== null) released.push(model.waiting)
            model.waiting = null
          } else if (model.running !== null) {
            if (c === 'fail') failed.push(model.running)
            await h.finish(c === 'finish')
            model.running = null
            if (!model.closed && model.waiting !== null) {
              model.running = model.waiting
              model.waiting = null
              runs.push(model.running)
            }
          }
          expect(h.runs).toEqual(runs)
          expect(h.released).toEqual(released)
          expect(h.errors).toEqual(failed)
          expect(h.runner.replaced).toBe(model.replaced)
          expect(h.runner.busy).toBe(model.running !== null)
          expect(h.runner.peekWaiting()).toBe(model.waiting ?? undefined)
          expect(h.overlapped()).toBe(false)
        }
        // Every item was run or given back exactly once, except the one running or waiting now.
        const accounted = [...runs, ...released, ...(model.waiting !== null ? [model.waiting] : [])].sort((a, b) => a - b)
        expect(accounted).toEqual(Array.from({ length: next }, (_, i) => i))
      }),
      { numRuns: NUM_RUNS }
    )
  })
})
