import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal } from '../../core/principal.js'
import { Forbidden, Unauthenticated } from '../../core/errors.js'
import type { Actor, Refusal } from '../../core/refusal.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { auditRow, reportAuditEvent, type AuditContext, type AuditEvent } from '../../services/audit.js'
import { AuditQueue, AUDIT_QUEUE_DEFAULTS, type AuditQueueOptions } from '../../services/audit-queue.js'
import { principalSoFar } from '../auth/auth.js'
import { auditedAddressOf } from '../http/client-address.js'
import { denialOf, recordDenial } from '../auth/denials.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Refusals and other events waiting to be written to the audit trail (see services/audit-queue.ts). */
    auditQueue: AuditQueue
  }
}

function actorOf (principal: Principal | null | undefined): Actor {
  return principal ? { kind: principal.kind, id: principal.id, name: principal.name } : { kind: 'anonymous', id: null, name: null }
}

/** The audit context of a change made by a request: its caller, request id and client address. */
export function auditContextOf (request: FastifyRequest): AuditContext {
  const principal = principalSoFar(request)
  return { actor: actorOf(principal), actorCredential: principal?.credential.accessor, requestId: request.id, clientIp: auditedAddressOf(request), log: request.log, observe: observerOf(request) }
}

/** What counts a request's recorded events in the metrics, under the family of its route. */
function observerOf (request: FastifyRequest): (row: NewAuditEvent) => void {
  return (row) => request.server.metrics.audited(request.routeOptions.config.family, row)
}

/**
 * Records an event that changes nothing stored (a login answered from what is there) off the
 * request path, as refusals are: in the next batch, logged now.
 */
export function recordObserved (request: FastifyRequest, actor: Actor, event: AuditEvent, actorCredential?: string | null): void {
  const row = auditRow({ actor, actorCredential, requestId: request.id, clientIp: auditedAddressOf(request) }, event)
  reportAuditEvent({ actor, requestId: request.id, clientIp: auditedAddressOf(request), log: request.log, observe: observerOf(request) }, row)
  request.server.auditQueue.push(row)
}

/** The details a refusal is recorded with: a name that named nobody only as its fingerprint. */
function detailsOf (request: FastifyRequest, denial: Refusal): Record<string, unknown> | undefined {
  if (denial.unknownLogin === undefined) return denial.details
  return { ...denial.details, loginFingerprint: request.server.credentialTools.fingerprints.of(denial.unknownLogin) }
}

function enqueueDenial (request: FastifyRequest, statusCode: number): void {
  const noted = denialOf(request)
  if (!noted && statusCode !== 401 && statusCode !== 403) return
  const denial = noted ?? { reason: statusCode === 401 ? 'unauthenticated' : 'missing-privilege' }
  const principal = principalSoFar(request)
  // A caller scoped to no account is refused in the trail of its own (home) account, whose admin can explain it.
  const callersAccount = principal ? principal.accountId ?? principal.homeAccountId ?? null : null
  recordObserved(request, denial.actor ?? actorOf(principal), {
    kind: statusCode === 403 ? 'authorization.denied' : 'authentication.denied',
    accountId: denial.accountId !== undefined ? denial.accountId : callersAccount,
    object: denial.object,
    reason: denial.reason,
    // The route's pattern, not its URL: a URL may carry a token.
    details: { ...detailsOf(request, denial), method: request.method, route: request.routeOptions.url ?? null, statusCode, ...(principal ? { credential: principal.credential.kind } : {}) }
  }, principal?.credential.accessor)
}

/** Writes refusals to the audit trail off the request path, in batches. */
export default fp(async function audit (app: FastifyInstance, options: { auditQueue?: Partial<AuditQueueOptions> }) {
  app.decorate('auditQueue', new AuditQueue(app.db, app.log, { ...AUDIT_QUEUE_DEFAULTS, ...options.auditQueue }))
  // A refusal thrown with its reason (the error's `refusal`) is the one the client gets.
  app.addHook('onError', async (request, _reply, error) => {
    if ((error instanceof Unauthenticated || error instanceof Forbidden) && error.refusal) recordDenial(request, error.refusal)
  })
  // Callback-style, as every hook run on every request: an async one costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) enqueueDenial(request, reply.statusCode)
    done()
  })
  app.addHook('onClose', () => app.auditQueue.flush())
}, { name: 'audit', dependencies: ['auth'] })
