import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

/** Registered before every family, so each route's schema lands in the document. */
export default fp(async function openApi (app: FastifyInstance) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Tessera',
        version: '0.1.0',
        description: 'Wire-compatible token service: OpenStack Identity v2.0 / Rackspace Cloud Identity sessions, ' +
          'Rackspace Cloud Monitoring agent tokens, and Tessera\'s own admin API. Each family answers errors in its original API\'s shape.'
      },
      tags: [
        { name: 'identity', description: 'OpenStack Identity v2.0 tokens (Keystone profile, with Rackspace API-key credentials)' },
        { name: 'agent-tokens', description: 'Rackspace Cloud Monitoring v1.0 agent tokens' },
        { name: 'admin', description: 'Tessera administration: accounts, users, roles and API keys' },
        { name: 'operations', description: 'Health and readiness probes' }
      ],
      components: {
        securitySchemes: {
          authToken: { type: 'apiKey', in: 'header', name: 'X-Auth-Token', description: 'A token from POST /v2.0/tokens' },
          bearer: { type: 'http', scheme: 'bearer', description: 'The same token as a bearer credential' }
        }
      }
    }
  })
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, tryItOutEnabled: true }, staticCSP: true })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
}, { name: 'openapi' })
