import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'
import { Type } from 'typebox'
import { Unavailable } from '../../core/errors.js'
import { pendingMigrations } from '../../db/migrate.js'
import { ErrorResponseSchema } from '../errors/default-dialect.js'

function withTimeout<T> (promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error('timed out')), ms) })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/**
 * Probes answer under pressure: a liveness probe that shed load would get a busy replica killed,
 * and a stall at start (the embedded database opening) is no overload to report as unready.
 * Nor does the request rate count them: a load balancer probes from one address, often.
 */
const PROBE = { shedUnderPressure: false, requestRateLimited: false }

/** /healthz: the process answers. /readyz: the database answers and every migration is applied. */
export default async function health (app: FastifyInstance) {
  // Once all migrations are seen applied they stay applied; later probes only ping the database.
  let migrated = false

  app.get('/healthz', {
    logLevel: 'warn',
    config: PROBE,
    schema: {
      tags: ['operations'],
      operationId: 'getHealth',
      summary: 'Liveness: the process is up',
      description: 'Answers whatever the database does, under load too, and is not counted by the request rate: a failing liveness probe gets the process restarted.',
      security: [],
      response: { 200: Type.Object({ status: Type.Literal('ok') }, { examples: [{ status: 'ok' }] }) }
    }
  }, async () => ({ status: 'ok' as const }))

  app.get('/readyz', {
    logLevel: 'warn',
    config: PROBE,
    schema: {
      tags: ['operations'],
      operationId: 'getReadiness',
      summary: 'Readiness: the database is reachable and migrated',
      description: '503 while the database does not answer within READINESS_TIMEOUT_MS or a migration is pending: a load balancer sends this replica no traffic until then.',
      security: [],
      response: {
        200: Type.Object({ status: Type.Literal('ready') }, { examples: [{ status: 'ready' }] }),
        503: ErrorResponseSchema
      }
    }
  }, async () => {
    try {
      await withTimeout(sql`select 1`.execute(app.db), app.config.readinessTimeoutMs)
      if (!migrated) {
        const pending = await withTimeout(pendingMigrations(app.db), app.config.readinessTimeoutMs)
        if (pending.length > 0) throw new Unavailable(`migrations not applied: ${pending.join(', ')}`)
        migrated = true
      }
    } catch (error) {
      if (error instanceof Unavailable) throw error
      throw new Unavailable('The database is not reachable.', { cause: error })
    }
    return { status: 'ready' as const }
  })
}
