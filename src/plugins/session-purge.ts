import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { purgeExpiredSessions } from '../db/repositories/auth-sessions.js'
import { purgePeriodically } from './periodic-purge.js'

/** Deletes expired sessions every SESSION_PURGE_INTERVAL, in batches (see purgePeriodically). */
export default fp(async function sessionPurge (app: FastifyInstance) {
  purgePeriodically(app, 'expired sessions', (now, batchSize) => purgeExpiredSessions(app.db, now, batchSize))
}, { name: 'session-purge' })
