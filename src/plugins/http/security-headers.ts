import helmet from '@fastify/helmet'
import type { FastifyInstance, onSendHookHandler } from 'fastify'

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

const UPGRADE_INSECURE_REQUESTS = /\s*upgrade-insecure-requests;?/g

/**
 * The explorer's policy is swagger-ui's own (staticCSP, which knows its inline script hashes);
 * helmet adds the rest. Over plain HTTP, the policy's `upgrade-insecure-requests` would send the
 * page's own scripts and styles to https on a host that serves none (any host but localhost,
 * which browsers never upgrade): the page would load blank. It stays when the request came over
 * https (directly, or as a trusted proxy's X-Forwarded-Proto says).
 */
export async function explorerSecurityHeaders (scope: FastifyInstance): Promise<void> {
  await scope.register(helmet, { contentSecurityPolicy: false })
  const keepUpgradeToHttps: onSendHookHandler = async (request, reply) => {
    const policy = reply.getHeader('content-security-policy')
    if (request.protocol === 'http' && typeof policy === 'string') {
      reply.header('content-security-policy', policy.replace(UPGRADE_INSECURE_REQUESTS, ''))
    }
  }
  // A route's own hooks run after its scope's: after swagger-ui's, which sets the policy in onSend.
  scope.addHook('onRoute', (route) => {
    route.onSend = [...[route.onSend ?? []].flat(), keepUpgradeToHttps]
  })
}
