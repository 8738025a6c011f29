import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from 'typebox'
import { NotFound } from '../../core/errors.js'
import { toKeysetPage } from '../../core/pagination.js'
import { requireAccountAdmin, requireSuperAdmin, requireUserOfAccount } from '../admin/access.js'
import { pageReply, pageRequest } from '../admin/pagination.js'
import { errors, NoContentSchema, pageOf, PageQuerySchema, security, tags, UserParamsSchema } from '../admin/schemas.js'
import { listTokensOfUser, revokeTokenOfUser, revokeUserToken } from './repository.js'
import { toAstraToken } from './token-view.js'
import { existingUser } from '../../services/lookups.js'

/** A user's NetApp Astra API tokens on an account, for its admins: listed (never a secret) and revoked. */

const Timestamp = Type.String({ format: 'date-time', description: 'ISO 8601, UTC', examples: ['2026-11-22T10:00:00.000Z'] })

const AstraTokenSchema = Type.Object({
  id: Type.String({ description: 'The token id (not a secret)' }),
  name: Type.String(),
  accountId: Type.String(),
  userId: Type.String({ description: 'The user the token acts as' }),
  labels: Type.Array(Type.Object({ name: Type.String(), value: Type.String() })),
  createdAt: Timestamp,
  createdBy: Type.String({ description: 'The user who created it' }),
  modifiedAt: Timestamp,
  modifiedBy: Type.Union([Type.String(), Type.Null()])
}, {
  examples: [{
    id: '822fab12-c224-4d1f-8118-5fb5d2def8b9',
    name: 'Snapshot Script',
    accountId: '5a3e8f0c-2b7d-4c1e-9f6a-0d4b2c8e7a15',
    userId: '09f8933c-ad74-4f4e-8ef5-1ffaa0fb8e9b',
    labels: [],
    createdAt: '2026-11-22T10:00:00.000Z',
    createdBy: '09f8933c-ad74-4f4e-8ef5-1ffaa0fb8e9b',
    modifiedAt: '2026-11-22T10:00:00.000Z',
    modifiedBy: null
  }]
})

const AstraTokenPageSchema = pageOf(AstraTokenSchema, 'A page of the user\'s live Astra tokens on the account, by id')

const AstraTokenParamsSchema = Type.Object({ ...UserParamsSchema.properties, tokenId: Type.String({ description: 'The Astra token id', examples: ['822fab12-c224-4d1f-8118-5fb5d2def8b9'] }) })
const AnyAccountUserParamsSchema = Type.Object({ userId: UserParamsSchema.properties.userId })
const AnyAccountTokenParamsSchema = Type.Object({ userId: UserParamsSchema.properties.userId, tokenId: AstraTokenParamsSchema.properties.tokenId })

const astraTokenRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get('/accounts/:accountId/users/:userId/astra-tokens', {
    onRequest: requireAccountAdmin,
    preHandler: requireUserOfAccount,
    schema: {
      tags,
      operationId: 'listUserAstraTokens',
      summary: 'List a user\'s live NetApp Astra API tokens on an account, by id',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header. Secrets are never shown.',
      security,
      params: UserParamsSchema,
      querystring: PageQuerySchema,
      response: { 200: AstraTokenPageSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId } = request.params
    const page = pageRequest(request.query)
    const rows = await listTokensOfUser(db, userId, { after: page.after, limit: page.limit }, accountId)
    return pageReply(request, reply, toKeysetPage(rows, page), page.limit, (row) => row.id, toAstraToken)
  })

  app.delete('/accounts/:accountId/users/:userId/astra-tokens/:tokenId', {
    onRequest: requireAccountAdmin,
    preHandler: requireUserOfAccount,
    schema: {
      tags,
      operationId: 'revokeUserAstraToken',
      summary: 'Revoke one of a user\'s NetApp Astra API tokens: its bearer value is refused at once',
      description: 'The same as DELETE in the Astra API, for an administrator of the account: every replica refuses the token at once. 404 when it is not one of this user\'s live tokens.',
      security,
      params: AstraTokenParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId, tokenId } = request.params
    const revoked = await audited(db, auditContextOf(request), (trx) => revokeUserToken(trx, accountId, userId, tokenId),
      (done) => done ? { kind: 'astra-token.revoked', accountId, object: { type: 'astra-token', id: tokenId }, details: { userId } } : undefined)
    if (!revoked) {
      throw new NotFound(`user ${userId} has no Astra token ${tokenId} on account ${accountId}`, { type: 'AstraToken', key: tokenId })
    }
    request.log.info({ accountId, userId, tokenId }, 'astra token revoked by an administrator')
    return reply.code(204).send(null)
  })

  app.get('/users/:userId/astra-tokens', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'listUserAstraTokensOnEveryAccount',
      summary: 'List a user\'s live NetApp Astra API tokens on every account, by id (super-admin)',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header. Secrets are never shown.',
      security,
      params: AnyAccountUserParamsSchema,
      querystring: PageQuerySchema,
      response: { 200: AstraTokenPageSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { userId } = request.params
    await existingUser(db, userId)
    const page = pageRequest(request.query)
    return pageReply(request, reply, toKeysetPage(await listTokensOfUser(db, userId, page), page), page.limit, (row) => row.id, toAstraToken)
  })

  app.delete('/users/:userId/astra-tokens/:tokenId', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'revokeUserAstraTokenOnAnyAccount',
      summary: 'Revoke one of a user\'s NetApp Astra API tokens, on whichever account it is (super-admin)',
      description: 'For the operator CLI through a server, which knows the user and the token but not the account: every replica refuses the token at once. Super-admins only; 404 when it is not one of this user\'s live tokens.',
      security,
      params: AnyAccountTokenParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { userId, tokenId } = request.params
    const user = await existingUser(db, userId)
    // The token's own account, which is not the user's when a role there let them make it.
    const revokedOn = await audited(db, auditContextOf(request), (trx) => revokeTokenOfUser(trx, userId, tokenId),
      (accountId) => accountId === undefined ? undefined : { kind: 'astra-token.revoked', accountId, object: { type: 'astra-token', id: tokenId }, details: { userId } })
    if (revokedOn === undefined) throw new NotFound(`user ${user.id} (${user.name}) has no Astra token ${tokenId}`, { type: 'AstraToken', key: tokenId })
    request.log.info({ accountId: revokedOn, userId, tokenId }, 'astra token revoked by an administrator')
    return reply.code(204).send(null)
  })
}

export default astraTokenRoutes
