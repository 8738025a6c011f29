import type { FastifyInstance } from 'fastify'
import type { TokenFamily } from '../family.js'
import { agentTokensKillSwitch } from './kill-switch.js'
import { MAX_BODY_BYTES, monitoringDialect } from './dialect.js'
import { monitoringHeaders } from './response-headers.js'
import { agentTokenCredentials, revokeAgentTokensOfUser } from './revocation.js'
import agentTokenRoutes from './routes.js'
import { agentTokenRetention } from './retention.js'
import { agentTokenMetrics } from './credential-metrics.js'
import { agentTokenTransfer } from './transfer.js'

async function routes (app: FastifyInstance) {
  // JSON only (spec §10.1): any other media type is 400, not a string body.
  app.removeContentTypeParser('text/plain')
  app.addHook('onRequest', (request, reply, done) => { reply.headers(monitoringHeaders(request)); done() })
  await app.register(agentTokenRoutes)
}

/**
 * Rackspace Cloud Monitoring v1.0 agent tokens under /v1.0/{tenantId} (spec §10). Every reply
 * here, unknown routes and errors included, carries X-Response-Id and the X-RateLimit-* headers.
 * Those are the per-client request limit's real figures (plugins/limits/request-rate.ts), or Monitoring's
 * own 50000 per 24 hours, Remaining = Limit, when that limit is off.
 * Callers authenticate with identity sessions; the family issues no credential of its own.
 */
const agentTokens: TokenFamily = {
  name: 'agent-tokens',
  maxBodyBytes: MAX_BODY_BYTES,
  mount: '/v1.0',
  routes,
  retention: agentTokenRetention,
  credentialMetrics: agentTokenMetrics,
  transfer: agentTokenTransfer,
  prefixes: ['/v1.0'],
  dialect: monitoringDialect,
  openApi: { tags: [{ name: 'agent-tokens', description: 'Rackspace Cloud Monitoring v1.0 agent tokens' }] },
  acceptsSessions: true,
  exposedHeaders: ['x-object-id'],
  credentialHeaders: ['x-auth-token', 'bearer'],
  // Token ids travel in paths and as list markers.
  secretPathSegments: [['agent_tokens']],
  secretQueryParameters: ['marker'],
  // GET of one token: relabelled or deleted, it is dropped (migration 0012 tells other replicas).
  cachedReads: { tables: ['agent_tokens', 'accounts'] },
  storedCredentials: [agentTokenCredentials],
  revokeUserCredentials: revokeAgentTokensOfUser,
  killSwitch: agentTokensKillSwitch
}

export default agentTokens
