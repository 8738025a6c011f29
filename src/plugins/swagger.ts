import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'

/** Registered before every family, so each route's schema lands in the document. */
export default fp(async function openApi (app: FastifyInstance) {
  // @fastify/swagger leaves out every HEAD route. Fastify's automatic HEAD twin of a GET shares
  // the GET's operationId and should stay out; a HEAD route written on purpose (Keystone's token
  // check) has its own and belongs in the document. This hook runs before swagger's own.
  const getOperations = new Set<string>()
  app.addHook('onRoute', (route) => {
    const operationId = (route.schema as { operationId?: string } | undefined)?.operationId
    if (operationId === undefined) return
    if (route.method === 'GET') getOperations.add(operationId)
    else if (route.method === 'HEAD' && !getOperations.has(operationId)) {
      route.config = { ...route.config, swagger: { ...route.config?.swagger, exposeHeadRoute: true } }
    }
  })

  await app.register(swagger, {
    // swagger suffixes the operationId of an exposed HEAD route with `-head`; ours are already unique.
    transform: ({ schema, url, route }) => ({
      schema: route.method === 'HEAD' && schema?.operationId ? { ...schema, operationId: schema.operationId.replace(/-head$/, '') } : schema,
      url
    }),
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
