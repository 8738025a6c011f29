import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { TooManyAttempts, Unauthenticated } from '../core/errors.js'
import { FailureLimits, type LoginSubject, type Refusal } from '../core/failure-limits.js'
import { databaseFailureStore } from '../db/repositories/auth-failures.js'
import { redisFailureStore } from '../db/redis-failure-store.js'
import { clientAddressOf } from './client-address.js'
import { refuseByLimit } from './limit-refusal.js'
import { purgePeriodically } from './periodic-purge.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Failed-credential limits per client address and per person (core/failure-limits.ts). */
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
 * What a login calls once it has read whom it names, before it checks any secret: throws the
 * refusal while the client, or that person from it, is blocked. `null` names nobody in particular
 * (a token re-scope): the client's limit alone applies.
 */
export type LoginGuard = (subject: LoginSubject | null) => Promise<void>

const UNLIMITED: LoginGuard = async () => {}

/**
 * Runs a login (POST /v2.0/tokens, /authn/…) under the failure limits. The login looks up whom it
 * names, then calls `guard` with that person (the same for every name, id and API they log in
 * by), which refuses it while blocked; a 401 counts one failure against the client and that
 * person. Only logins ask the store before trying: they cost an argon2 verification anyway.
 */
export async function limitLogin<T> (request: FastifyRequest, attempt: (guard: LoginGuard) => Promise<T>): Promise<T> {
  const { failureLimits: limits, clock } = request.server
  if (!limits.enabled) return attempt(UNLIMITED)
  const client = clientAddressOf(request)
  const known = limits.blockedClient(client, clock())
  if (known) throw refusal(request, known)
  let named: LoginSubject | null = null
  const guard: LoginGuard = async (subject) => {
    named = subject
    const blocked = await orLetThrough(request, () => limits.beforeLogin(client, subject, clock()))
    if (blocked) throw refusal(request, blocked)
  }
  try {
    return await attempt(guard)
  } catch (error) {
    if (!(error instanceof Unauthenticated)) throw error
    const reached = await orLetThrough(request, () => limits.failed(client, named, clock()))
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
  const reached = await orLetThrough(request, () => limits.failed(clientAddressOf(request), null, clock()))
  if (reached) throw refusal(request, reached)
}

/** Decorates app.failureLimits over Redis when given one, else the database; purges ended windows there. */
export default fp(async function failureLimits (app: FastifyInstance, options: { redis: Redis | undefined }) {
  const store = options.redis ? redisFailureStore(options.redis) : databaseFailureStore(app.db)
  const limits = new FailureLimits(store, app.config.authFailures, (text) => app.credentialTools.fingerprints.of(text))
  app.decorate('failureLimits', limits)
  if (!limits.enabled || store.purge === undefined) return

  purgePeriodically(app, 'ended failure windows', store.purge)
}, { name: 'failure-limits' })
