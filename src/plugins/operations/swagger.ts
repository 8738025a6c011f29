import type { FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import fp from 'fastify-plugin'
import type { TokenFamily } from '../../families/family.js'
import { explorerSecurityHeaders } from '../http/security-headers.js'

/**
 * The explorer's page policy: everything from this server. swagger-ui's own (staticCSP: true)
 * blocks the one inline style its standalone layout renders, the <style> inside the top bar's
 * logo SVG, so the page logs a violation; its hash is allowed here. A swagger-ui upgrade that
 * changes the logo changes the hash: the browser test (test/explorer) fails on the violation.
 */
const EXPLORER_CSP = [
  "default-src 'self'",
  "base-uri 'self'",
  "font-src 'self' data:",
  "frame-ancestors 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  "style-src 'self' 'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='",
  // Kept over https only: security-headers.ts drops it from plain-HTTP replies.
  'upgrade-insecure-requests'
].join('; ') + ';'

/** Registered before every family, so each route's schema lands in the document. */
export default fp(async function openApi (app: FastifyInstance, options: { families: readonly TokenFamily[] }) {
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
        description: 'Wire-compatible token service: each API family (a tag below) answers as the original API does, errors included.',
        license: { name: 'Apache-2.0', identifier: 'Apache-2.0' }
      },
      // Relative: the explorer and clients call the server that served the document.
      servers: [{ url: '/', description: 'This server' }],
      tags: [
        ...options.families.flatMap((family) => family.openApi.tags),
        { name: 'operations', description: 'Health and readiness probes' }
      ],
      components: {
        securitySchemes: Object.assign({}, ...options.families.map((family) => family.openApi.securitySchemes ?? {}))
      }
    }
  })
  // The explorer in a scope of its own, so its security headers reach no API route.
  await app.register(async (explorer) => {
    await explorerSecurityHeaders(explorer)
    await explorer.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true, tryItOutEnabled: true }, staticCSP: EXPLORER_CSP })
    explorer.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  })
}, { name: 'openapi' })
