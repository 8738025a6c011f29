import rateLimit from '@fastify/rate-limit'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { TooManyAttempts, type RateFigures } from '../../core/errors.js'
import { limitKeyOf } from '../http/client-address.js'
import { refuseByLimit } from './limit-refusal.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** false: the route's requests are neither counted nor refused by the request rate (the health probes). */
    requestRateLimited?: boolean
  }
}

const figuresOf = new WeakMap<FastifyRequest, RateFigures>()

/** This request's rate figures, for families that show them (Monitoring's X-RateLimit-*); none when unlimited. */
export function rateFiguresOf (request: FastifyRequest): RateFigures | undefined {
  return figuresOf.get(request)
}

/**
 * The general request rate per client (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW) through
 * @fastify/rate-limit: counted in this process's memory, or in Redis (shared by every replica)
 * when REDIS_URL is set; never in the database. Every reply says where the client stands
 * (X-RateLimit-Limit, -Remaining, -Reset); over the limit, 429 with Retry-After in the family's dialect.
 */
export default fp(async function requestRate (app: FastifyInstance, options: { redis: Redis | undefined }) {
  const { max, windowSeconds } = app.config.rateLimit
  if (max === 0) return
  await app.register(rateLimit, {
    global: false,
    max,
    timeWindow: windowSeconds * 1000,
    keyGenerator: limitKeyOf,
    // Redis unreachable: serve rather than refuse everyone.
    skipOnError: true,
    nameSpace: 'tessera:rate:',
    ...(options.redis ? { redis: options.redis } : {})
  })
  const limit = app.createRateLimit()
  app.addHook('onRequest', async (request, reply) => {
    if (request.routeOptions.config.requestRateLimited === false) return
    const result = await limit(request)
    if (result.isAllowed) return
    const figures = { limit: result.max, remaining: result.remaining, windowSeconds, resetSeconds: result.ttlInSeconds }
    figuresOf.set(request, figures)
    reply.headers({ 'x-ratelimit-limit': figures.limit, 'x-ratelimit-remaining': figures.remaining, 'x-ratelimit-reset': figures.resetSeconds })
    if (result.isExceeded) throw refuseByLimit(request, 'request-rate', new TooManyAttempts('requests', result.ttlInSeconds, figures))
  })
}, { name: 'request-rate' })
