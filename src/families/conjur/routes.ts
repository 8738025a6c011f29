import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { ACCESSOR_HEADER } from '../../core/accessors.js'
import { Unauthenticated } from '../../core/errors.js'
import { authenticate, basicCredentials } from '../../plugins/auth.js'
import { limitLogin } from '../../plugins/failure-limits.js'
import { authenticateWithApiKey, login } from './authn.js'
import { callerOf, optionalAccessToken, requireAccessToken } from './caller.js'
import { accessTokensOf, HOST_FACTORY_TOKEN_KIND } from './credentials.js'
import { enrolHost } from './hosts.js'
import { conjurParams, rawBody } from './params.js'
import { showResource } from './resources.js'
import {
  AccessTokenSchema, AccountParamsSchema, accessTokenSecurity, ApiKeyTextSchema, AuthenticateParamsSchema, errors, HostFactoryResourceSchema,
  hostFactoryTokenSecurity, HostSchema, ResourceParamsSchema, tags, TokenListSchema, TokenParamsSchema
} from './schemas.js'
import { createTokens, revokeToken } from './tokens.js'
import { audited, auditedInStatement } from '../../services/audit.js'
import { auditContextOf, recordObserved } from '../../plugins/audit.js'

/** `Accept-Encoding` naming base64 anywhere, in any case, spaces tolerated (spec §A6). */
const WANTS_BASE64 = /(^|,)\s*base64\s*(;[^,]*)?(,|$)/i

function sendText (reply: FastifyReply, text: string): FastifyReply {
  return reply.type('text/plain').send(text)
}

const conjurRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, credentialTools } = app
  const { box } = credentialTools
  const countUse = (accessor: string | null) => { if (accessor !== null) app.credentialUsage.record(accessor, Date.now()) }

  app.get('/authn/:account/login', {
    exposeHeadRoute: false,
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
      ({ accessor, expiration }) => rowOf({ kind: 'host-factory-token.created', accountId: caller.account.id, object: { type: 'host-factory-token', id: accessor }, details: { hostFactory, expiration } }),
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
    exposeHeadRoute: false,
    config: { secret: true },
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'showHostFactory',
      summary: 'Show a host factory with its layers and tokens (any privilege on it)',
      description: 'An identifier holding `/` travels as `%2F`, as Conjur\'s clients send it.',
      security: accessTokenSecurity,
      params: ResourceParamsSchema,
      response: { 200: HostFactoryResourceSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { account, kind, identifier } = request.params
    return showResource(db, box, await callerOf(request), account, kind, identifier, { cache: app.readCache, now: app.clock() })
  })
}

export default conjurRoutes
