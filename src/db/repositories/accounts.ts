import { sql } from 'kysely'
import type { Insertable, Selectable, Updateable } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { Database } from '../database.js'
import { keysetPage } from '../keyset.js'
import type { Accounts } from '../schema.js'

export type AccountRow = Selectable<Accounts>
export type NewAccount = Insertable<Accounts>
type AccountUpdate = Updateable<Accounts>

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

/** A keyset page of accounts by id (see toKeysetPage). */
export function listAccounts (db: Database, page: KeysetRequest): Promise<AccountRow[]> {
  return db.selectFrom('accounts').select(ACCOUNT_COLUMNS).$call(keysetPage('id', page)).execute()
}

export function updateAccount (db: Database, id: string, changes: Omit<AccountUpdate, 'id' | 'updated_at'>): Promise<AccountRow | undefined> {
  return db.updateTable('accounts').set({ ...changes, updated_at: sql<Date>`now()` }).where('id', '=', id).returning(ACCOUNT_COLUMNS).executeTakeFirst()
}

export async function deleteAccount (db: Database, id: string): Promise<boolean> {
  const result = await db.deleteFrom('accounts').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** listAccounts narrowed to the given ids (an account admin sees only their own account). */
export function listAccountsAmong (db: Database, ids: readonly string[], page: KeysetRequest): Promise<AccountRow[]> {
  if (ids.length === 0) return Promise.resolve([])
  return db.selectFrom('accounts').select(ACCOUNT_COLUMNS).where('id', 'in', ids).$call(keysetPage('id', page)).execute()
}
