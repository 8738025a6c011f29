import cors from '@fastify/cors'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { TokenFamily } from '../../families/family.js'

/** The reply headers a browser script may read of every API: ids and links; the families add theirs. */
const EXPOSED_HEADERS = ['etag', 'link', 'location', 'tessera-credential-accessor', 'x-request-id']

/**
 * CORS, only when CORS_ORIGINS names origins: without it no reply carries an
 * Access-Control-* header and preflights are unknown routes, so browsers refuse cross-origin calls.
 */
export default fp(async function corsPolicy (app: FastifyInstance, options: { origins: readonly string[], families: readonly TokenFamily[] }) {
  if (options.origins.length === 0) return
  await app.register(cors, {
    origin: options.origins.includes('*') ? '*' : [...options.origins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: [...new Set([...EXPOSED_HEADERS, ...options.families.flatMap((family) => family.exposedHeaders ?? [])])].sort(),
    maxAge: 600
  })
  if (options.origins.includes('*')) return
  // A reply depends on the Origin it was asked from; families set Vary for their own reasons
  // (a reply that depends on X-Auth-Token) and would drop the Origin @fastify/cors put there.
  app.addHook('onSend', async (_request, reply) => {
    const vary = String(reply.getHeader('vary') ?? '')
    if (!/(^|,)\s*origin\s*(,|$)/i.test(vary)) reply.header('vary', vary === '' ? 'Origin' : `${vary}, Origin`)
  })
}, { name: 'cors-policy' })
