import type { FastifyRequest } from 'fastify'
import type { Refusal } from '../../core/refusal.js'

/** Why a request was refused, as precisely as the code refusing it knows. */
export type Denial = Refusal

const denials = new WeakMap<FastifyRequest, Denial>()

/**
 * Records why `request` is refused: written to the audit trail under the request id the client
 * sees (X-Request-Id) once the reply is sent, if it is an error; the reply itself is unchanged.
 * A later call for the same request replaces an earlier one (the last refusal is the one sent).
 * Any 401 or 403 is recorded even without a call, as `unauthenticated` or `missing-privilege`.
 */
export function recordDenial (request: FastifyRequest, denial: Denial): void {
  denials.set(request, denial)
}

/** The refusal recorded for `request` so far, if any. */
export function denialOf (request: FastifyRequest): Denial | undefined {
  return denials.get(request)
}
