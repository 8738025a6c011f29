import type { Database } from '../database.js'

/**
 * What `tessera import` reads and writes of the identity core's tables beyond their own
 * repositories (each family's are in its folder): lookups by the keys an import checks before
 * it writes (so that a line that conflicts writes nothing), and inserts that keep what a line
 * carries (accessor, creation time) where the usual inserts take the table's defaults.
 */

export async function existingAccountIds (db: Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('accounts').select('id').where('id', 'in', [...new Set(ids)]).execute()
  return new Set(rows.map((row) => row.id))
}

export async function apiKeyAccessorTaken (db: Database, accessor: string): Promise<boolean> {
  return (await db.selectFrom('api_keys').select('accessor').where('accessor', '=', accessor).executeTakeFirst()) !== undefined
}

/** A user's API key as stored, for an import to compare with; undefined without one. */
export async function findApiKeyOf (db: Database, userId: string): Promise<{ key_hash: Uint8Array } | undefined> {
  return db.selectFrom('api_keys').select('key_hash').where('user_id', '=', userId).executeTakeFirst()
}

export async function apiKeyHashTaken (db: Database, hash: Uint8Array): Promise<boolean> {
  return (await db.selectFrom('api_keys').select('user_id').where('key_hash', '=', hash).executeTakeFirst()) !== undefined
}

export async function insertImportedApiKey (db: Database, key: { user_id: string, key_hash: Uint8Array, key_sealed: Uint8Array | null, accessor: string, created_at: Date }): Promise<void> {
  await db.insertInto('api_keys').values(key).execute()
}
