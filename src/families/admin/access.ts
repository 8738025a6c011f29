import type { FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import { ADMIN_ROLE, hasRoleOn, type Principal } from '../../core/principal.js'
import { listRolesByAccount } from '../../db/repositories/role-assignments.js'
import type { UserRecord } from '../../db/repositories/users.js'
import { principalOf } from '../../plugins/auth.js'
import { existingUser } from './lookups.js'

/**
 * Who may do what: the admin role on an account lets a session administer that account;
 * the admin role on the administrators' account (TESSERA_ADMIN_ACCOUNT) lets it administer all.
 * The hooks run on request, before the body is read: 401, then 403, then anything else.
 */

export function isSuperAdmin (caller: Principal, adminAccount: string): boolean {
  return hasRoleOn(caller, adminAccount, ADMIN_ROLE)
}

function mayAdminister (caller: Principal, accountId: string, adminAccount: string): boolean {
  return isSuperAdmin(caller, adminAccount) || hasRoleOn(caller, accountId, ADMIN_ROLE)
}

/** For routes under /accounts/{accountId}: an admin of that account, or a super-admin. */
export async function requireAccountAdmin (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  const { accountId } = request.params as { accountId: string }
  if (!mayAdminister(caller, accountId, request.server.config.admin.account)) throw new Forbidden()
}

/** For routes that reach beyond one account (creating accounts). */
export async function requireSuperAdmin (request: FastifyRequest): Promise<void> {
  if (!isSuperAdmin(await principalOf(request), request.server.config.admin.account)) throw new Forbidden()
}

/** For listing accounts: any account admin; the handler narrows what they see. */
export async function requireAnyAccountAdmin (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  if (caller.accountId === null || !hasRoleOn(caller, caller.accountId, ADMIN_ROLE)) throw new Forbidden()
}

/**
 * The user a caller is about to change. An account admin may not change a user who also
 * holds roles on other accounts: a new password or API key would hand them those roles
 * (a super-admin's among them). Only a super-admin may.
 */
export async function changeableUser (request: FastifyRequest, accountId: string, userId: string): Promise<UserRecord> {
  const { db, config } = request.server
  const user = await existingUser(db, accountId, userId)
  if (isSuperAdmin(await principalOf(request), config.admin.account)) return user
  const rolesByAccount = await listRolesByAccount(db, userId)
  if ([...rolesByAccount.keys()].some((id) => id !== accountId)) throw new Forbidden()
  return user
}
