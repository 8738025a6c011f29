import { NotFound } from '../../core/errors.js'
import type { Database } from '../../db/database.js'
import { findAccountById } from '../../db/repositories/accounts.js'
import { findUserInAccount, type UserRecord } from '../../db/repositories/users.js'
import type { AccountRow } from '../../db/schema.js'

export async function existingAccount (db: Database, accountId: string): Promise<AccountRow> {
  const account = await findAccountById(db, accountId)
  if (!account) throw new NotFound(`account ${accountId} does not exist`, { type: 'Account', key: accountId })
  return account
}

/** A user is reached only through their home account: under any other account they do not exist. */
export async function existingUser (db: Database, accountId: string, userId: string): Promise<UserRecord> {
  const user = await findUserInAccount(db, accountId, userId)
  if (!user) throw new NotFound(`user ${userId} does not exist`, { type: 'User', key: userId })
  return user
}
