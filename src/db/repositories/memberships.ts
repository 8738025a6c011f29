import type { Database } from '../database.js'

/** Whether the account exists and the user is of it: their home account, or one they hold a role on. */
export async function isUserOfAccount (db: Database, accountId: string, userId: string): Promise<boolean> {
  const row = await db.selectFrom('users')
    .innerJoin('accounts', (join) => join.on('accounts.id', '=', accountId))
    .select('users.id')
    .where('users.id', '=', userId)
    .where((eb) => eb.or([
      eb('users.account_id', '=', accountId),
      eb.exists(eb.selectFrom('role_assignments').select('role')
        .whereRef('role_assignments.user_id', '=', 'users.id').where('role_assignments.account_id', '=', accountId))
    ]))
    .executeTakeFirst()
  return row !== undefined
}
