import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { listVisibleAccounts } from '../../services/directory.js'
import { principalOf } from '../../plugins/auth/auth.js'
import { changeAccount, createAccount, removeAccount } from '../../services/identity.js'
import { isSuperAdmin, requireAccountAdmin, requireAccountUsersConfined, requireAnyAccountAdmin, requireSuperAdmin } from './access.js'
import { existingAccount } from '../../services/lookups.js'
import { toAccount } from '../../services/views.js'
import { pageReply, pageRequest } from './pagination.js'
import {
  AccountChangesSchema, AccountPageSchema, AccountParamsSchema, AccountSchema, errors, NewAccountSchema, NoContentSchema, PageQuerySchema,
  security, tags
} from './schemas.js'

const accountRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db, config } = app

  app.post('/accounts', {
    onRequest: requireSuperAdmin,
    schema: {
      tags,
      operationId: 'createAccount',
      summary: 'Create an account (super-admin)',
      description: 'The id may be given (tenants of some APIs are usually numeric strings) or is generated.',
      security,
      body: NewAccountSchema,
      response: { 201: AccountSchema, ...errors(400, 401, 403, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const account = await audited(db, auditContextOf(request), (trx) => createAccount(trx, { id: request.body.id, name: request.body.name }),
      (made) => ({ kind: 'account.created', accountId: made.id, object: { type: 'account', id: made.id }, details: { name: made.name } }))
    request.log.info({ accountId: account.id }, 'account created')
    return reply.code(201).send(toAccount(account))
  })

  app.get('/accounts', {
    onRequest: requireAnyAccountAdmin,
    schema: {
      tags,
      operationId: 'listAccounts',
      summary: 'List accounts by id (an account admin sees only their own)',
      description: 'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      querystring: PageQuerySchema,
      response: { 200: AccountPageSchema, ...errors(400, 401, 403, 503) }
    }
  }, async (request, reply) => {
    const caller = await principalOf(request)
    const page = pageRequest(request.query)
    const accounts = await listVisibleAccounts(db, isSuperAdmin(caller, config.admin.account) ? 'all' : { only: caller.accountId! }, page)
    return pageReply(request, reply, accounts, page.limit, (account) => account.id, toAccount)
  })

  app.get('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'getAccount',
      summary: 'Get an account',
      description: 'An account administrator sees their own account; a super-admin (of TESSERA_ADMIN_ACCOUNT) sees any.',
      security,
      params: AccountParamsSchema,
      response: { 200: AccountSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    return toAccount(await existingAccount(db, request.params.accountId))
  })

  app.patch('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    preHandler: requireAccountUsersConfined,
    schema: {
      tags,
      operationId: 'updateAccount',
      summary: 'Rename, enable or disable an account',
      description: 'Disabling an account ends its users\' sessions at once. The administrators\' account cannot be disabled (409). ' +
        'An account admin may not disable an account whose users hold roles on other accounts (403); a super-admin may.',
      security,
      params: AccountParamsSchema,
      body: AccountChangesSchema,
      response: { 200: AccountSchema, ...errors(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request) => {
    const { accountId } = request.params
    const account = await audited(db, auditContextOf(request), (trx) => changeAccount(trx, accountId, request.body, config.admin.account),
      () => ({ kind: 'account.changed', accountId, object: { type: 'account', id: accountId }, details: { changes: request.body } }))
    request.log.info({ accountId, changed: Object.keys(request.body) }, 'account changed')
    return toAccount(account)
  })

  app.delete('/accounts/:accountId', {
    onRequest: requireAccountAdmin,
    preHandler: requireAccountUsersConfined,
    schema: {
      tags,
      operationId: 'deleteAccount',
      summary: 'Delete an account with its users, roles, keys and tokens',
      description: 'The administrators\' account cannot be deleted (409). An account admin may not delete an account whose users hold roles on other accounts (403); a super-admin may.',
      security,
      params: AccountParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 409, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId } = request.params
    await audited(db, auditContextOf(request), (trx) => removeAccount(trx, accountId, config.admin.account),
      () => ({ kind: 'account.deleted', accountId, object: { type: 'account', id: accountId } }))
    request.log.info({ accountId }, 'account deleted')
    return reply.code(204).send(null)
  })
}

export default accountRoutes
