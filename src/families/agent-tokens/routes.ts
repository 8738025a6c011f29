import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { ACCESSOR_HEADER } from '../../core/accessors.js'
import { Forbidden } from '../../core/errors.js'
import { parseLimit } from '../../core/pagination.js'
import { ADMIN_ROLE, hasRoleOn } from '../../core/principal.js'
import { presentsAcceptedCredential, principalOf, requireAuthentication } from '../../plugins/auth/auth.js'
import { baseUrlOf } from '../../plugins/http/base-url.js'
import { emptyBodyIsObject } from '../../plugins/http/json-body.js'
import { sendEmpty } from './response-headers.js'
import {
  AuditQuerySchema, CreatedReplySchema, DeletedReplySchema, errorReplies, LabelBodySchema, ListQuerySchema, ListReplySchema,
  TenantParamsSchema, TokenParamsSchema, TokenReplySchema, UpdatedReplySchema, type AuditQuery
} from './schemas.js'
import { createAgentToken, deleteAgentToken, getAgentToken, listAgentTokenPage, relabelAgentToken, type TokenRef } from './tokens.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { audited, auditRow, reportAuditEvent, type AuditEvent } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'

const LIMITS = { defaultLimit: 100, min: 1, max: 1000 }
const TAGS = ['agent-tokens']
const security = [{ authToken: [] }]
const RATE_LIMIT_NOTE = 'Every reply carries X-Response-Id and the X-RateLimit-* headers: the per-client request limit (RATE_LIMIT_MAX per RATE_LIMIT_WINDOW), or Rackspace\'s 50000 per 24 hours when it is off; past the limit, 429 rateLimitReached with Retry-After.'

/** 401 without a valid X-Auth-Token (requireAuthentication); 403 unless it holds `admin` on the path's tenant. */
async function requireTenantAdmin (request: FastifyRequest): Promise<void> {
  const { tenantId } = request.params as { tenantId: string }
  if (!hasRoleOn(await principalOf(request), tenantId, ADMIN_ROLE)) throw new Forbidden('agent_tokens')
}
const tenantAdmin = [requireAuthentication, requireTenantAdmin]

/** `:` is a legal path character and appears in real tenant ids (`hybrid:000000`): keep it readable. */
function segment (value: string): string {
  return encodeURIComponent(value).replace(/%3A/gi, ':')
}

/**
 * Location's path is exactly /v1.0/{tenantId}/agent_tokens/{id} on this server's origin: RAXMON-PY
 * reads the ids from the path's segments after the first two (spec §10.6).
 */
function locationHeaders (request: FastifyRequest, tenantId: string, token: TokenRef): Record<string, string> {
  const origin = baseUrlOf(request).replace(/^(\w+:\/\/[^/]+).*$/, '$1')
  return { location: `${origin}/v1.0/${segment(tenantId)}/agent_tokens/${segment(token.id)}`, 'x-object-id': token.id, [ACCESSOR_HEADER]: token.accessor }
}

/** Audit log of a change: the accessor names the token; the token itself is never logged. */
function logChange (request: FastifyRequest<{ Querystring: AuditQuery }>, tenantId: string, token: TokenRef, message: string): void {
  const { _who: who, _why: why } = request.query
  request.log.info({ tenantId, accessor: token.accessor, who, why }, message)
}

/** The audit event of a change: the accessor names the token (its id holds the secret); `_who`/`_why` land here. */
function agentTokenEvent (request: FastifyRequest<{ Querystring: AuditQuery }>, kind: string, tenantId: string, token: TokenRef): AuditEvent {
  const { _who: who, _why: why } = request.query
  return { kind, accountId: tenantId, object: { type: 'agent-token', id: token.accessor }, details: { who: who?.slice(0, 255), why: why?.slice(0, 1000) } }
}

const agentTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  const secretBox = app.credentialTools.box

  const reads = new WeakMap<FastifyRequest, ReturnType<typeof getAgentToken>>()

  /** The token the path names, read once per request; the reply waits until the caller is allowed. */
  function tokenRead (request: FastifyRequest): ReturnType<typeof getAgentToken> {
    let read = reads.get(request)
    if (!read) {
      const { tenantId, tokenId } = request.params as { tenantId: string, tokenId: string }
      read = getAgentToken(db, tenantId, tokenId, { cache: app.readCache, now: app.clock() })
      // Awaited only once the caller may see it; a caller refused first never awaits it.
      read.catch(() => {})
      reads.set(request, read)
    }
    return read
  }

  /**
   * onRequest, before authentication: the token's read starts beside the caller's session
   * lookup, so both statements go out in the same turn, one round trip instead of two.
   */
  async function readTokenEarly (request: FastifyRequest): Promise<void> {
    const { tenantId, tokenId } = request.params as { tenantId?: unknown, tokenId?: unknown }
    if (typeof tenantId === 'string' && typeof tokenId === 'string' && presentsAcceptedCredential(request)) tokenRead(request)
  }

  app.post('/:tenantId/agent_tokens', {
    config: { secret: true },
    onRequest: tenantAdmin,
    preValidation: emptyBodyIsObject,
    schema: {
      tags: TAGS,
      operationId: 'createAgentToken',
      summary: 'Create an agent token (admin on the tenant)',
      description: `201 with no body; the token is in X-Object-ID and Location. ${RATE_LIMIT_NOTE}`,
      security,
      params: TenantParamsSchema,
      querystring: AuditQuerySchema,
      body: LabelBodySchema,
      response: { 201: CreatedReplySchema, ...errorReplies(400, 401, 403, 413, 500, 503) }
    }
  }, async (request, reply) => {
    const { tenantId } = request.params
    const context = auditContextOf(request)
    let recorded: NewAuditEvent | undefined
    const caller = await principalOf(request)
    const createdBy = caller.kind === 'user' ? caller.id : null
    const token = await createAgentToken(db, secretBox, { accountId: tenantId, label: request.body.label ?? null, createdBy },
      (made) => (recorded = auditRow(context, agentTokenEvent(request, 'agent-token.created', tenantId, made))))
    if (recorded) reportAuditEvent(context, recorded)
    logChange(request, tenantId, token, 'agent token created')
    return sendEmpty(reply, 201, locationHeaders(request, tenantId, token))
  })

  app.get('/:tenantId/agent_tokens', {
    config: { secret: true },
    onRequest: tenantAdmin,
    schema: {
      tags: TAGS,
      operationId: 'listAgentTokens',
      summary: 'List the tenant\'s agent tokens in id order, a page at a time',
      description: `Inclusive marker (metadata.next_marker names the first token of the next page); limit 1 to 1000, default 100. ${RATE_LIMIT_NOTE}`,
      security,
      params: TenantParamsSchema,
      querystring: ListQuerySchema,
      response: { 200: ListReplySchema, ...errorReplies(400, 401, 403, 500, 503) }
    }
  }, async (request) => {
    const { tenantId } = request.params
    const limit = parseLimit(request.query.limit, LIMITS)
    const marker = request.query.marker || undefined
    const page = await listAgentTokenPage(db, secretBox, tenantId, { marker, limit })
    const next = page.next?.id
    return {
      values: page.items,
      metadata: {
        count: page.items.length,
        limit,
        marker: marker ?? null,
        next_marker: next ?? null,
        next_href: next === undefined ? null : `${baseUrlOf(request)}/v1.0/${segment(tenantId)}/agent_tokens?limit=${limit}&marker=${encodeURIComponent(next)}`
      }
    }
  })

  app.get('/:tenantId/agent_tokens/:tokenId', {
    config: { secret: true },
    onRequest: [readTokenEarly, ...tenantAdmin],
    schema: {
      tags: TAGS,
      operationId: 'getAgentToken',
      summary: 'Get one agent token',
      description: RATE_LIMIT_NOTE,
      security,
      params: TokenParamsSchema,
      response: { 200: TokenReplySchema, ...errorReplies(401, 403, 404, 500, 503) }
    }
  }, async (request) => tokenRead(request))

  app.put('/:tenantId/agent_tokens/:tokenId', {
    config: { secret: true },
    onRequest: tenantAdmin,
    preValidation: emptyBodyIsObject,
    schema: {
      tags: TAGS,
      operationId: 'updateAgentToken',
      summary: 'Change an agent token\'s label',
      description: `204 with Location and X-Object-ID. A missing label leaves it unchanged; null clears it. ${RATE_LIMIT_NOTE}`,
      security,
      params: TokenParamsSchema,
      querystring: AuditQuerySchema,
      body: LabelBodySchema,
      response: { 204: UpdatedReplySchema, ...errorReplies(400, 401, 403, 404, 413, 500, 503) }
    }
  }, async (request, reply) => {
    const { tenantId, tokenId } = request.params
    const token = await audited(db, auditContextOf(request), (trx) => relabelAgentToken(trx, tenantId, tokenId, request.body.label), (changed) => agentTokenEvent(request, 'agent-token.changed', tenantId, changed))
    logChange(request, tenantId, token, 'agent token updated')
    return sendEmpty(reply, 204, locationHeaders(request, tenantId, token))
  })

  app.delete('/:tenantId/agent_tokens/:tokenId', {
    onRequest: tenantAdmin,
    schema: {
      tags: TAGS,
      operationId: 'deleteAgentToken',
      summary: 'Delete an agent token',
      description: RATE_LIMIT_NOTE,
      security,
      params: TokenParamsSchema,
      querystring: AuditQuerySchema,
      response: { 204: DeletedReplySchema, ...errorReplies(400, 401, 403, 404, 413, 500, 503) }
    }
  }, async (request, reply) => {
    const { tenantId, tokenId } = request.params
    const token = await audited(db, auditContextOf(request), (trx) => deleteAgentToken(trx, tenantId, tokenId), (deleted) => agentTokenEvent(request, 'agent-token.deleted', tenantId, deleted))
    logChange(request, tenantId, token, 'agent token deleted')
    return sendEmpty(reply, 204)
  })
}

export default agentTokenRoutes
