import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { purgeRetained } from '../../services/retention.js'
import { RETENTION_CONTEXT } from '../../services/audit.js'
import { runPeriodically } from './periodic-purge.js'

/** Batches of use counts each run checks for credentials that are gone: the walk resumes at the next run. */
const USAGE_SWEEP_BATCHES_PER_RUN = 10

/**
 * Purges what retention ends (services/retention) every SESSION_PURGE_INTERVAL, on every
 * replica, as the server (`tessera-retention`): ended credentials after
 * ENDED_CREDENTIAL_RETENTION_DAYS (0: at the next run, as expired sessions always were), audit
 * events after AUDIT_RETENTION_DAYS (0: never).
 */
export default fp(async function retention (app: FastifyInstance) {
  const context = { ...RETENTION_CONTEXT, log: app.log }
  let usageSweepAfter = ''
  runPeriodically(app, 'retention', async (stopping) => {
    const run = await purgeRetained(app.db, app.families, context, app.config.retention, {
      now: app.clock(),
      stopping,
      usageSweep: { after: usageSweepAfter, batches: USAGE_SWEEP_BATCHES_PER_RUN }
    })
    usageSweepAfter = run.usageSweepAfter
  })
}, { name: 'retention' })
