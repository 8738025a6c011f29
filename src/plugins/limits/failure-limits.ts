import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Redis } from 'ioredis'
import { TooManyAttempts, Unauthenticated } from '../../core/errors.js'
import { FailureLimits, type LoginAttempt, type LoginSubject, type Refusal } from '../../core/failure-limits.js'
import { databaseFailureStore } from '../../db/repositories/auth-failures.js'
import { redisFailureStore } from '../../db/redis-failure-store.js'
import { limitKeyOf } from '../http/client-address.js'
import { refuseByLimit } from './limit-refusal.js'
import { purgePeriodically } from '../records/periodic-purge.js'

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
 * What a login calls once it has read whom it names, before it checks any secret: counts the
 * attempt, and throws the refusal while the client, the name or the person it resolves to is
 * blocked from there. `null` names nobody in particular (a token re-scope): the client's limit alone applies.
 */
export type LoginGuard = (subject: LoginSubject | null) => Promise<void>

const UNLIMITED: LoginGuard = async () => {}

/**
 * Runs a login (POST /v2.0/tokens, /authn/…) under the failure limits. The login looks up whom it
 * names, then calls `guard`, which counts the attempt before the secret is checked (so guesses
 * sent in parallel are counted as they arrive) and refuses it over a limit. A 401 keeps the
 * count; a success, or a refusal for anything but the credentials, gives it back. A login that
 * fails before it names anyone counts against the client alone.
 */
export async function limitLogin<T> (request: FastifyRequest, attempt: (guard: LoginGuard) => Promise<T>): Promise<T> {
  const { failureLimits: limits, clock } = request.server
  if (!limits.enabled) return attempt(UNLIMITED)
  const client = limitKeyOf(request)
  const known = limits.blockedClient(client, clock())
  if (known) throw refusal(request, known)
  let counted: LoginAttempt | undefined
  const guard: LoginGuard = async (subject) => {
    const begun = await orLetThrough(request, () => limits.beginLogin(client, subject, clock()))
    if (begun === undefined) return
    if ('refusal' in begun) throw refusal(request, begun.refusal)
    counted = begun.attempt
  }
  const giveBack = async () => {
    if (counted) await orLetThrough(request, () => limits.loginSucceeded(counted!, clock()))
  }
  let result: T
  try {
    result = await attempt(guard)
  } catch (error) {
    if (!(error instanceof Unauthenticated)) {
      await giveBack()
      throw error
    }
    const reached = counted ? limits.loginFailed(counted, clock()) : await orLetThrough(request, () => limits.failed(client, clock()))
    throw reached ? refusal(request, reached) : error
  }
  await giveBack()
  return result
}

/**
 * A presented credential (X-Auth-Token, Bearer, Token) was refused: counts the failure against
 * the client, and throws the refusal once the client is over its limit. Valid credentials never
 * come here, so validation gains no round trip; a blocked client with a valid token is served.
 */
export async function credentialFailed (request: FastifyRequest): Promise<void> {
  const { failureLimits: limits, clock } = request.server
  if (!limits.enabled) return
  const reached = await orLetThrough(request, () => limits.failed(limitKeyOf(request), clock()))
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
