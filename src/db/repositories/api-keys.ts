import type { Database } from '../database.js'

/** Stores a user's one active key, replacing any earlier one. */
export async function replaceApiKey (db: Database, userId: string, keyHash: Uint8Array): Promise<void> {
  await db.insertInto('api_keys')
    .values({ user_id: userId, key_hash: keyHash })
    .onConflict((conflict) => conflict.column('user_id').doUpdateSet({ key_hash: keyHash, created_at: new Date() }))
    .execute()
}
