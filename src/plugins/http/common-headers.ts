import type { FastifyReply, FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's replies carry a secret (a token, an API key): no cache may keep them. */
    secret?: boolean
  }
}

/** Browsers must not read a reply as anything but its declared type (our JSON as HTML, say). */
export const NOSNIFF = { 'x-content-type-options': 'nosniff' } as const

/**
 * The headers of every reply, set before anything can fail so error replies carry them too:
 * the request id, nosniff, and `Cache-Control: no-store` on routes configured `secret: true`.
 */
export function setCommonHeaders (request: FastifyRequest, reply: FastifyReply, secret = request.routeOptions.config.secret === true): void {
  reply.header('x-request-id', request.id).headers(NOSNIFF)
  if (secret) reply.header('cache-control', 'no-store')
}
