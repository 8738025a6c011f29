import type { FastifyRequest } from 'fastify'
import { Forbidden } from '../../core/errors.js'
import { ADMIN_ROLE, hasRoleOn, type Principal } from '../../core/principal.js'
import { accountUsersHoldRolesElsewhere, holdsAnyRole, userHoldsRolesElsewhere } from '../../db/repositories/role-assignments.js'
import { findUserById, findUserInAccount } from '../../db/repositories/users.js'
import { principalOf } from '../../plugins/auth/auth.js'
import { isUserOfAccount } from '../../db/repositories/memberships.js'
import { userNotFound } from '../../services/lookups.js'

/**
 * Who may do what in the admin API, as route hooks, so handlers only do the work. The admin
 * role on an account lets a session administer that account; on the administrators' account
 * (TESSERA_ADMIN_ACCOUNT) it lets it administer all. The onRequest hooks run before the body
 * is read (401, then 403); the preHandler hooks, after the parameters are validated.
 */

type AccountParams = { accountId: string }
type UserParams = AccountParams & { userId: string }

export function isSuperAdmin (caller: Principal, adminAccount: string): boolean {
  return hasRoleOn(caller, adminAccount, ADMIN_ROLE)
}

export async function callerIsSuperAdmin (request: FastifyRequest): Promise<boolean> {
  return isSuperAdmin(await principalOf(request), request.server.config.admin.account)
}

/** onRequest, for routes under /accounts/{accountId}: an admin of that account, or a super-admin. */
export async function requireAccountAdmin (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  const { accountId } = request.params as AccountParams
  if (!isSuperAdmin(caller, request.server.config.admin.account) && !hasRoleOn(caller, accountId, ADMIN_ROLE)) throw new Forbidden()
}

/**
 * onRequest, for what a user may read of their own under /accounts/{accountId}/users/{userId}:
 * the account's admin, a super-admin, or that user with a session scoped to the account. Anyone
 * else gets 403 before any lookup, so it does not tell whether another user exists.
 */
export async function requireAccountAdminOrSelf (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  const { accountId, userId } = request.params as UserParams
  if (caller.kind === 'user' && caller.id === userId && caller.accountId === accountId) return
  await requireAccountAdmin(request)
}

/** preHandler: the user is of the account (home, or holding a role on it); 404 otherwise. */
export async function requireUserOfAccount (request: FastifyRequest): Promise<void> {
  const { accountId, userId } = request.params as UserParams
  if (!await isUserOfAccount(request.server.db, accountId, userId)) throw userNotFound(userId)
}

/** onRequest, for routes that reach beyond one account (creating accounts). */
export async function requireSuperAdmin (request: FastifyRequest): Promise<void> {
  if (!await callerIsSuperAdmin(request)) throw new Forbidden()
}

/** onRequest, for listing accounts: any account admin; what they see is narrowed to their own. */
export async function requireAnyAccountAdmin (request: FastifyRequest): Promise<void> {
  const caller = await principalOf(request)
  if (caller.accountId === null || !hasRoleOn(caller, caller.accountId, ADMIN_ROLE)) throw new Forbidden()
}

/**
 * preHandler, for routes that change a user (profile, password, API key, deletion): a user
 * of the account, whom an account admin may change only while they hold no roles on other
 * accounts — a new password or API key would hand over those roles (a super-admin's among
 * them). Only a super-admin may change such a user. 404 for anyone not of the account.
 */
export async function requireChangeableUser (request: FastifyRequest): Promise<void> {
  const { accountId, userId } = request.params as UserParams
  const { db } = request.server
  if (!await findUserInAccount(db, accountId, userId)) throw userNotFound(userId)
  if (!await callerIsSuperAdmin(request) && await userHoldsRolesElsewhere(db, userId, accountId)) throw new Forbidden()
}

/**
 * preHandler, for disabling or deleting an account: that locks out or deletes its users, so
 * an account admin may do it only while none of them holds roles elsewhere (the same rule).
 */
export async function requireAccountUsersConfined (request: FastifyRequest): Promise<void> {
  const { accountId } = request.params as AccountParams
  const body = request.body as { enabled?: boolean } | undefined
  if (request.method === 'PATCH' && body?.enabled !== false) return
  if (await callerIsSuperAdmin(request)) return
  if (await accountUsersHoldRolesElsewhere(request.server.db, accountId)) throw new Forbidden()
}

/**
 * preHandler, for granting a role on the account. A super-admin may grant it to a user of any
 * account (Keystone's one user, roles on many tenants); an account admin only to the account's
 * own changeable users, so no account can entangle another's. A user of another account who
 * already holds a role here is visible to this account's admin (403), any other is not (404).
 */
export async function requireGrantee (request: FastifyRequest): Promise<void> {
  const { accountId, userId } = request.params as UserParams
  const { db } = request.server
  if (await callerIsSuperAdmin(request)) {
    if (!await findUserById(db, userId)) throw userNotFound(userId)
  } else if (await findUserInAccount(db, accountId, userId)) {
    await requireChangeableUser(request)
  } else {
    throw await holdsAnyRole(db, userId, accountId) ? new Forbidden() : userNotFound(userId)
  }
}

/**
 * preHandler, for reading or withdrawing a user's roles on the account: withdrawing only
 * narrows access to this account, so its admin may act on any user holding roles here, home
 * user or not. A super-admin reaches every user.
 */
export async function requireRoleHolder (request: FastifyRequest): Promise<void> {
  const { accountId, userId } = request.params as UserParams
  const { db } = request.server
  const user = await findUserById(db, userId)
  if (user && (user.account_id === accountId || await callerIsSuperAdmin(request) || await holdsAnyRole(db, userId, accountId))) return
  throw userNotFound(userId)
}
