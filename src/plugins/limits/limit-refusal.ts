import type { FastifyRequest } from 'fastify'
import type { TooManyAttempts, Unavailable } from '../../core/errors.js'
import type { LimitName } from '../../services/metrics.js'
import { recordDenial } from '../auth/denials.js'

export type { LimitName }

/**
 * Every refusal a limit makes passes through here, so there is one place to log it, count it
 * (tessera_limit_refusals_total) and record it in the audit trail: returns the error to throw, which the family's dialect renders.
 */
export function refuseByLimit<E extends TooManyAttempts | Unavailable> (request: FastifyRequest, limit: LimitName, error: E): E {
  request.server.metrics.limitRefused(limit)
  request.log.info({ limit, retryAfter: error.retryAfterSeconds, reason: 'rate-limited' }, 'request refused by a limit')
  // Shedding load is no one's denial: recording each would add writes while the server is saturated.
  if (limit !== 'under-pressure') recordDenial(request, { reason: 'rate-limited', details: { limit } })
  return error
}
