import { audited } from '../../services/audit.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { NotFound } from '../../core/errors.js'
import { roleAssignmentsSeenFrom } from '../../services/directory.js'
import { assignRole, withdrawRole } from '../../services/identity.js'
import { callerIsSuperAdmin, requireAccountAdmin, requireGrantee, requireRoleHolder } from './access.js'
import { errors, NoContentSchema, RoleAssignmentListSchema, RoleParamsSchema, security, tags, UserParamsSchema } from './schemas.js'

/** Role assignments: a user of one account may hold roles on several (Keystone's model). */
const roleRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get('/accounts/:accountId/users/:userId/roles', {
    onRequest: requireAccountAdmin,
    preHandler: requireRoleHolder,
    schema: {
      tags,
      operationId: 'listUserRoles',
      summary: 'List a user\'s roles on every account',
      description: 'The user is one whose home is the account, or who holds a role on it. A super-admin, or an admin of the ' +
        'user\'s home account, sees every assignment; an admin of another account sees only the roles on that account.',
      security,
      params: UserParamsSchema,
      response: { 200: RoleAssignmentListSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => {
    const { accountId, userId } = request.params
    return { items: await roleAssignmentsSeenFrom(db, accountId, userId, await callerIsSuperAdmin(request)) }
  })

  app.put('/accounts/:accountId/users/:userId/roles/:role', {
    onRequest: requireAccountAdmin,
    preHandler: requireGrantee,
    schema: {
      tags,
      operationId: 'grantRole',
      summary: 'Grant a user a role on an account (idempotent)',
      description: 'Takes effect for tokens issued from now on. A super-admin may grant a role to a user of any account; ' +
        'an account admin only to the account\'s own users who hold no roles elsewhere (403).',
      security,
      params: RoleParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId, role } = request.params
    await audited(db, auditContextOf(request), (trx) => assignRole(trx, userId, accountId, role), () => ({ kind: 'role.granted', accountId, object: { type: 'user', id: userId }, details: { role } }))
    request.log.info({ accountId, userId, role }, 'role granted')
    return reply.code(204).send(null)
  })

  app.delete('/accounts/:accountId/users/:userId/roles/:role', {
    onRequest: requireAccountAdmin,
    preHandler: requireRoleHolder,
    schema: {
      tags,
      operationId: 'revokeRole',
      summary: 'Withdraw a user\'s role on an account',
      description: 'The user\'s tokens on the account that carry the role are revoked with it. An account admin may withdraw ' +
        'roles on their account from any user holding them. 404 when the user did not hold the role.',
      security,
      params: RoleParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId, role } = request.params
    const withdrawn = await audited(db, auditContextOf(request), (trx) => withdrawRole(trx, userId, accountId, role),
      (done) => done ? { kind: 'role.withdrawn', accountId, object: { type: 'user', id: userId }, details: { role } } : undefined)
    if (!withdrawn) {
      throw new NotFound(`user ${userId} does not hold role ${role} on account ${accountId}`, { type: 'RoleAssignment', key: role })
    }
    request.log.info({ accountId, userId, role }, 'role revoked')
    return reply.code(204).send(null)
  })
}

export default roleRoutes
