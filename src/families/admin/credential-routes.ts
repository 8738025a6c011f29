import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import type { FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import { ADMIN_ROLE, hasRoleOn, type Principal } from '../../core/principal.js'
import type { Database } from '../../db/database.js'
import { isUnscopedSession } from '../../db/repositories/auth-sessions.js'
import type { CredentialRecord } from '../../db/repositories/credentials.js'
import { userHoldsRolesElsewhere } from '../../db/repositories/role-assignments.js'
import { principalOf, requireAuthentication } from '../../plugins/auth/auth.js'
import { auditContextOf } from '../../plugins/records/audit.js'
import { credentialNotFound, credentialView, existingCredential, revokeCredential } from '../../services/credentials.js'
import { isSuperAdmin } from './access.js'
import { CredentialParamsSchema, CredentialSchema } from './credential-schemas.js'
import { errors, NoContentSchema, security, tags } from './schemas.js'

/** The user who holds the credential or made it: they may see and end it without being an admin. */
function isOwnedBy (credential: CredentialRecord, caller: Principal): boolean {
  return caller.kind === 'user' && ((credential.owner.type === 'user' && credential.owner.id === caller.id) || credential.createdBy === caller.id)
}

/**
 * The credential, if the caller may reach it: an admin of its account (or a super-admin), or its
 * holder or maker. Anyone else gets the 404 of an unknown accessor, so a guess reveals nothing.
 */
async function reachableCredential (request: FastifyRequest<{ Params: { accountId: string, accessor: string } }>): Promise<{ credential: CredentialRecord, caller: Principal, admin: boolean }> {
  const { accountId, accessor } = request.params
  const caller = await principalOf(request)
  const superAdmin = isSuperAdmin(caller, request.server.config.admin.account)
  const admin = superAdmin || hasRoleOn(caller, accountId, ADMIN_ROLE)
  const credential = await existingCredential(request.server.db, accountId, accessor)
  if (!admin && !isOwnedBy(credential, caller)) throw credentialNotFound(accessor)
  if (admin && !superAdmin && !isOwnedBy(credential, caller) && await reachesBeyond(request.server.db, credential, accountId)) throw new Forbidden()
  return { credential, caller, admin }
}

/**
 * A user's API key, or a session scoped to no account, opens every account its user holds roles
 * on: while that user holds roles beyond this account, only a super-admin reaches it (as for the
 * kill switch and every other change to such a user).
 */
async function reachesBeyond (db: Database, credential: CredentialRecord, accountId: string): Promise<boolean> {
  const opensEveryAccount = credential.kind === 'api-key' || (credential.kind === 'session' && await isUnscopedSession(db, credential.accessor))
  return opensEveryAccount && userHoldsRolesElsewhere(db, credential.owner.id, accountId)
}

/** Any credential by its accessor (issue 21, item 1): what it is, and ending it. */
const credentialRoutes: FastifyPluginAsyncTypebox = async (app) => {
  const { db } = app

  app.get('/accounts/:accountId/credentials/:accessor', {
    onRequest: requireAuthentication,
    schema: {
      tags,
      operationId: 'getCredential',
      summary: 'Look up any credential by its accessor: kind, owner, maker, dates, last use and use count',
      description: 'Every credential kind of the four APIs has an accessor, a non-secret handle shown when it is made. ' +
        'An account admin sees every credential of the account; a user, those they hold or made (404 for any other).',
      security,
      params: CredentialParamsSchema,
      response: { 200: CredentialSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request) => credentialView((await reachableCredential(request)).credential))

  app.delete('/accounts/:accountId/credentials/:accessor', {
    onRequest: requireAuthentication,
    schema: {
      tags,
      operationId: 'revokeCredential',
      summary: 'Revoke any credential by its accessor, at once on every replica',
      description: 'Each kind ends its own way: a session is revoked, a user\'s API key deleted; a token is revoked or deleted as its API does; a machine\'s API key is replaced by one nobody holds. ' +
        'Its API answers 401 to it from then on. One audit event (`credential.revoked`). Revoking one that is already revoked or expired changes nothing (204); one its revocation deleted is gone (404). ' +
        'An account admin may revoke any credential of the account (a user\'s API key only while that user holds no roles elsewhere, else a super-admin); a user, those they hold or made.',
      security,
      params: CredentialParamsSchema,
      response: { 204: NoContentSchema, ...errors(400, 401, 403, 404, 503) }
    }
  }, async (request, reply) => {
    const { accountId, accessor } = request.params
    const { credential } = await reachableCredential(request)
    await revokeCredential(db, app.credentialTools.box, app.families, auditContextOf(request), accountId, accessor)
    request.log.info({ accountId, accessor, kind: credential.kind }, 'credential revoked')
    return reply.code(204).send(null)
  })
}

export default credentialRoutes
