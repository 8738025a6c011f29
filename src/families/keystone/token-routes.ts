import { audited, type AuditEvent } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type, type Static } from 'typebox'
import { Unauthenticated } from '../../core/errors.js'
import { presentsAcceptedCredential, principalOf, principalSoFar, requireAuthentication } from '../../plugins/auth/auth.js'
import { baseUrlOf } from '../../plugins/http/base-url.js'
import { limitLogin } from '../../plugins/limits/failure-limits.js'
import { errorResponses } from '../../plugins/errors/error-responses.js'
import { findSession, revokeSession, SESSION_TOKEN_FORMAT, type Session } from '../../services/sessions.js'
import { accessDocument, catalogFor, renderAccess } from './access.js'
import { authenticate } from './authenticate.js'
import { resourceNotFound } from './dialect.js'
import { ADMIN_ONLY, findSessionAs, SERVICE_OR_ADMIN, type TokenPolicy } from './policy.js'
import {
  AccessSchema, AuthRequestSchema, EndpointListSchema, KeystoneErrorSchema, TokenParamsSchema, ValidateQuerySchema
} from './schemas.js'

// Keystone Pike's policies (spec §0.8). Only revocation lets a token act on itself.
const VALIDATE: TokenPolicy = { action: 'identity:validate_token', roles: SERVICE_OR_ADMIN, allowSelf: false }
const CHECK: TokenPolicy = { action: 'identity:validate_token_head', roles: SERVICE_OR_ADMIN, allowSelf: false }
const LIST_ENDPOINTS: TokenPolicy = { action: 'admin_required', roles: ADMIN_ONLY, allowSelf: false }
const REVOKE: TokenPolicy = { action: 'admin_required', roles: ADMIN_ONLY, allowSelf: true }

/** Keystone's JSON, as Fastify types it. */
const JSON_TYPE = 'application/json; charset=utf-8'
/** Fastify types a schema to compile as a plain object. */
const ACCESS_SCHEMA = AccessSchema as unknown as Record<string, unknown>
const errors = (...statuses: number[]) => errorResponses(KeystoneErrorSchema, ...statuses)
const security = [{ authToken: [] }]

/**
 * `DELETE /v2.0/tokens/` names an empty token id: an unknown route, as in Keystone. The router's
 * ignoreTrailingSlash would otherwise make it `DELETE /v2.0/tokens`, revoking the caller's token.
 */
async function refuseEmptyTokenId (request: FastifyRequest): Promise<void> {
  if (request.url.split('?')[0]!.endsWith('/')) throw resourceNotFound(request)
}

type TokenRequest = FastifyRequest & { params: Static<typeof TokenParamsSchema> }
type ValidateRequest = TokenRequest & { query: Static<typeof ValidateQuerySchema> }

function sessionRevoked (auditId: string, accountId: string | null, userId: string): AuditEvent {
  return { kind: 'session.revoked', accountId, object: { type: 'session', id: auditId }, details: { userId } }
}

const tokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app

  const countUse = (accessor: string) => app.credentialUsage.record(accessor, Date.now())

  const targets = new WeakMap<FastifyRequest, Promise<Session | undefined>>()

  /** The session the path's token id names, looked up once per request. */
  function targetOf (request: TokenRequest): Promise<Session | undefined> {
    let target = targets.get(request)
    if (!target) {
      target = findSession(db, request.params.tokenId, app.clock(), app.credentialCache)
      // Read only once the caller is allowed to; a caller refused first never awaits it.
      target.catch(() => {})
      targets.set(request, target)
    }
    return target
  }

  /**
   * onRequest of validation, before the caller is authenticated: the target's lookup starts
   * beside the caller's, so both go in one statement (db/batched-lookups.ts), one round trip.
   */
  async function lookUpTargetEarly (request: FastifyRequest): Promise<void> {
    const { tokenId } = request.params as { tokenId?: unknown }
    if (typeof tokenId === 'string' && SESSION_TOKEN_FORMAT.test(tokenId) && presentsAcceptedCredential(request)) targetOf(request as TokenRequest)
  }

  function sessionFor (request: TokenRequest, policy: TokenPolicy): Promise<Session> {
    return principalOf(request).then((caller) => findSessionAs(caller, () => targetOf(request), policy, config.admin.account))
  }

  /**
   * Validation of GET and HEAD: the access document as the GET's schema serialises it, or 401
   * when belongsTo names another tenant. Sent as text, which Fastify does not serialise again.
   */
  async function validate (request: ValidateRequest, reply: FastifyReply, policy: TokenPolicy): Promise<string> {
    const session = await sessionFor(request, policy)
    const { belongsTo } = request.query
    if (belongsTo !== undefined && session.account?.id !== belongsTo) throw new Unauthenticated()
    // A service checking a token it was sent: a use of that token (once, when it checks its own).
    if (principalSoFar(request)?.credential.accessor !== session.auditId) countUse(session.auditId)
    const baseUrl = baseUrlOf(request)
    reply.type(JSON_TYPE)
    // The GET's serialiser, for the HEAD too: both send the same text (compiled once per route).
    return renderAccess(session, request.params.tokenId, config, baseUrl, reply.compileSerializationSchema(ACCESS_SCHEMA))
  }

  app.post('/tokens', {
    config: { secret: true },
    schema: {
      tags: ['identity'],
      operationId: 'createToken',
      summary: 'Authenticate: password, Rackspace API key, or token re-scope',
      description: 'X-Auth-Token is ignored here. tenantId wins over tenantName. Without either, a password or token login is unscoped (empty catalog), while a Rackspace API-key login is scoped to the user\'s own account, as Rackspace does. A re-scoped token keeps its original expiry.',
      security: [],
      body: AuthRequestSchema,
      response: { 200: AccessSchema, ...errors(400, 401, 403, 413, 429, 503) }
    }
  }, async (request) => {
    const context = auditContextOf(request)
    const session = await limitLogin(request,
      (guard) => authenticate(db, app.credentialTools.passwords, request.body, { ttlSeconds: config.tokenTtlSeconds, now: app.clock(), used: countUse }, context, guard))
    request.log.info({ auditId: session.auditId, userId: session.user.id, tenantId: session.account?.id, method: session.method }, 'token issued')
    return accessDocument(session, session.token, catalogFor(session, config, baseUrlOf(request)))
  })

  app.get('/tokens/:tokenId', {
    // Its HEAD is Keystone's own token check, below, not the GET's twin.
    exposeHeadRoute: false,
    config: { secret: true },
    onRequest: [lookUpTargetEarly, requireAuthentication],
    schema: {
      tags: ['identity'],
      operationId: 'validateToken',
      summary: 'Validate a token (admin or service role)',
      description: 'The caller needs the admin or service role: on the administrators\' account for any token, on another account for tokens scoped to it. ' +
        'Any other caller gets 403, also when validating its own token (Keystone v2.0).',
      security,
      params: TokenParamsSchema,
      querystring: ValidateQuerySchema,
      response: { 200: AccessSchema, ...errors(401, 403, 404, 503) }
    }
  }, async (request, reply) => reply.send(await validate(request, reply, VALIDATE) as never))

  app.head('/tokens/:tokenId', {
    config: { secret: true },
    onRequest: [lookUpTargetEarly, requireAuthentication],
    schema: {
      tags: ['identity'],
      operationId: 'checkToken',
      summary: 'Check a token: 200 when valid, 404 when not (admin or service role)',
      description: 'The headers of GET /v2.0/tokens/{tokenId} without its body; the same roles are needed. belongsTo: 401 unless the token is scoped to that tenant.',
      security,
      params: TokenParamsSchema,
      querystring: ValidateQuerySchema,
      response: { 200: Type.Null({ description: 'The headers of the GET, no body' }), ...errors(401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    // Same headers as the GET, Content-Length included; Node sends no body for HEAD. The schema's
    // "no body" types the text as never.
    const body = await validate(request, reply, CHECK)
    return reply.header('content-length', Buffer.byteLength(body)).send(body as never)
  })

  app.get('/tokens/:tokenId/endpoints', {
    onRequest: requireAuthentication,
    schema: {
      tags: ['identity'],
      operationId: 'listTokenEndpoints',
      summary: 'The endpoints of a token\'s catalog (admin); {} for an unscoped token',
      description: 'Each endpoint of the token\'s service catalog with its service\'s name and type. The caller needs the admin role, as for validation.',
      security,
      params: TokenParamsSchema,
      response: { 200: EndpointListSchema, ...errors(401, 403, 404, 503) }
    }
  }, async (request) => {
    const session = await sessionFor(request, LIST_ENDPOINTS)
    if (!session.account) return {}
    const endpoints = catalogFor(session, config, baseUrlOf(request))
      .flatMap((service) => service.endpoints.map((endpoint) => ({ ...endpoint, name: service.name, type: service.type })))
    return { endpoints, endpoints_links: [] }
  })

  app.delete('/tokens/:tokenId', {
    onRequest: requireAuthentication,
    schema: {
      tags: ['identity'],
      operationId: 'revokeToken',
      summary: 'Revoke a token (admin, or the token itself); every replica refuses it at once',
      description: 'An admin or service role may revoke any token it may validate; any token may revoke itself. 404 when the token is unknown or already ended.',
      security,
      params: TokenParamsSchema,
      response: { 204: Type.Null(), ...errors(401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const session = await sessionFor(request, REVOKE)
    await audited(db, auditContextOf(request), (trx) => revokeSession(trx, session.auditId), (revoked) => revoked ? sessionRevoked(session.auditId, session.account?.id ?? null, session.user.id) : undefined)
    request.log.info({ auditId: session.auditId }, 'token revoked')
    return reply.code(204).send(null)
  })

  app.delete('/tokens', {
    onRequest: [refuseEmptyTokenId, requireAuthentication],
    schema: {
      tags: ['identity'],
      operationId: 'revokeOwnToken',
      summary: 'Revoke the caller\'s own X-Auth-Token (Rackspace Cloud Identity)',
      description: 'Rackspace\'s logout: the token in X-Auth-Token ends at once on every replica. Only a Keystone session can revoke itself so.',
      security,
      response: { 204: Type.Null(), ...errors(401, 404, 503) }
    }
  }, async (request, reply) => {
    const caller = await principalOf(request)
    if (caller.credential.kind !== 'session') throw new Unauthenticated()
    await audited(db, auditContextOf(request), (trx) => revokeSession(trx, caller.credential.id), (revoked) => revoked ? sessionRevoked(caller.credential.id, caller.accountId, caller.id) : undefined)
    request.log.info({ auditId: caller.credential.id }, 'token revoked by its holder')
    return reply.code(204).send(null)
  })
}

export default tokenRoutes
