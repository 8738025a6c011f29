import type { FastifyInstance } from 'fastify'

/** Rows a purge statement deletes at most: no statement holds locks for long. */
export const PURGE_BATCH_SIZE = 1000

/**
 * Runs `purgeBatch` every SESSION_PURGE_INTERVAL once the app is ready, batch after batch while
 * a batch comes back full (more may wait), never two runs at once; a run in progress ends with
 * its batch when the app closes. Every replica runs it: the statements' SKIP LOCKED keeps them
 * apart. A failure is logged and retried at the next interval.
 */
export function purgePeriodically (app: FastifyInstance, what: string, purgeBatch: (now: Date, batchSize: number) => Promise<number>): void {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closing = false

  async function purge (): Promise<void> {
    let total = 0
    try {
      // `closing` is set by onClose between batches (lint cannot see that).
      for (let more = true; more;) {
        if (closing) break
        const deleted = await purgeBatch(app.clock(), PURGE_BATCH_SIZE)
        total += deleted
        more = deleted === PURGE_BATCH_SIZE
      }
      if (total > 0) app.log.info({ purged: total }, `${what} purged`)
    } catch (error) {
      app.log.warn({ err: error }, `purge of ${what} failed; will retry`)
    }
  }

  app.addHook('onReady', async () => {
    timer = setInterval(() => { running ??= purge().finally(() => { running = undefined }) }, app.config.sessionPurgeIntervalSeconds * 1000)
    timer.unref()
  })
  app.addHook('onClose', async () => {
    closing = true
    clearInterval(timer)
    await running
  })
}
