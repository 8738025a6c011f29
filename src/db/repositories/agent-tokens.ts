import type { Database } from '../database.js'
import type { AgentTokenRow, NewAgentToken } from '../schema.js'

/** Never secret_hash: it is only ever a lookup key. */
const AGENT_TOKEN_COLUMNS = ['account_id', 'sort_key', 'token_sealed', 'label', 'created_at', 'updated_at'] as const

export type AgentTokenRecord = Pick<AgentTokenRow, typeof AGENT_TOKEN_COLUMNS[number]>

export async function insertAgentToken (db: Database, token: NewAgentToken): Promise<void> {
  await db.insertInto('agent_tokens').values(token).execute()
}

export function findAgentToken (db: Database, accountId: string, secretHash: Uint8Array): Promise<AgentTokenRecord | undefined> {
  return db.selectFrom('agent_tokens').select(AGENT_TOKEN_COLUMNS)
    .where('secret_hash', '=', secretHash)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
}

/**
 * Keyset page in id order: `from` is inclusive (Monitoring markers name the first item of the
 * page). One range scan of the primary key, whatever the table size. Returns up to `limit + 1`
 * rows (see toKeysetPage).
 */
export function listAgentTokens (db: Database, accountId: string, page: { from?: string | undefined, limit: number }): Promise<AgentTokenRecord[]> {
  let query = db.selectFrom('agent_tokens').select(AGENT_TOKEN_COLUMNS)
    .where('account_id', '=', accountId)
    .orderBy('sort_key')
    .limit(page.limit + 1)
  if (page.from !== undefined) query = query.where('sort_key', '>=', page.from)
  return query.execute()
}

/** Sets the label (null clears it); the row's sort key, or undefined when there is no such token. */
export async function updateAgentTokenLabel (db: Database, accountId: string, secretHash: Uint8Array, label: string | null): Promise<string | undefined> {
  const row = await db.updateTable('agent_tokens')
    .set({ label, updated_at: new Date() })
    .where('secret_hash', '=', secretHash)
    .where('account_id', '=', accountId)
    .returning('sort_key')
    .executeTakeFirst()
  return row?.sort_key
}

export async function deleteAgentToken (db: Database, accountId: string, secretHash: Uint8Array): Promise<boolean> {
  const result = await db.deleteFrom('agent_tokens')
    .where('secret_hash', '=', secretHash)
    .where('account_id', '=', accountId)
    .executeTakeFirst()
  return result.numDeletedRows > 0n
}
