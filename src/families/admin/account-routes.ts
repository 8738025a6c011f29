import type { FastifyInstance } from 'fastify'
import { listAccounts, listAccountsAmong } from '../../db/repositories/accounts.js'
import { principalOf } from '../../plugins/auth.js'
import { changeAdministeredAccount, createAccount, removeAccount } from '../../services/identity.js'
import { isSuperAdmin, requireAccountAdmin, requireAnyAccountAdmin, requireSuperAdmin } from './access.js'
import { existingAccount } from './lookups.js'
import { toAccount } from './mappers.js'
import { keysetPage, pageRequest } from './pagination.js'
import {
  AccountChangesSchema, AccountPageSchema, AccountParamsSchema, AccountSchema, errorResponses, NewAccountSchema, NoContentSchema, PageQuerySchema,
  security, tags, type AccountChanges, type AccountParams, type NewAccount, type PageQuery
} from './schemas.js'

export default async function accountRoutes (app: FastifyInstance) {
  const { db, config } = app

  app.post<{ Body: NewAccount }>('/accounts', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'createAccount',
      summary: 'Create an account (super-admin)',
      description: 'The id may be given (Rackspace tenants are usually numeric strings) or is generated.',
      security,
      body: NewAccountSchema,
      response: { 201: AccountSchema, ...errorResponses(400, 401, 403, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const account = await createAccount(db, { id: request.body.id, name: request.body.name })
    request.log.info({ accountId: account.id }, 'account created')
    return reply.code(201).send(toAccount(account))
  })

  app.get<{ Querystring: PageQuery }>('/accounts', {
    onRequest: requireAnyAccountAdmin,
    schema: {
      tags,
      operationId: 'listAccounts',
      summary: 'List accounts by id (an account admin sees only their own)',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      querystring: PageQuerySchema,
      response: { 200: AccountPageSchema, ...errorResponses(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const caller = await principalOf(request)
    const page = pageRequest(request.query)
    const rows = isSuperAdmin(caller, config.admin.account)
      ? await listAccounts(db, page)
      : await listAccountsAmong(db, [caller.accountId!], page)
    return keysetPage(request, reply, rows, page, toAccount)
  })

  app.get<{ Params: AccountParams }>('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'getAccount',
      summary: 'Get an account',
      security,
      params: AccountParamsSchema,
      response: { 200: AccountSchema, ...errorResponses(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    return toAccount(await existingAccount(db, request.params.accountId))
  })

  app.patch<{ Params: AccountParams, Body: AccountChanges }>('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'updateAccount',
      summary: 'Rename, enable or disable an account',
      description: 'Disabling an account ends its users\' sessions at once. The administrators\' account cannot be disabled (409).',
      security,
      params: AccountParamsSchema,
      body: AccountChangesSchema,
      response: { 200: AccountSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request) => {
    const { accountId } = request.params
    const account = await changeAdministeredAccount(db, accountId, request.body, config.admin.account)
    request.log.info({ accountId, changed: Object.keys(request.body) }, 'account changed')
    return toAccount(account)
  })

  app.delete<{ Params: AccountParams }>('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'deleteAccount',
      summary: 'Delete an account with its users, roles, keys and tokens',
      description: 'The administrators\' account cannot be deleted (409).',
      security,
      params: AccountParamsSchema,
      response: { 204: NoContentSchema, ...errorResponses(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    await removeAccount(db, accountId, config.admin.account)
    request.log.info({ accountId }, 'account deleted')
    return reply.code(204).send()
  })
}
