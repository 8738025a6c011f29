import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { ACCESSOR_HEADER } from '../../core/accessors.js'
import { Forbidden, Unauthenticated } from '../../core/errors.js'
import { authenticate, basicCredentials, presentedCredential } from '../../plugins/auth/auth.js'
import { limitLogin } from '../../plugins/limits/failure-limits.js'
import { roleToRotate, rotateRoleKey, type RotatedKey, type Rotator } from './api-key-rotation.js'
import { authenticateWithApiKey, login, verifyBasicLogin } from './authn.js'
import { callerOf, optionalAccessToken, requireAccessToken } from './caller.js'
import { accessTokensOf, HOST_FACTORY_TOKEN_KIND } from './credentials.js'
import { enrolHost } from './hosts.js'
import { conjurParams, rawBody } from './params.js'
import { checkPermission } from './permission-check.js'
import { showResource } from './resources.js'
import {
  AccessTokenSchema, AccountParamsSchema, accessTokenSecurity, ApiKeyTextSchema, AuthenticateParamsSchema, errors, ExplainedUnauthorizedSchema, HostFactoryResourceSchema,
  hostFactoryTokenSecurity, HostSchema, ResourceParamsSchema, tags, TokenListSchema, TokenParamsSchema
} from './schemas.js'
import { createTokens, revokeToken } from './tokens.js'
import { audited, auditedInStatement, type AuditContext, type AuditEvent } from '../../services/audit.js'
import { auditContextOf, recordObserved } from '../../plugins/records/audit.js'

/** `Accept-Encoding` naming base64 anywhere, in any case, spaces tolerated (spec §A6). */
const WANTS_BASE64 = /(^|,)\s*base64\s*(;[^,]*)?(,|$)/i

function sendText (reply: FastifyReply, text: string): FastifyReply {
  return reply.type('text/plain').send(text)
}

/** The audit event of a rotated key: the new key is a new credential, named by its new accessor. */
function rotationEvent (rotated: RotatedKey): AuditEvent {
  const details = { role: rotated.roleId }
  return rotated.role.kind === 'user'
    ? { kind: 'api-key.rotated', accountId: rotated.accountId, object: { type: 'api-key', id: rotated.accessor }, details: { userId: rotated.role.userId, ...details } }
    : { kind: 'host-api-key.rotated', accountId: rotated.accountId, object: { type: 'host-api-key', id: rotated.accessor }, details: { hostId: rotated.role.hostId, ...details } }
}

/** Conjur's `head` replies: a status and no body (a 404 here is an answer, not an error). */
function sendEmpty (reply: FastifyReply, status: 204 | 404): FastifyReply {
  return reply.code(status).send()
}

const conjurRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, credentialTools } = app
  const { box } = credentialTools
  const countUse = (accessor: string | null) => { if (accessor !== null) app.credentialUsage.record(accessor, Date.now()) }

  app.get('/authn/:account/login', {
    config: { secret: true },
    onRequest: optionalAccessToken,
    schema: {
      tags,
      operationId: 'conjurLogin',
      summary: 'Log in with HTTP Basic (password or API key); answers the existing API key',
      description: 'Users log in by name with their Tessera password or API key; hosts as `host/<id>` with their API key.',
      security: [{ conjurBasic: [] }],
      params: AccountParamsSchema,
      response: { 200: ApiKeyTextSchema, ...errors(400, 401, 503) }
    }
  }, async (request, reply) => {
    // Impersonation (`?role=`) is not a login (spec §A6).
    if (/[?&]role=/.test(request.url)) throw new Unauthenticated()
    const credentials = basicCredentials(request)
    const loggedIn = await limitLogin(request, async (guard) => {
      if (!credentials) throw new Unauthenticated()
      return login(db, credentialTools, request.params.account, credentials, guard, auditContextOf(request))
    })
    countUse(loggedIn.credential)
    recordObserved(request, loggedIn.actor, { kind: 'login.succeeded', accountId: loggedIn.accountId, details: { authenticator: 'authn', method: loggedIn.method } }, loggedIn.credential)
    return sendText(reply, loggedIn.value)
  })

  /** Who asks PUT /authn/{account}/api_key: the role HTTP Basic proves, else the access token's caller (one Authorization header holds one). */
  async function rotatorOf (request: FastifyRequest<{ Params: { account: string } }>): Promise<{ rotator: Rotator, context: AuditContext }> {
    const { account } = request.params
    const credentials = basicCredentials(request)
    if (credentials) {
      const loggedIn = await limitLogin(request, (guard) => verifyBasicLogin(db, credentialTools, account, credentials, guard, auditContextOf(request)))
      countUse(loggedIn.credential)
      const rotator: Rotator = { by: 'basic', accountId: loggedIn.accountId, accountName: account, role: loggedIn.value }
      return { rotator, context: { ...auditContextOf(request), actor: loggedIn.actor, actorCredential: loggedIn.credential } }
    }
    if (!presentedCredential(request)) throw new Unauthenticated(undefined, { reason: 'missing-credential' })
    try {
      return { rotator: { by: 'token', caller: await callerOf(request) }, context: auditContextOf(request) }
    } catch (error) {
      // The credentials controller finds no role for the token: "Client not authenticated".
      if (error instanceof Forbidden) throw new Unauthenticated(undefined, error.refusal)
      throw error
    }
  }

  app.put('/authn/:account/api_key', {
    config: { secret: true },
    onRequest: optionalAccessToken,
    schema: {
      tags,
      operationId: 'conjurRotateApiKey',
      summary: 'Rotate an API key: one\'s own with HTTP Basic, another role\'s with an access token holding `update` on it',
      description: 'With HTTP Basic (a password or the API key), the caller\'s own key; `?role=<kind>:<id>` (or `<account>:<kind>:<id>`) may name only the caller. ' +
        'With `Authorization: Token token="…"`, the key of the user or host `role=` names, which the caller must see (else 404) and hold `update` on (else 403); ' +
        'an access token never rotates its own role\'s key (401 "Credential strength is insufficient"). A layer or host factory has no API key (405). ' +
        'The new key comes as text/plain, its accessor in the Tessera-Credential-Accessor header; the old key stops working at once.',
      security: [{ conjurBasic: [] }, ...accessTokenSecurity],
      params: AccountParamsSchema,
      response: { 200: ApiKeyTextSchema, ...errors(400, 403, 404, 405, 413, 422, 503), 401: ExplainedUnauthorizedSchema }
    }
  }, async (request, reply) => {
    const { rotator, context } = await rotatorOf(request)
    const params = conjurParams(request)
    const role = await roleToRotate(db, rotator, request.params.account, params.role ?? undefined)
    const rotated = await audited(db, context, (trx) => rotateRoleKey(trx, box, role), rotationEvent)
    request.log.info({ accountId: rotated.accountId, role: rotated.roleId, accessor: rotated.accessor }, 'api key rotated')
    return sendText(reply.header(ACCESSOR_HEADER, rotated.accessor), rotated.apiKey)
  })

  app.post('/authn/:account/:login/authenticate', {
    config: { secret: true },
    schema: {
      tags,
      operationId: 'conjurAuthenticate',
      summary: 'Exchange an API key (the raw body) for an 8-minute access token',
      description: 'With `Accept-Encoding: base64` the token comes base64-encoded as text/plain, as `Token token="…"` wants it.',
      security: [],
      params: AuthenticateParamsSchema,
      response: { 200: AccessTokenSchema, ...errors(400, 401, 413, 503) }
    }
  }, async (request, reply) => {
    const { account, login: rawLogin } = request.params
    const loggedIn = await limitLogin(request,
      (guard) => authenticateWithApiKey(db, accessTokensOf(app.config), account, rawLogin, rawBody(request).trim(), app.clock(), guard))
    countUse(loggedIn.credential)
    recordObserved(request, loggedIn.actor, { kind: 'access-token.issued', accountId: loggedIn.accountId, details: { authenticator: 'authn', method: loggedIn.method } }, loggedIn.credential)
    const token = loggedIn.value
    if (WANTS_BASE64.test(String(request.headers['accept-encoding'] ?? ''))) {
      return sendText(reply.header('content-encoding', 'base64'), Buffer.from(JSON.stringify(token)).toString('base64'))
    }
    return token
  })

  app.post('/host_factory_tokens', {
    config: { secret: true },
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'createHostFactoryTokens',
      summary: 'Create host factory tokens (`execute` on the host factory)',
      description: 'Parameters `host_factory`, `expiration`, `count`, `cidr[]` from the query string, a form body or JSON (the body wins). 200 with an array, all or nothing.',
      security: accessTokenSecurity,
      response: { 200: TokenListSchema, ...errors(400, 401, 403, 404, 413, 422, 503) }
    }
  }, async (request, reply) => {
    const caller = await callerOf(request)
    const params = conjurParams(request)
    const hostFactory = params.host_factory ?? null
    const made = await auditedInStatement(auditContextOf(request), (rowOf) => createTokens(db, box, caller, params, app.clock(),
      (expiration) => {
        // One details object for every token: auditedInStatement serialises it once.
        const details = { hostFactory, expiration }
        return (accessor) => rowOf({ kind: 'host-factory-token.created', accountId: caller.account.id, object: { type: 'host-factory-token', id: accessor }, details })
      },
      { cache: app.readCache, now: app.clock() }))
    request.log.info({ accountId: caller.account.id, count: made.length }, 'host factory tokens created')
    // Conjur's body stays Conjur's: the handles go beside it, in the body's order.
    reply.header(ACCESSOR_HEADER, made.map((token) => token.accessor).join(', '))
    return made.map((token) => token.view)
  })

  app.delete('/host_factory_tokens/:token', {
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'revokeHostFactoryToken',
      summary: 'Revoke a host factory token (`update` on its host factory)',
      description: 'The token is refused at once on every replica; hosts it created stay. 404 when it is unknown or already revoked.',
      security: accessTokenSecurity,
      params: TokenParamsSchema,
      response: { 204: Type.Null({ description: 'Revoked; no body' }), ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const caller = await callerOf(request)
    await audited(db, auditContextOf(request), (trx) => revokeToken(trx, caller, request.params.token),
      (accessor) => ({ kind: 'host-factory-token.revoked', accountId: caller.account.id, object: { type: 'host-factory-token', id: accessor } }))
    request.log.info({ accountId: caller.account.id }, 'host factory token revoked')
    return reply.code(204).send(null)
  })

  app.post('/host_factories/hosts', {
    config: { secret: true },
    schema: {
      tags,
      operationId: 'createHostWithToken',
      summary: 'Create a host (or rotate the API key of one the factory owns) with a host factory token',
      description: '`Authorization: Token token="<host factory token>"`, quotes required. Parameters `id` and `annotations[<name>]` from the query string, a form body or JSON. ' +
        'Unknown, revoked, expired and wrong-origin tokens all get the same empty 401.',
      security: hostFactoryTokenSecurity,
      response: { 201: HostSchema, ...errors(400, 401, 403, 413, 422, 503) }
    }
  }, async (request, reply) => {
    const principal = await authenticate(request)
    if (principal?.credential.kind !== HOST_FACTORY_TOKEN_KIND || principal.accountId === null) throw new Unauthenticated()
    const accountId = principal.accountId
    const { view, apiKeyAccessor } = await audited(db, auditContextOf(request), (trx) => enrolHost(trx, box, { accountId, id: principal.id }, conjurParams(request)),
      (made) => ({ kind: 'host.enrolled', accountId, object: { type: 'host', id: made.view.id }, details: { hostFactory: principal.id, apiKeyAccessor: made.apiKeyAccessor } }))
    request.log.info({ accountId: principal.accountId, hostFactory: principal.id, host: view.id, apiKeyAccessor }, 'host enrolled')
    return reply.code(201).header(ACCESSOR_HEADER, apiKeyAccessor).send(view)
  })

  app.get('/resources/:account/:kind/:identifier', {
    config: { secret: true },
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'showHostFactory',
      summary: 'Show a host factory with its layers and tokens (any privilege on it), or check a privilege on a resource',
      description: 'An identifier holding `/` travels as `%2F`, as Conjur\'s clients send it. ' +
        'With `check` (any value) and `privilege=P` it answers whether the caller, or the role `role=<account>:<kind>:<id>` the caller holds, has P on the resource: ' +
        '204 when it does, an empty 404 when it does not; 422 without `privilege`, an empty 403 for a role the caller does not hold, 404 with a body for a resource the caller cannot see.',
      security: accessTokenSecurity,
      params: ResourceParamsSchema,
      response: { 200: HostFactoryResourceSchema, 204: Type.Null({ description: 'check=true: the privilege is held; no body' }), ...errors(400, 401, 403, 404, 422, 503) }
    }
  }, async (request, reply) => {
    const { account, kind, identifier } = request.params
    const caller = await callerOf(request)
    const reads = { cache: app.readCache, now: app.clock() }
    // Conjur routes any request naming `check` (whatever its value) to resources#check_permission.
    const params = conjurParams(request)
    if (Object.hasOwn(params, 'check')) {
      const permitted = await checkPermission(db, caller, `${account}:${kind}:${identifier}`, params, reads)
      return sendEmpty(reply, permitted ? 204 : 404)
    }
    return showResource(db, box, caller, account, kind, identifier, reads)
  })
}

export default conjurRoutes
