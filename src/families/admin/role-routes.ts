import type { FastifyInstance } from 'fastify'
import { NotFound } from '../../core/errors.js'
import { assignRole, withdrawRole } from '../../services/identity.js'
import { changeableUser, requireAccountAdmin } from './access.js'
import { CHANGE_NOTE, errorResponses, NoContentSchema, RoleParamsSchema, security, tags, type RoleParams } from './schemas.js'

/** Roles of an account's users on that account. */
export default async function roleRoutes (app: FastifyInstance) {
  const { db } = app

  app.put<{ Params: RoleParams }>('/accounts/:accountId/users/:userId/roles/:role', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'grantRole',
      summary: 'Grant a user a role on their account (idempotent)',
      description: `Takes effect for tokens issued from now on. ${CHANGE_NOTE}`,
      security,
      params: RoleParamsSchema,
      response: { 204: NoContentSchema, ...errorResponses(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId, role } = request.params
    await changeableUser(request, accountId, userId)
    await assignRole(db, userId, accountId, role)
    request.log.info({ accountId, userId, role }, 'role granted')
    return reply.code(204).send()
  })

  app.delete<{ Params: RoleParams }>('/accounts/:accountId/users/:userId/roles/:role', {
    onRequest: requireAccountAdmin,
    schema: {
      tags,
      operationId: 'revokeRole',
      summary: 'Withdraw a role from a user',
      description: `The user's tokens on the account that carry the role are revoked with it. 404 when the user did not hold the role. ${CHANGE_NOTE}`,
      security,
      params: RoleParamsSchema,
      response: { 204: NoContentSchema, ...errorResponses(400, 401, 403, 404, 413, 503) }
    }
  }, async (request, reply) => {
    const { accountId, userId, role } = request.params
    await changeableUser(request, accountId, userId)
    if (!await withdrawRole(db, userId, accountId, role)) {
      throw new NotFound(`user ${userId} does not hold role ${role} on account ${accountId}`, { type: 'RoleAssignment', key: role })
    }
    request.log.info({ accountId, userId, role }, 'role revoked')
    return reply.code(204).send()
  })
}
