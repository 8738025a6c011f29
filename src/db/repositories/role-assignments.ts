import { sql, type RawBuilder } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { Database } from '../database.js'
import { keysetPage } from '../keyset.js'
import type { AccountRow } from './accounts.js'

export interface RoleAssignment {
  userId: string
  accountId: string
  role: string
}

/** Idempotent: granting a role the user already holds changes nothing. Whether it was granted now. */
export async function grantRole (db: Database, assignment: RoleAssignment): Promise<boolean> {
  const granted = await db.insertInto('role_assignments')
    .values({ user_id: assignment.userId, account_id: assignment.accountId, role: assignment.role })
    .onConflict((conflict) => conflict.doNothing())
    .returning('role')
    .executeTakeFirst()
  return granted !== undefined
}

export async function revokeRole (db: Database, assignment: RoleAssignment): Promise<boolean> {
  const result = await db.deleteFrom('role_assignments')
    .where('user_id', '=', assignment.userId)
    .where('account_id', '=', assignment.accountId)
    .where('role', '=', assignment.role)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function listRoleNames (db: Database, userId: string, accountId: string): Promise<string[]> {
  const rows = await db.selectFrom('role_assignments').select('role')
    .where('user_id', '=', userId).where('account_id', '=', accountId).orderBy('role').execute()
  return rows.map((row) => row.role)
}

/**
 * The role names a user holds on an account, in name order ('{}' for none, or a null account), as
 * a scalar subquery: it reads them in the query that finds the account. Each argument is a value
 * or a column reference (`sql.ref`).
 */
export function roleNamesOn (userId: string | RawBuilder<unknown>, accountId: string | RawBuilder<unknown>): RawBuilder<string[]> {
  return sql<string[]>`coalesce((select array_agg(role_assignments.role order by role_assignments.role) from role_assignments where role_assignments.user_id = ${userId} and role_assignments.account_id = ${accountId}), '{}')`
}

/** How a login names the account it is scoped to. */
export type AccountKey = { id: string } | { name: string }

/** An account a login may be scoped to (enabled or not), with the roles the user holds on it. */
export interface AccountWithRoles {
  id: string
  name: string
  enabled: boolean
  roles: string[]
}

/** The account `key` names and the role names `userId` holds on it, in one query. */
export function findAccountWithRoles (db: Database, userId: string, key: AccountKey): Promise<AccountWithRoles | undefined> {
  return db.selectFrom('accounts')
    .select(['accounts.id', 'accounts.name', 'accounts.enabled', roleNamesOn(userId, sql.ref('accounts.id')).as('roles')])
    .where((eb) => 'id' in key ? eb('accounts.id', '=', key.id) : eb('accounts.name', '=', key.name))
    .executeTakeFirst()
}

export async function holdsAnyRole (db: Database, userId: string, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('role_assignments').select('role')
    .where('user_id', '=', userId).where('account_id', '=', accountId).limit(1).executeTakeFirst()
  return row !== undefined
}

/** Role names per account for a page of users, in one query. Users without roles are absent. */
export async function listRolesByAccountOfUsers (db: Database, userIds: readonly string[]): Promise<Map<string, Map<string, string[]>>> {
  const byUser = new Map<string, Map<string, string[]>>()
  if (userIds.length === 0) return byUser
  const rows = await db.selectFrom('role_assignments').select(['user_id', 'account_id', 'role'])
    .where('user_id', 'in', userIds).orderBy('user_id').orderBy('account_id').orderBy('role').execute()
  for (const row of rows) {
    const byAccount = byUser.get(row.user_id) ?? new Map<string, string[]>()
    byAccount.set(row.account_id, [...(byAccount.get(row.account_id) ?? []), row.role])
    byUser.set(row.user_id, byAccount)
  }
  return byUser
}

/** A keyset page of the enabled and disabled accounts on which a user holds any role, by id. */
export function listAccountsWithRoles (db: Database, userId: string, page: KeysetRequest): Promise<AccountRow[]> {
  return db.selectFrom('accounts')
    .select(['accounts.id', 'accounts.name', 'accounts.enabled', 'accounts.created_at', 'accounts.updated_at'])
    .where((eb) => eb.exists(eb.selectFrom('role_assignments').select('role')
      .whereRef('role_assignments.account_id', '=', 'accounts.id').where('role_assignments.user_id', '=', userId)))
    .$call(keysetPage('accounts.id', page))
    .execute()
}

/** Role names on one account for a page of users, in one query. Users without roles are absent from the map. */
export async function listRoleNamesOfUsers (db: Database, accountId: string, userIds: readonly string[]): Promise<Map<string, string[]>> {
  const byUser = new Map<string, string[]>()
  if (userIds.length === 0) return byUser
  const rows = await db.selectFrom('role_assignments').select(['user_id', 'role'])
    .where('account_id', '=', accountId).where('user_id', 'in', userIds).orderBy('user_id').orderBy('role').execute()
  for (const row of rows) byUser.set(row.user_id, [...(byUser.get(row.user_id) ?? []), row.role])
  return byUser
}

/** Whether a user holds a role on any account other than `accountId`. */
export async function userHoldsRolesElsewhere (db: Database, userId: string, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('role_assignments').select('role')
    .where('user_id', '=', userId).where('account_id', '<>', accountId).limit(1).executeTakeFirst()
  return row !== undefined
}

/** Whether any user whose home is `accountId` holds a role on another account. */
export async function accountUsersHoldRolesElsewhere (db: Database, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.user_id')
    .select('role_assignments.role')
    .where('users.account_id', '=', accountId)
    .where('role_assignments.account_id', '<>', accountId)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

export interface AccountRole {
  accountId: string
  accountName: string
  role: string
}

/** A user's roles on every account (or only on `onAccount`), by account id then role. */
export async function listAccountRolesOfUser (db: Database, userId: string, onAccount?: string): Promise<AccountRole[]> {
  let query = db.selectFrom('role_assignments')
    .innerJoin('accounts', 'accounts.id', 'role_assignments.account_id')
    .select(['role_assignments.account_id as accountId', 'accounts.name as accountName', 'role_assignments.role'])
    .where('role_assignments.user_id', '=', userId)
    .orderBy('role_assignments.account_id').orderBy('role_assignments.role')
  if (onAccount !== undefined) query = query.where('role_assignments.account_id', '=', onAccount)
  return query.execute()
}
