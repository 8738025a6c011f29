import type { Database } from '../database.js'
import type { AccountRow } from '../schema.js'

export interface RoleAssignment {
  userId: string
  accountId: string
  role: string
}

/** Idempotent: granting a role the user already holds changes nothing. */
export async function grantRole (db: Database, assignment: RoleAssignment): Promise<void> {
  await db.insertInto('role_assignments')
    .values({ user_id: assignment.userId, account_id: assignment.accountId, role: assignment.role })
    .onConflict((conflict) => conflict.doNothing())
    .execute()
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

export async function holdsAnyRole (db: Database, userId: string, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('role_assignments').select('role')
    .where('user_id', '=', userId).where('account_id', '=', accountId).limit(1).executeTakeFirst()
  return row !== undefined
}

/** Role names per account for one user. */
export async function listRolesByAccount (db: Database, userId: string): Promise<Map<string, string[]>> {
  return (await listRolesByAccountOfUsers(db, [userId])).get(userId) ?? new Map()
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

/**
 * The enabled and disabled accounts on which a user holds any role, by id. `after` is
 * exclusive (Keystone's marker); returns up to `limit + 1` rows when a limit is given.
 */
export function listAccountsWithRoles (db: Database, userId: string, page: { after?: string | undefined, limit?: number | undefined }): Promise<AccountRow[]> {
  let query = db.selectFrom('accounts')
    .select(['accounts.id', 'accounts.name', 'accounts.enabled', 'accounts.created_at', 'accounts.updated_at'])
    .where((eb) => eb.exists(eb.selectFrom('role_assignments').select('role')
      .whereRef('role_assignments.account_id', '=', 'accounts.id').where('role_assignments.user_id', '=', userId)))
    .orderBy('accounts.id')
  if (page.after !== undefined) query = query.where('accounts.id', '>', page.after)
  if (page.limit !== undefined) query = query.limit(page.limit + 1)
  return query.execute()
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
