import type { Database } from '../database.js'
import type { AccountRow, AccountUpdate, NewAccount } from '../schema.js'

const ACCOUNT_COLUMNS = ['id', 'name', 'enabled', 'created_at', 'updated_at'] as const

export function insertAccount (db: Database, account: NewAccount): Promise<AccountRow> {
  return db.insertInto('accounts').values(account).returning(ACCOUNT_COLUMNS).executeTakeFirstOrThrow()
}

export function findAccountById (db: Database, id: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export function findAccountByName (db: Database, name: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('name', '=', name).executeTakeFirst()
}

/** Keyset page by id: `after` is exclusive. Returns up to `limit + 1` rows (see toKeysetPage). */
export function listAccounts (db: Database, page: { after?: string | undefined, limit: number }): Promise<AccountRow[]> {
  let query = db.selectFrom('accounts').select(ACCOUNT_COLUMNS).orderBy('id').limit(page.limit + 1)
  if (page.after !== undefined) query = query.where('id', '>', page.after)
  return query.execute()
}

export function updateAccount (db: Database, id: string, changes: Omit<AccountUpdate, 'id' | 'updated_at'>): Promise<AccountRow | undefined> {
  return db.updateTable('accounts').set({ ...changes, updated_at: new Date() }).where('id', '=', id).returning(ACCOUNT_COLUMNS).executeTakeFirst()
}

export async function deleteAccount (db: Database, id: string): Promise<boolean> {
  const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** listAccounts narrowed to the given ids (an account admin sees only their own account). */
export function listAccountsAmong (db: Database, ids: readonly string[], page: { after?: string | undefined, limit: number }): Promise<AccountRow[]> {
  if (ids.length === 0) return Promise.resolve([])
  let query = db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('id', 'in', ids).orderBy('id').limit(page.limit + 1)
  if (page.after !== undefined) query = query.where('id', '>', page.after)
  return query.execute()
}
