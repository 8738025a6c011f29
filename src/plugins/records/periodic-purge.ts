import type { FastifyInstance } from 'fastify'
import { PURGE_BATCH_SIZE, purgeInBatches, type Stopping } from '../../db/batched-purge.js'

/**
 * Runs `run` every SESSION_PURGE_INTERVAL once the app is ready, never two runs at once; when
 * the app closes, a run in progress is told to stop (it ends with its batch) and awaited. Every
 * replica runs it: the purge statements' SKIP LOCKED keeps them apart. A failure is logged and
 * retried at the next interval.
 */
export function runPeriodically (app: FastifyInstance, what: string, run: (stopping: Stopping) => Promise<void>): void {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closing = false
  const stopping = () => closing

  async function runOnce (): Promise<void> {
    try {
      await run(stopping)
    } catch (error) {
      app.log.warn({ err: error }, `purge of ${what} failed; will retry`)
    }
  }

  app.addHook('onReady', async () => {
    timer = setInterval(() => { running ??= runOnce().finally(() => { running = undefined }) }, app.config.sessionPurgeIntervalSeconds * 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    closing = true
    clearInterval(timer)
    await running
  })
}

/** Deletes with `purgeBatch` every SESSION_PURGE_INTERVAL, batch after batch (see runPeriodically). */
export function purgePeriodically (app: FastifyInstance, what: string, purgeBatch: (now: Date, batchSize: number) => Promise<number>): void {
  runPeriodically(app, what, async (stopping) => {
    const total = await purgeInBatches((batchSize) => purgeBatch(app.clock(), batchSize), PURGE_BATCH_SIZE, stopping)
    if (total > 0) app.log.info({ purged: total }, `${what} purged`)
  })
}
