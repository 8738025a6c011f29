import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { purgeExpiredSessions } from '../db/repositories/auth-sessions.js'

const BATCH_SIZE = 1000

/**
 * Deletes expired sessions every SESSION_PURGE_INTERVAL, in batches of 1000 rows, so no
 * statement holds locks for long. Every replica runs it; SKIP LOCKED keeps them apart.
 */
export default fp(async function sessionPurge (app: FastifyInstance) {
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let closing = false

  async function purge (): Promise<void> {
    let total = 0
    try {
      // A full batch means more may wait. `closing` is set by onClose between batches (lint cannot see that).
      for (let more = true; more;) {
        if (closing) break
        const deleted = await purgeExpiredSessions(app.db, app.clock(), BATCH_SIZE)
        total += deleted
        more = deleted === BATCH_SIZE
      }
      if (total > 0) app.log.info({ purged: total }, 'expired sessions purged')
    } catch (error) {
      app.log.warn({ err: error }, 'expired-session purge failed; will retry')
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
}, { name: 'session-purge' })
