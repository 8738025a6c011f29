import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Type } from 'typebox'
import { Forbidden } from '../../core/errors.js'
import { ADMIN_ROLE, hasRoleOn } from '../../core/principal.js'
import { principalOf, requireAuthentication } from '../../plugins/auth/auth.js'
import { listUsersWithAllRoles, withRolesOn } from '../../services/directory.js'
import { accountNotFound, resolveAccount, resolveUser, userNotFound } from '../../services/lookups.js'
import { isSuperAdmin } from './access.js'
import { toAccount, toUser } from '../../services/views.js'
import { pageReply, pageRequest } from './pagination.js'
import { AccountSchema, errors, EXAMPLE_USER, pageOf, PageQuerySchema, security, tags, UserSchema } from './schemas.js'

/**
 * Finding an account or a user by id or by name, as an operator types them (the CLI through a
 * server), and every user with their roles on every account. A caller who may not administer
 * what a name resolves to gets the 404 of an unknown name: a guess reveals nothing.
 */

const RefParamsSchema = Type.Object({
  ref: Type.String({ minLength: 1, maxLength: 128, description: 'An id, else a name', examples: ['acme'] })
})

const ListedUserSchema = Type.Object({
  ...UserSchema.properties,
  roles: Type.Record(Type.String(), Type.Array(Type.String()), { description: 'The user\'s roles on every account, by account id', examples: [{ 123456: ['admin'] }] })
}, { examples: [{ ...EXAMPLE_USER, roles: { 123456: ['member'] } }] })

const ListedUserPageSchema = pageOf(ListedUserSchema, 'A page of users, by id')

const UserDirectoryQuerySchema = Type.Object({
  limit: PageQuerySchema.properties.limit,
  after: PageQuerySchema.properties.after,
  account: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Only the users whose home is this account (id), e.g. `123456`' }))
})

async function administers (request: FastifyRequest, accountId: string): Promise<boolean> {
  const caller = await principalOf(request)
  return isSuperAdmin(caller, request.server.config.admin.account) || hasRoleOn(caller, accountId, ADMIN_ROLE)
}

/** onRequest: a super-admin, or (with `account`) an admin of that account. */
async function requireDirectoryReader (request: FastifyRequest): Promise<void> {
  const { account } = request.query as { account?: string }
  const caller = await principalOf(request)
  if (isSuperAdmin(caller, request.server.config.admin.account)) return
  if (account === undefined || !hasRoleOn(caller, account, ADMIN_ROLE)) throw new Forbidden()
}

const lookupRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get('/lookup/accounts/:ref', {
    onRequest: requireAuthentication,
    schema: {
      tags,
      operationId: 'lookUpAccount',
      summary: 'Find an account by id, else by name',
      description: 'For an admin of the account, or a super-admin; 404 for anyone else, as for an unknown account.',
      security,
      params: RefParamsSchema,
      response: { 200: AccountSchema, ...errors(400, 401, 404, 503) }
    }
  }, async (request) => {
    const { ref } = request.params
    const account = await resolveAccount(db, ref)
    if (!await administers(request, account.id)) throw accountNotFound(ref)
    return toAccount(account)
  })

  app.get('/lookup/users/:ref', {
    onRequest: requireAuthentication,
    schema: {
      tags,
      operationId: 'lookUpUser',
      summary: 'Find a user by id, else by name (user names are unique across accounts)',
      description: 'For an admin of the user\'s home account, or a super-admin; 404 for anyone else, as for an unknown user. `roles` are those on the home account.',
      security,
      params: RefParamsSchema,
      response: { 200: UserSchema, ...errors(400, 401, 404, 503) }
    }
  }, async (request) => {
    const { ref } = request.params
    const user = await resolveUser(db, ref)
    if (!await administers(request, user.account_id)) throw userNotFound(ref)
    const { roles } = await withRolesOn(db, user.account_id, user)
    return toUser(user, roles)
  })

  app.get('/users', {
    onRequest: requireDirectoryReader,
    schema: {
      tags,
      operationId: 'listAllUsers',
      summary: 'List users of every account by id, with their roles on every account (super-admin)',
      description: 'With `account`, only the users whose home is that account: its admins may list those. ' +
        'Keyset pages: pass nextCursor as `after` (exclusive), or follow the Link header.',
      security,
      querystring: UserDirectoryQuerySchema,
      response: { 200: ListedUserPageSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const page = pageRequest(request.query)
    const users = await listUsersWithAllRoles(db, request.query.account, page)
    return pageReply(request, reply, users, page.limit, ({ user }) => user.id, ({ user, roles }) => {
      const { roles: _home, ...view } = toUser(user, [])
      return { ...view, roles }
    })
  })
}

export default lookupRoutes
