import type { FastifyRequest } from 'fastify'

/**
 * This server's public base URL, without a trailing slash: PUBLIC_URL when set, else the
 * scheme, host and port the client used (honouring X-Forwarded-* only with TRUST_PROXY).
 */
export function baseUrlOf (request: FastifyRequest): string {
  return request.server.config.publicUrl ?? `${request.protocol}://${request.host}`
}
