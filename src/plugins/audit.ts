import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import type { Principal } from '../core/principal.js'
import { Forbidden, Unauthenticated } from '../core/errors.js'
import type { Actor } from '../core/refusal.js'
import { auditRow, logAuditEvent, type AuditContext } from '../services/audit.js'
import { DenialQueue, DENIAL_QUEUE_DEFAULTS, type DenialQueueOptions } from '../services/denial-queue.js'
import { principalSoFar } from './auth.js'
import { denialOf, recordDenial } from './denials.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Refusals waiting to be written to the audit trail (see services/denial-queue.ts). */
    denials: DenialQueue
  }
}

function actorOf (principal: Principal | null | undefined): Actor {
  return principal ? { kind: principal.kind, id: principal.id, name: principal.name } : { kind: 'anonymous', id: null, name: null }
}

/** The audit context of a change made by a request: its caller, request id and client address. */
export function auditContextOf (request: FastifyRequest): AuditContext {
  return { actor: actorOf(principalSoFar(request)), requestId: request.id, clientIp: request.ip, log: request.log }
}

function enqueueDenial (request: FastifyRequest, statusCode: number): void {
  const noted = denialOf(request)
  if (!noted && statusCode !== 401 && statusCode !== 403) return
  const denial = noted ?? { reason: statusCode === 401 ? 'unauthenticated' : 'missing-privilege' }
  const principal = principalSoFar(request)
  const context: AuditContext = { actor: denial.actor ?? actorOf(principal), requestId: request.id, clientIp: request.ip }
  const row = auditRow(context, {
    kind: statusCode === 403 ? 'authorization.denied' : 'authentication.denied',
    accountId: denial.accountId !== undefined ? denial.accountId : principal?.accountId ?? null,
    object: denial.object,
    reason: denial.reason,
    // The route's pattern, not its URL: a URL may carry a token.
    details: { ...denial.details, method: request.method, route: request.routeOptions.url ?? null, statusCode, credential: principal?.credential.kind }
  })
  logAuditEvent(request.log, row)
  request.server.denials.push(row)
}

/** Writes refusals to the audit trail off the request path, in batches. */
export default fp(async function audit (app: FastifyInstance, options: { denialQueue?: Partial<DenialQueueOptions> }) {
  app.decorate('denials', new DenialQueue(app.db, app.log, { ...DENIAL_QUEUE_DEFAULTS, ...options.denialQueue }))
  // A refusal thrown with its reason (the error's `refusal`) is the one the client gets.
  app.addHook('onError', async (request, _reply, error) => {
    if ((error instanceof Unauthenticated || error instanceof Forbidden) && error.refusal) recordDenial(request, error.refusal)
  })
  // Callback-style, as every hook run on every request: an async one costs a promise per request.
  app.addHook('onResponse', (request, reply, done) => {
    if (reply.statusCode >= 400 && reply.statusCode < 500) enqueueDenial(request, reply.statusCode)
    done()
  })
  app.addHook('onClose', () => app.denials.flush())
}, { name: 'audit', dependencies: ['auth'] })
