import { sql } from 'kysely'
import { newAccessor } from '../../core/accessors.js'
import type { Database } from '../database.js'

/** The accessor prefix of users' API keys. */
const USER_API_KEY_PREFIX = 'uak'

export interface StoredApiKey {
  keyHash: Uint8Array
  /** AES-256-GCM copy under the server key (see core/credentials sealApiKey). */
  keySealed: Uint8Array
}

/** Stores a user's one active key, replacing any earlier one; the new key's accessor (a new key is a new credential). */
export async function replaceApiKey (db: Database, userId: string, key: StoredApiKey): Promise<string> {
  const accessor = newAccessor(USER_API_KEY_PREFIX)
  await db.insertInto('api_keys')
    .values({ user_id: userId, accessor, key_hash: key.keyHash, key_sealed: key.keySealed })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ accessor, key_hash: key.keyHash, key_sealed: key.keySealed, created_at: sql<Date>`now()` }))
    .execute()
  return accessor
}

/** The sealed copy of a user's key; null when the key predates sealed copies, undefined without a key. */
export async function findSealedApiKey (db: Database, userId: string): Promise<Uint8Array | null | undefined> {
  const row = await db.selectFrom('api_keys').select('key_sealed').where('user_id', '=', userId).executeTakeFirst()
  return row?.key_sealed
}

/** Removes the API key with this accessor (a user's, at most one); whether there was one. */
export async function deleteApiKeyByAccessor (db: Database, accessor: string): Promise<boolean> {
  const result = await db.deleteFrom('api_keys').where('accessor', '=', accessor).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Removes a user's API key; with `dryRun`, only tells whether there is one. */
export async function deleteApiKey (db: Database, userId: string, dryRun = false): Promise<boolean> {
  if (dryRun) return (await db.selectFrom('api_keys').select('user_id').where('user_id', '=', userId).executeTakeFirst()) !== undefined
  const result = await db.deleteFrom('api_keys').where('user_id', '=', userId).executeTakeFirst()
  return result.numDeletedRows > 0n
}
