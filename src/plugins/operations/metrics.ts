import { createHash, timingSafeEqual } from 'node:crypto'
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { AppCaches, CredentialChanges } from '../../db/credential-changes.js'
import { originOf, type Database } from '../../db/database.js'
import { Metrics } from '../../services/metrics.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** This app's Prometheus series (services/metrics.ts), served at GET /metrics. */
    metrics: Metrics
  }
}

export interface MetricsPluginOptions {
  /** The database handle buildApp was given (its pool, when PostgreSQL). */
  db: Database
  caches: AppCaches
  changes: CredentialChanges
}

/**
 * Probes' treatment: Prometheus scrapes from one address, often, and a scrape that shed load would
 * hide the overload it should show. Hidden from the OpenAPI document: it is text, for Prometheus.
 */
const SCRAPE = { shedUnderPressure: false, requestRateLimited: false }

/** The series key of a request refused before any route (as Fastify's types allow a missing config). */
const UNROUTED = {}

function digest (text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Answers a scrape: the series as text, or 401 without the bearer token METRICS_TOKEN names (when set). */
function scrapeHandler (metrics: Metrics, token: string | undefined) {
  const expected = token === undefined ? undefined : digest(`Bearer ${token}`)
  return async (request: FastifyRequest, reply: FastifyReply) => {
    // Digests of equal length: the comparison takes the same time whatever was sent.
    if (expected && !timingSafeEqual(digest(String(request.headers.authorization ?? '')), expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({ statusCode: 401, code: 'TESSERA_UNAUTHENTICATED', message: 'The metrics need the bearer token METRICS_TOKEN.' })
    }
    const { contentType, text } = await metrics.render()
    return reply.type(contentType).send(text)
  }
}

/**
 * Counts every reply by family, route pattern, method and status (never its URL, which may carry
 * a token), and serves GET /metrics on the app's port unless METRICS_PORT gives it its own.
 */
export default fp(async function metricsPlugin (app: FastifyInstance, options: MetricsPluginOptions) {
  const origin = originOf(options.db)
  const pool = origin?.kind === 'postgres' ? origin.pool : undefined
  const metrics = new Metrics({
    caches: { credentials: options.caches.credentials, reads: options.caches.reads },
    listenerConnected: origin?.kind === 'postgres' ? () => options.changes.connected() === true : undefined,
    listenerRoundTrip: origin?.kind === 'postgres' ? () => { const ms = options.changes.heartbeatMs(); return ms === undefined ? undefined : ms / 1000 } : undefined,
    pool: pool && (() => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount })),
    replicaReads: origin?.kind === 'postgres' && origin.replicas ? () => origin.replicas!.stats : undefined,
    auditQueue: () => ({ depth: app.auditQueue.depth, dropped: app.auditQueue.droppedTotal }),
    usagePending: () => app.credentialUsage.pendingCount
  }, app.families)
  app.decorate('metrics', metrics)

  // Callback-style, as every hook run on every request: an async one costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    const { config, url } = request.routeOptions
    metrics.requestDone(config ?? UNROUTED, config?.family, url, request.method, reply.statusCode, reply.elapsedTime / 1000)
    done()
  })

  if (app.config.metrics.port !== undefined) return
  app.get('/metrics', { logLevel: 'warn', config: SCRAPE, schema: { hide: true } }, scrapeHandler(metrics, app.config.metrics.token))
}, { name: 'metrics' })

/**
 * METRICS_PORT: a listener of its own serving only GET /metrics (the app's port then has none),
 * for a scrape network apart from the clients'. The caller closes it (server.ts, before the app).
 */
export async function listenForMetrics (app: FastifyInstance, host: string, port: number): Promise<FastifyInstance> {
  const server = Fastify({ logger: false })
  server.get('/metrics', scrapeHandler(app.metrics, app.config.metrics.token))
  await server.listen({ host, port })
  return server
}
