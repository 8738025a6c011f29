import type { Database } from '../database.js'

/**
 * What `tessera export` reads of the identity core's tables (each family reads its own, in its
 * folder), a page at a time in its key's order (one index range scan a page). `after` is the last row's key of the previous page.
 * These are the only reads of password hashes, lookup hashes and sealed copies outside the
 * families' login and lookup paths: an export holds what the database holds.
 */

export const EXPORT_PAGE = 1000

export interface ExportedAccount { id: string, name: string, enabled: boolean, created_at: Date }

export function accountPage (db: Database, after: string | undefined): Promise<ExportedAccount[]> {
  return db.selectFrom('accounts').select(['id', 'name', 'enabled', 'created_at'])
    .$if(after !== undefined, (query) => query.where('id', '>', after!))
    .orderBy('id').limit(EXPORT_PAGE).execute()
}

export interface ExportedUser { id: string, account_id: string, name: string, email: string | null, enabled: boolean, password_hash: string | null, created_at: Date }

export function userPage (db: Database, after: string | undefined): Promise<ExportedUser[]> {
  return db.selectFrom('users').select(['id', 'account_id', 'name', 'email', 'enabled', 'password_hash', 'created_at'])
    .$if(after !== undefined, (query) => query.where('id', '>', after!))
    .orderBy('id').limit(EXPORT_PAGE).execute()
}

export interface ExportedApiKey { user_id: string, user_name: string, accessor: string, created_at: Date, key_hash: Uint8Array, key_sealed: Uint8Array | null }

export function apiKeyPage (db: Database, after: string | undefined): Promise<ExportedApiKey[]> {
  return db.selectFrom('api_keys as k').innerJoin('users as u', 'u.id', 'k.user_id')
    .select(['k.user_id', 'u.name as user_name', 'k.accessor', 'k.created_at', 'k.key_hash', 'k.key_sealed'])
    .$if(after !== undefined, (query) => query.where('k.user_id', '>', after!))
    .orderBy('k.user_id').limit(EXPORT_PAGE).execute()
}
