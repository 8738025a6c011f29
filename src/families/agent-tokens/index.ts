import type { FastifyInstance } from 'fastify'
import { useErrorDialect } from '../../plugins/error-dialect.js'
import { MAX_BODY_BYTES, monitoringDialect } from './dialect.js'
import { JSON_CONTENT_TYPE, monitoringHeaders } from './response-headers.js'
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
  // Monitoring names its charset in upper case (spec §10.2); Fastify and the error renderer write `utf-8`.
  app.addHook('onSend', async (_request, reply, payload) => {
    const type = reply.getHeader('content-type')
    if (typeof type === 'string' && type.startsWith('application/json')) reply.header('content-type', JSON_CONTENT_TYPE)
    return payload
  })

  await app.register(agentTokenRoutes)
}
