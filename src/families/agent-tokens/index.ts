import type { FastifyInstance } from 'fastify'
import { useErrorDialect } from '../../plugins/error-dialect.js'
import { MAX_BODY_BYTES, monitoringDialect } from './dialect.js'
import { monitoringHeaders } from './response-headers.js'
import agentTokenRoutes from './routes.js'

/**
 * Rackspace Cloud Monitoring v1.0 agent tokens under /v1.0/{tenantId} (spec §10). Every reply
 * here, unknown routes and errors included, carries X-Response-Id and the X-RateLimit-* headers.
 * Those are informational until Tessera limits requests: X-RateLimit-Remaining = X-RateLimit-Limit.
 */
export default async function agentTokens (app: FastifyInstance) {
  useErrorDialect(app, monitoringDialect)
  app.addHook('onRoute', (route) => { route.bodyLimit ??= MAX_BODY_BYTES })
  // JSON only (spec §10.1): any other media type is 400, not a string body.
  app.removeContentTypeParser('text/plain')
  app.addHook('onRequest', async (request, reply) => { reply.headers(monitoringHeaders(request)) })

  await app.register(agentTokenRoutes)
}
