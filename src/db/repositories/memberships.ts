import type { ExpressionBuilder } from 'kysely'
import type { Database } from '../database.js'
import type { DB } from '../schema.js'

/**
 * The condition that `users` row is of the account: its home account, or one it holds a role
 * on. Every query that asks "is this user a member here?" uses this one.
 */
export function memberOfAccount (accountId: string) {
  return (eb: ExpressionBuilder<DB, 'users'>) => eb.or([
    eb('users.account_id', '=', accountId),
    eb.exists(eb.selectFrom('role_assignments').select('role')
      .whereRef('role_assignments.user_id', '=', 'users.id').where('role_assignments.account_id', '=', accountId))
  ])
}

/** Whether the account exists and the user is of it: their home account, or one they hold a role on. */
export async function isUserOfAccount (db: Database, accountId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users')
    .innerJoin('accounts', (join) => join.on('accounts.id', '=', accountId))
    .select('users.id')
    .where('users.id', '=', userId)
    .where(memberOfAccount(accountId))
    .executeTakeFirst()
  return row !== undefined
}

/** The id of the member of the account named `name`, if any. */
export async function findMemberIdByName (db: Database, accountId: string, name: string): Promise<string | undefined> {
  const row = await db.selectFrom('users').select('users.id').where('users.name', '=', name).where(memberOfAccount(accountId)).executeTakeFirst()
  return row?.id
}
