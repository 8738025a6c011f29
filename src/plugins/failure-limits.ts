import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { TooManyAttempts, Unauthenticated } from '../core/errors.js'
import { FailureLimits, type Refusal } from '../core/failure-limits.js'
import { databaseFailureStore } from '../db/repositories/auth-failures.js'
import { redisFailureStore } from '../db/redis-failure-store.js'
import { clientAddressOf } from './client-address.js'
import { refuseByLimit } from './limit-refusal.js'
import { purgePeriodically } from './periodic-purge.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed-credential limits per client address and per user name (core/failure-limits.ts). */
    failureLimits: FailureLimits
  }
}

function refusal (request: FastifyRequest, { retryAfterSeconds, figures }: Refusal): TooManyAttempts {
  return refuseByLimit(request, 'failed-credentials', new TooManyAttempts('credentials', retryAfterSeconds, figures))
}

/** The store failing must not fail the request: without it the limits let requests through, and say so. */
async function orLetThrough<T> (request: FastifyRequest, operation: () => Promise<T>): Promise<T | undefined> {
  try {
    return await operation()
  } catch (error) {
    request.log.warn({ err: error }, 'failed-credential limits unavailable: request let through')
    return undefined
  }
}

/**
 * Runs a login (POST /v2.0/tokens, /authn/…) under the failure limits: refused before any check
 * while the client or `user` from it is blocked; a 401 counts one failure. Only logins ask the
 * store before trying: they cost an argon2 verification anyway.
 */
export async function limitLogin<T> (request: FastifyRequest, user: string | undefined, attempt: () => Promise<T>): Promise<T> {
  const { failureLimits: limits, clock } = request.server
  if (!limits.enabled) return attempt()
  const client = clientAddressOf(request)
  const blocked = await orLetThrough(request, () => limits.beforeLogin(client, user, clock()))
  if (blocked) throw refusal(request, blocked)
  try {
    return await attempt()
  } catch (error) {
    if (!(error instanceof Unauthenticated)) throw error
    const reached = await orLetThrough(request, () => limits.failed(client, user, clock()))
    throw reached ? refusal(request, reached) : error
  }
}

/**
 * A presented credential (X-Auth-Token, Bearer, Token) was refused: counts the failure against
 * the client, and throws the refusal once the client is over its limit. Valid credentials never
 * come here, so validation gains no round trip; a blocked client with a valid token is served.
 */
export async function credentialFailed (request: FastifyRequest): Promise<void> {
  const { failureLimits: limits, clock } = request.server
  if (!limits.enabled) return
  const reached = await orLetThrough(request, () => limits.failed(clientAddressOf(request), undefined, clock()))
  if (reached) throw refusal(request, reached)
}

/** Decorates app.failureLimits over Redis when given one, else the database; purges ended windows there. */
export default fp(async function failureLimits (app: FastifyInstance, options: { redis: Redis | undefined }) {
  const store = options.redis ? redisFailureStore(options.redis) : databaseFailureStore(app.db)
  const limits = new FailureLimits(store, app.config.authFailures)
  app.decorate('failureLimits', limits)
  if (!limits.enabled || store.purge === undefined) return

  purgePeriodically(app, 'ended failure windows', store.purge)
}, { name: 'failure-limits' })
