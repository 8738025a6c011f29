import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyReply } from 'fastify'
import { Type } from 'typebox'
import { accessTokenOf, callerOf, requireAccessToken } from './caller.js'
import { rackClientAddressOf } from '../../plugins/http/client-address.js'
import { conjurParams } from './params.js'
import { checkPermission } from './permission-check.js'
import { CONJUR_KINDS, listVisibleResources, MAX_PAGE_SIZE, showRoleResource } from './resource-list.js'
import {
  KindListParamsSchema, ListedResourceSchema, ListParamsSchema, ResourceListSchema, RoleResourceParamsSchema, WhoamiSchema
} from './resource-list-schemas.js'
import { accessTokenSecurity, errors, tags } from './schemas.js'

const LIST_DESCRIPTION = 'What the caller sees, ordered by resource id (code-point order): an admin of the account everything; any other user or host the host factories it owns or holds a privilege on. ' +
  'Query parameters as Conjur\'s resources#index: `kind`, `search` (full text over identifiers, host annotation values and the kind), ' +
  `\`limit\` (1 to ${MAX_PAGE_SIZE}, or 10000; ${MAX_PAGE_SIZE} when neither limit nor offset is given), \`offset\` (then 10 when no limit), ` +
  '`count=true` for `{"count": N}` (counted within limit and offset when given), `role` or `acting_as` to list what a role the caller holds sees (else an empty 403). ' +
  'A bad `limit` or `offset` is a 422 `unprocessable_entity`. Host factories come with their layers and tokens in clear, as GET of one does.'

/** Conjur's `head` replies: a status and no body (a 404 here is an answer, not an error). */
function sendEmpty (reply: FastifyReply, status: 204 | 404): FastifyReply {
  return reply.code(status).send()
}

/** Conjur's resources#index and resources#show for Tessera's roles, and /whoami (conjur-openapi-spec `resources.yml`, `status.yml`). */
const resourceListRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app
  const { box } = app.credentialTools
  const reads = () => ({ cache: app.readCache, now: app.clock() })

  app.get('/resources/:account', {
    config: { secret: true },
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'listConjurResources',
      summary: 'List the resources the caller sees: host factories, hosts, layers, users',
      description: LIST_DESCRIPTION,
      security: accessTokenSecurity,
      params: ListParamsSchema,
      response: { 200: ResourceListSchema, ...errors(400, 401, 403, 422, 503) }
    }
  }, async (request) => {
    const caller = await callerOf(request)
    return listVisibleResources(db, box, caller, request.params.account, undefined, conjurParams(request))
  })

  app.get('/resources/:account/:kind', {
    config: { secret: true },
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'listConjurResourcesOfKind',
      summary: 'List the resources of one kind the caller sees',
      description: `${LIST_DESCRIPTION} Conjur's other kinds (variable, group, policy, webservice, public_key, configuration) list nothing; any other kind is no route (404).`,
      security: accessTokenSecurity,
      params: KindListParamsSchema,
      response: { 200: ResourceListSchema, ...errors(400, 401, 403, 404, 422, 503) }
    }
  }, async (request, reply) => {
    const { account, kind } = request.params
    // Rails routes only Conjur's kinds here.
    if (!CONJUR_KINDS.has(kind)) return reply.callNotFound()
    const caller = await callerOf(request)
    return listVisibleResources(db, box, caller, account, kind, conjurParams(request))
  })

  for (const kind of ['host', 'user', 'layer'] as const) {
    app.get(`/resources/:account/${kind}/:identifier`, {
      onRequest: requireAccessToken,
      schema: {
        tags,
        operationId: `showConjur${kind.charAt(0).toUpperCase()}${kind.slice(1)}`,
        summary: `Show a ${kind} as a resource (admins of the account), or check a privilege on it`,
        description: `Seen by the account's admins only (they own every ${kind}); anyone else, and a ${kind} that does not exist, gets the 404 body. ` +
          'With `check` (any value) and `privilege=P` (and `role=<account>:<kind>:<id>`), 204 or an empty 404 as for a host factory.',
        security: accessTokenSecurity,
        params: RoleResourceParamsSchema,
        response: { 200: ListedResourceSchema, 204: Type.Null({ description: 'check=true: the privilege is held; no body' }), ...errors(400, 401, 403, 404, 422, 503) }
      }
    }, async (request, reply) => {
      const { account, identifier } = request.params
      const caller = await callerOf(request)
      const params = conjurParams(request)
      // Conjur routes any request naming `check` (whatever its value) to resources#check_permission.
      if (Object.hasOwn(params, 'check')) {
        const permitted = await checkPermission(db, caller, `${account}:${kind}:${identifier}`, params, reads())
        return sendEmpty(reply, permitted ? 204 : 404)
      }
      return showRoleResource(db, box, caller, account, kind, identifier, reads())
    })
  }

  app.get('/whoami', {
    onRequest: requireAccessToken,
    schema: {
      tags,
      operationId: 'conjurWhoami',
      summary: 'Who the access token is: client address, user agent, account, login, issue time',
      description: 'Conjur\'s whoami#show. The role must still exist and be enabled (else an empty 403), as on every other route.',
      security: accessTokenSecurity,
      response: { 200: WhoamiSchema, ...errors(401, 403, 503) }
    }
  }, async (request) => {
    const caller = await callerOf(request)
    const token = await accessTokenOf(request)
    return {
      client_ip: rackClientAddressOf(request),
      user_agent: request.headers['user-agent'] ?? null,
      account: caller.account.name,
      username: token.login,
      // Rails renders a Time with milliseconds and its offset.
      token_issued_at: token.issuedAt.toISOString().replace(/Z$/, '+00:00')
    }
  })
}

export default resourceListRoutes
