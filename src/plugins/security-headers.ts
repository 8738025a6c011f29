import helmet from '@fastify/helmet'
import type { FastifyInstance } from 'fastify'

/**
 * Helmet's browser-hardening headers (HSTS, X-Frame-Options, Referrer-Policy, COOP/CORP…) for the
 * routes a browser may load: the admin API and the explorer. Registered inside their own scope:
 * the four wire APIs keep the exact headers their clients know.
 */

/** The admin API answers JSON only: a document policy that allows nothing, framing included. */
export async function apiSecurityHeaders (scope: FastifyInstance): Promise<void> {
  await scope.register(helmet, {
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } }
  })
}

/** The explorer's policy is swagger-ui's own (staticCSP, which knows its inline script hashes); helmet adds the rest. */
export async function explorerSecurityHeaders (scope: FastifyInstance): Promise<void> {
  await scope.register(helmet, { contentSecurityPolicy: false })
}
