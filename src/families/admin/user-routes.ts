import type { FastifyInstance } from 'fastify'
import { listRoleNames, listRoleNamesOfUsers } from '../../db/repositories/role-assignments.js'
import { listUsersInAccount } from '../../db/repositories/users.js'
import { changeUser, createUser, removeUser, rotateApiKey } from '../../services/identity.js'
import { changeableUser, requireAccountAdmin } from './access.js'
import { existingAccount, existingUser } from './lookups.js'
import { toUser } from './mappers.js'
import { keysetPage, pageRequest } from './pagination.js'
import {
  AccountParamsSchema, ApiKeySchema, CHANGE_NOTE, CreatedUserSchema, errorResponses, NewUserSchema, NoContentSchema, PageQuerySchema, UserChangesSchema,
  UserPageSchema, UserParamsSchema, UserSchema, security, tags,
  type AccountParams, type NewUser, type PageQuery, type UserChanges, type UserParams
} from './schemas.js'

/** An account's users: each belongs to one home account and is reached only under it. */
export default async function userRoutes (app: FastifyInstance) {
  const { db } = app

  app.post<{ Params: AccountParams, Body: NewUser }>('/accounts/:accountId/users', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'createUser',
      summary: 'Create a user in an account, with roles on it and a first API key',
      description: 'The API key is shown in this response only (and again only on rotation).',
      security,
      params: AccountParamsSchema,
      body: NewUserSchema,
      response: { 201: CreatedUserSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    const { user, roles, apiKey } = await createUser(db, { accountId, ...request.body })
    request.log.info({ accountId, userId: user.id, roles }, 'user created')
    return reply.code(201).send({ ...toUser(user, roles), apiKey })
  })

  app.get<{ Params: AccountParams, Querystring: PageQuery }>('/accounts/:accountId/users', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'listUsers',
      summary: 'List an account\'s users by id',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      params: AccountParamsSchema,
      querystring: PageQuerySchema,
      response: { 200: UserPageSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    const page = pageRequest(request.query)
    await existingAccount(db, accountId)
    const rows = await listUsersInAccount(db, accountId, page)
    const roles = await listRoleNamesOfUsers(db, accountId, rows.map((row) => row.id))
    return keysetPage(request, reply, rows, page, (row) => toUser(row, roles.get(row.id) ?? []))
  })

  app.get<{ Params: UserParams }>('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'getUser',
      summary: 'Get a user of an account',
      security,
      params: UserParamsSchema,
      response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    const user = await existingUser(db, accountId, userId)
    return toUser(user, await listRoleNames(db, userId, accountId))
  })

  app.patch<{ Params: UserParams, Body: UserChanges }>('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'updateUser',
      summary: 'Rename a user, change their email or password, enable or disable them',
      description: `Disabling a user ends their sessions at once. email: null removes the address. ${CHANGE_NOTE}`,
      security,
      params: UserParamsSchema,
      body: UserChangesSchema,
      response: { 200: UserSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    await changeableUser(request, accountId, userId)
    const user = await changeUser(db, userId, request.body)
    // Field names only: the values may include a password.
    request.log.info({ accountId, userId, changed: Object.keys(request.body) }, 'user changed')
    return toUser(user, await listRoleNames(db, userId, accountId))
  })

  app.delete<{ Params: UserParams }>('/accounts/:accountId/users/:userId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'deleteUser',
      summary: 'Delete a user with their roles, API key and tokens',
      description: CHANGE_NOTE,
      security,
      params: UserParamsSchema,
      response: { 204: NoContentSchema, ...errorResponses(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId } = request.params
    await changeableUser(request, accountId, userId)
    await removeUser(db, userId)
    request.log.info({ accountId, userId }, 'user deleted')
    return reply.code(204).send()
  })

  app.post<{ Params: UserParams }>('/accounts/:accountId/users/:userId/api-key', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'rotateApiKey',
      summary: 'Issue a new API key for a user; the old one stops working at once',
      description: `The new key is shown in this response only. ${CHANGE_NOTE}`,
      security,
      params: UserParamsSchema,
      response: { 200: ApiKeySchema, ...errorResponses(400, 401, 403, 404, 413, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    await changeableUser(request, accountId, userId)
    const apiKey = await rotateApiKey(db, userId)
    request.log.info({ accountId, userId }, 'api key rotated')
    return { apiKey }
  })
}
