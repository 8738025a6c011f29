import { InvalidInput } from '../core/errors.js'
import { toKeysetPage, type KeysetPage, type KeysetRequest } from '../core/pagination.js'
import type { Database } from '../db/database.js'
import { listAccounts, listAccountsAmong, type AccountRow } from '../db/repositories/accounts.js'
import { holdsAnyRole, listAccountRolesOfUser, listAccountsWithRoles, listRoleNames, listRoleNamesOfUsers, listRolesByAccountOfUsers, type AccountRole } from '../db/repositories/role-assignments.js'
import { listUsers, listUsersInAccount, type UserRecord } from '../db/repositories/users.js'
import { existingAccount, existingUser, existingUserOf } from './lookups.js'

/** Read-side use cases: pages of accounts, users and tenants, with the rules of who sees what. */

/** Keystone's GET /v2.0/tenants: the accounts the user holds a role on; the marker must be one of them. */
export async function listTenantsOf (db: Database, userId: string, page: { marker?: string | undefined, limit?: number | undefined }): Promise<AccountRow[]> {
  if (page.marker !== undefined && !await holdsAnyRole(db, userId, page.marker)) throw new InvalidInput('Marker could not be found')
  const request = { after: page.marker, limit: page.limit }
  return toKeysetPage(await listAccountsWithRoles(db, userId, request), request).items
}

/** Every account for a super-admin; else only the caller's own. */
export async function listVisibleAccounts (db: Database, visible: 'all' | { only: string }, page: KeysetRequest): Promise<KeysetPage<AccountRow>> {
  const rows = visible === 'all' ? await listAccounts(db, page) : await listAccountsAmong(db, [visible.only], page)
  return toKeysetPage(rows, page)
}

export interface UserWithRoles {
  user: UserRecord
  /** Roles on the account listed. */
  roles: string[]
}

/** A page of an account's users with their roles on it; 404 for an unknown account. */
export async function listAccountUsers (db: Database, accountId: string, page: KeysetRequest): Promise<KeysetPage<UserWithRoles>> {
  await existingAccount(db, accountId)
  const { items, next } = toKeysetPage(await listUsersInAccount(db, accountId, page), page)
  const roles = await listRoleNamesOfUsers(db, accountId, items.map((user) => user.id))
  const withRoles = (user: UserRecord) => ({ user, roles: roles.get(user.id) ?? [] })
  return { items: items.map(withRoles), next: next && withRoles(next) }
}

/** A user with their roles on `accountId`. */
export async function withRolesOn (db: Database, accountId: string, user: UserRecord): Promise<UserWithRoles> {
  return { user, roles: await listRoleNames(db, user.id, accountId) }
}

/** A user of the account (their home), with their roles on it; 404 for anyone else. */
export async function accountUser (db: Database, accountId: string, userId: string): Promise<UserWithRoles> {
  return withRolesOn(db, accountId, await existingUserOf(db, accountId, userId))
}

/**
 * A user's role assignments as an admin of `accountId` sees them: every one when it is the
 * user's home account (or the caller sees everything), else only those on `accountId`.
 */
export async function roleAssignmentsSeenFrom (db: Database, accountId: string, userId: string, seesEverything: boolean): Promise<AccountRole[]> {
  const user = await existingUser(db, userId)
  return listAccountRolesOfUser(db, userId, seesEverything || user.account_id === accountId ? undefined : accountId)
}

/** A user with their roles on every account, by account id (the operator's view). */
export interface UserWithAllRoles {
  user: UserRecord
  roles: Record<string, string[]>
}

/** A page of users (of every account, or those whose home is `accountId`) with all their roles. */
export async function listUsersWithAllRoles (db: Database, accountId: string | undefined, page: KeysetRequest): Promise<KeysetPage<UserWithAllRoles>> {
  const rows = accountId === undefined ? await listUsers(db, page) : await listUsersInAccount(db, (await existingAccount(db, accountId)).id, page)
  const { items, next } = toKeysetPage(rows, page)
  const found = await listRolesByAccountOfUsers(db, items.map((user) => user.id))
  const withRoles = (user: UserRecord) => ({ user, roles: Object.fromEntries(found.get(user.id) ?? []) })
  return { items: items.map(withRoles), next: next && withRoles(next) }
}
