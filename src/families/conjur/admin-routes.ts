import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type, type Static } from 'typebox'
import { principalOf } from '../../plugins/auth/auth.js'
import { requireAccountAdmin } from '../admin/access.js'
import { pageReply, pageRequest } from '../admin/pagination.js'
import { AccountParamsSchema, DryRunQuerySchema, errors, NoContentSchema, pageOf, PageQuerySchema, security, tags } from '../admin/schemas.js'
import { RevokedAccessTokensSchema } from './kill-switch.js'
import { revokeHostCredentialsOf } from './revocation.js'
import { changePermission, createHostFactory, getHostFactory, listHostFactoryPage, removeHostFactory } from './host-factories.js'

/** Conjur host factories of an account (spec conjur-astra.md §A0.5), and a host's kill switch: the admin side of the Conjur family. */

const HostParamsSchema = Type.Object({ accountId: AccountParamsSchema.properties.accountId, hostId: Type.String({ minLength: 1, maxLength: 255, description: 'Conjur host id (without `host/`), URL-encoded', examples: ['web-01'] }) })

const RevokedHostCredentialsSchema = Type.Object({
  dryRun: Type.Boolean(),
  apiKeyRevoked: Type.Boolean({ description: 'The host\'s API key is replaced by one nobody holds' }),
  conjurAccessTokens: RevokedAccessTokensSchema,
  hostFactoryTokens: Type.Integer({ description: 'Conjur host factory tokens the host made, revoked (those made before migration 0017 record no maker)' })
}, { examples: [{ dryRun: false, apiKeyRevoked: true, conjurAccessTokens: 'all issued until now', hostFactoryTokens: 1 }] })

const CONJUR_ID = '^[A-Za-z0-9._@/-]{1,128}$'
const HostFactoryId = Type.String({ pattern: CONJUR_ID, description: 'Host factory id (letters, digits, `._@/-`); `/` travels as %2F in paths', examples: ['hf-db'] })

const HostFactoryParamsSchema = Type.Object({ accountId: AccountParamsSchema.properties.accountId, id: HostFactoryId })

const NewHostFactorySchema = Type.Object({
  id: HostFactoryId,
  layers: Type.Array(Type.String({ pattern: CONJUR_ID, description: 'Layer name; created if it does not exist' }), { maxItems: 100, examples: [['db']] }),
  owner: Type.Optional(Type.String({ minLength: 1, maxLength: 400, description: '`<account name>:user:<name>` or `<account name>:host:<id>`; default: the calling user', examples: ['myorg:user:alice'] }))
}, { additionalProperties: false, examples: [{ id: 'hf-db', layers: ['db'] }] })

const PermissionSchema = Type.Object({
  role: Type.String({ minLength: 1, maxLength: 400, description: '`<account name>:user:<name>` or `<account name>:host:<id>`', examples: ['myorg:user:alice'] }),
  privilege: Type.Union([Type.Literal('read'), Type.Literal('execute'), Type.Literal('update')], { description: 'read: see it and its tokens; execute: create tokens; update: revoke tokens' })
}, { additionalProperties: false, examples: [{ role: 'myorg:user:alice', privilege: 'execute' }] })
type Permission = Static<typeof PermissionSchema>

const HostFactorySchema = Type.Object({
  id: Type.String({ examples: ['myorg:host_factory:hf-db'] }),
  owner: Type.Union([Type.String(), Type.Null()], { description: 'A user or host of the account; null once deleted (the account\'s admins own everything anyway)', examples: ['myorg:user:alice'] }),
  layers: Type.Array(Type.String(), { examples: [['myorg:layer:db']] }),
  permissions: Type.Array(Type.Object({ privilege: Type.String(), role: Type.String() })),
  createdAt: Type.String({ format: 'date-time' })
}, {
  examples: [{
    id: 'myorg:host_factory:hf-db',
    owner: 'myorg:user:alice',
    layers: ['myorg:layer:db'],
    permissions: [{ privilege: 'execute', role: 'myorg:user:alice' }],
    createdAt: '2026-11-22T10:00:00.000Z'
  }]
})

const HostFactoryPageSchema = pageOf(HostFactorySchema, 'A page of host factories, by id')

const hostFactoryRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.post('/accounts/:accountId/host-factories', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'createHostFactory',
      summary: 'Create a Conjur host factory with its layers',
      description: 'Layers that do not exist yet are created. The owner defaults to the calling user.',
      security,
      params: AccountParamsSchema,
      body: NewHostFactorySchema,
      response: { 201: HostFactorySchema, ...errors(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    const caller = await principalOf(request)
    const factory = await audited(db, auditContextOf(request), (trx) => createHostFactory(trx, accountId, request.body, caller.kind === 'user' ? caller.id : null),
      () => ({ kind: 'host-factory.created', accountId, object: { type: 'host-factory', id: request.body.id }, details: { layers: request.body.layers, owner: request.body.owner } }))
    request.log.info({ accountId, hostFactory: request.body.id }, 'host factory created')
    return reply.code(201).send(factory)
  })

  app.get('/accounts/:accountId/host-factories', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'listHostFactories',
      summary: 'List an account\'s host factories by id',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      params: AccountParamsSchema,
      querystring: Type.Object({ limit: PageQuerySchema.properties.limit, after: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })) }),
      response: { 200: HostFactoryPageSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const page = pageRequest(request.query)
    const factories = await listHostFactoryPage(db, request.params.accountId, page)
    return pageReply(request, reply, factories, page.limit, (factory) => factory.key, ({ key: _key, ...factory }) => factory)
  })

  app.get('/accounts/:accountId/host-factories/:id', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'getHostFactory',
      summary: 'Get a host factory',
      description: 'Its Conjur id, owner, layers and the privileges granted on it (its tokens: GET /resources/{account}/host_factory/{id} in the Conjur API).',
      security,
      params: HostFactoryParamsSchema,
      response: { 200: HostFactorySchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => getHostFactory(db, request.params.accountId, request.params.id))

  app.delete('/accounts/:accountId/host-factories/:id', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'deleteHostFactory',
      summary: 'Delete a host factory with its tokens and permissions',
      description: 'Hosts it created stay, without an owner.',
      security,
      params: HostFactoryParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, id } = request.params
    await audited(db, auditContextOf(request), (trx) => removeHostFactory(trx, accountId, id), () => ({ kind: 'host-factory.deleted', accountId, object: { type: 'host-factory', id } }))
    request.log.info({ accountId, hostFactory: id }, 'host factory deleted')
    return reply.code(204).send(null)
  })

  for (const [method, grant] of [['POST', true], ['DELETE', false]] as const) {
    app.route<{ Params: Static<typeof HostFactoryParamsSchema>, Body: Permission }>({
      method,
      url: '/accounts/:accountId/host-factories/:id/permissions',
      onRequest: requireAccountAdmin,
      schema: {
        tags,
        operationId: grant ? 'grantHostFactoryPrivilege' : 'revokeHostFactoryPrivilege',
        summary: grant ? 'Grant a user or host a privilege on a host factory (idempotent)' : 'Withdraw a privilege on a host factory (idempotent)',
        description: grant
          ? 'read: see it and its tokens; execute: create tokens; update: revoke tokens. Granting one already held changes nothing (204).'
          : 'Withdrawing one not held changes nothing (204). Tokens already created stay valid until they expire or are revoked.',
        security,
        params: HostFactoryParamsSchema,
        body: PermissionSchema,
        response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 413, 503) }
      },
      handler: async (request, reply) => {
        const { accountId, id } = request.params
        await audited(db, auditContextOf(request), (trx) => changePermission(trx, accountId, id, request.body, grant),
          () => ({ kind: grant ? 'host-factory.privilege-granted' : 'host-factory.privilege-withdrawn', accountId, object: { type: 'host-factory', id }, details: { ...request.body } }))
        request.log.info({ accountId, hostFactory: id, privilege: request.body.privilege, grant }, 'host factory permission changed')
        return reply.code(204).send(null)
      }
    })
  }

  app.post('/accounts/:accountId/hosts/:hostId/revoke-credentials', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'revokeHostCredentials',
      summary: 'Revoke a Conjur host\'s API key and access tokens, at once on every replica',
      description: 'Its API key is replaced by one nobody holds; every access token issued so far is refused. One transaction, one audit event. `dryRun=true` changes nothing.',
      security,
      params: HostParamsSchema,
      querystring: DryRunQuerySchema,
      response: { 200: RevokedHostCredentialsSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const dryRun = request.query.dryRun === true
    const revoked = await revokeHostCredentialsOf(db, app.credentialTools.box, auditContextOf(request), request.params, { dryRun })
    return { dryRun, ...revoked }
  })
}

export default hostFactoryRoutes
