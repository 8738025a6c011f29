import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { accountUser, listAccountUsers, withRolesOn } from '../../services/directory.js'
import { changeUser, createUser, removeUser, rotateApiKey } from '../../services/identity.js'
import { requireAccountAdmin, requireChangeableUser } from './access.js'
import { toUser } from '../../services/views.js'
import { pageReply, pageRequest } from './pagination.js'
import {
  AccountParamsSchema, ApiKeySchema, CHANGE_NOTE, CreatedUserSchema, errors, NewUserSchema, NoContentSchema, PageQuerySchema, UserChangesSchema,
  UserPageSchema, UserParamsSchema, UserSchema, security, tags
} from './schemas.js'

/** An account's users: each belongs to one home account and is reached only under it. */
const userRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, credentialTools } = app

  app.post('/accounts/:accountId/users', {
    config: { secret: true },
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'createUser',
      summary: 'Create a user in an account, with roles on it and a first API key',
      description: 'The API key is shown in this response only (and again only on rotation).',
      security,
      params: AccountParamsSchema,
      body: NewUserSchema,
      response: { 201: CreatedUserSchema, ...errors(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    const { password: _password, ...recorded } = request.body
    const { user, roles, apiKey, apiKeyAccessor } = await audited(db, auditContextOf(request), (trx) => createUser(trx, credentialTools, { accountId, ...request.body }),
      (made) => ({ kind: 'user.created', accountId, object: { type: 'user', id: made.user.id }, details: { ...recorded, password: request.body.password === undefined ? undefined : 'set' } }))
    request.log.info({ accountId, userId: user.id, roles }, 'user created')
    return reply.code(201).send({ ...toUser(user, roles), apiKey, apiKeyAccessor })
  })

  app.get('/accounts/:accountId/users', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'listUsers',
      summary: 'List an account\'s users by id',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      params: AccountParamsSchema,
      querystring: PageQuerySchema,
      response: { 200: UserPageSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const page = pageRequest(request.query)
    const users = await listAccountUsers(db, request.params.accountId, page)
    return pageReply(request, reply, users, page.limit, ({ user }) => user.id, ({ user, roles }) => toUser(user, roles))
  })

  app.get('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'getUser',
      summary: 'Get a user of an account',
      description: 'The user as stored, with their roles on their home account; never a password or an API key.',
      security,
      params: UserParamsSchema,
      response: { 200: UserSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { user, roles } = await accountUser(db, request.params.accountId, request.params.userId)
    return toUser(user, roles)
  })

  app.patch('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    preHandler: requireChangeableUser,
    schema: {
      tags,
      operationId: 'updateUser',
      summary: 'Rename a user, change their email or password, enable or disable them',
      description: `Disabling a user ends their sessions at once. email: null removes the address. ${CHANGE_NOTE}`,
      security,
      params: UserParamsSchema,
      body: UserChangesSchema,
      response: { 200: UserSchema, ...errors(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    // Field names and values, except the password's.
    const { password, ...changes } = request.body
    const user = await audited(db, auditContextOf(request), (trx) => changeUser(trx, credentialTools.passwords, userId, request.body),
      () => ({ kind: 'user.changed', accountId, object: { type: 'user', id: userId }, details: { changes: { ...changes, password: password === undefined ? undefined : 'changed' } } }))
    // Field names only: the values may include a password.
    request.log.info({ accountId, userId, changed: Object.keys(request.body) }, 'user changed')
    const { roles } = await withRolesOn(db, accountId, user)
    return toUser(user, roles)
  })

  app.delete('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    preHandler: requireChangeableUser,
    schema: {
      tags,
      operationId: 'deleteUser',
      summary: 'Delete a user with their roles, API key and tokens',
      description: CHANGE_NOTE,
      security,
      params: UserParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId } = request.params
    await audited(db, auditContextOf(request), (trx) => removeUser(trx, userId), () => ({ kind: 'user.deleted', accountId, object: { type: 'user', id: userId } }))
    request.log.info({ accountId, userId }, 'user deleted')
    return reply.code(204).send(null)
  })

  app.post('/accounts/:accountId/users/:userId/api-key', {
    config: { secret: true },
    onRequest: requireAccountAdmin,
    preHandler: requireChangeableUser,
    schema: {
      tags,
      operationId: 'rotateApiKey',
      summary: 'Issue a new API key for a user; the old one stops working at once',
      description: `The new key is shown in this response only. ${CHANGE_NOTE}`,
      security,
      params: UserParamsSchema,
      response: { 200: ApiKeySchema, ...errors(400, 401, 403, 404, 413, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    const issued = await audited(db, auditContextOf(request), (trx) => rotateApiKey(trx, credentialTools.box, userId),
      ({ accessor }) => ({ kind: 'api-key.rotated', accountId, object: { type: 'api-key', id: accessor }, details: { userId } }))
    request.log.info({ accountId, userId, accessor: issued.accessor }, 'api key rotated')
    return issued
  })
}

export default userRoutes
