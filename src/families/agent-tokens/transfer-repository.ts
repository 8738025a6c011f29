import { sql } from 'kysely'
import type { Database } from '../../db/database.js'
import { columnArrays, insertFromArrays, type ArrayColumn } from '../../db/array-insert.js'
import { runBuiltOnce } from '../../db/compiled-once.js'
import { EXPORT_PAGE } from '../../db/repositories/transfer-export.js'

/** What an export reads and an import writes of agent tokens (transfer.ts). */

export interface ExportedAgentToken { account_id: string, sort_key: string, accessor: string, label: string | null, created_by: string | null, created_at: Date, secret_hash: Uint8Array, token_sealed: Uint8Array }

export function agentTokenPage (db: Database, after: { accountId: string, sortKey: string } | undefined): Promise<ExportedAgentToken[]> {
  return db.selectFrom('agent_tokens')
    .select(['account_id', 'sort_key', 'accessor', 'label', 'created_by', 'created_at', 'secret_hash', 'token_sealed'])
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(account_id, sort_key) > (${after!.accountId}, ${after!.sortKey})`))
    .orderBy('account_id').orderBy('sort_key').limit(EXPORT_PAGE).execute()
}

export interface ImportedAgentToken {
  account_id: string
  sort_key: string
  secret_hash: Uint8Array
  token_sealed: Uint8Array
  accessor: string
  label: string | null
  created_by: string | null
  created_at: Date
}

/** The stored tokens that share a lookup hash, an accessor, or an account and sort key with any of `tokens`. */
export async function agentTokenConflicts (db: Database, tokens: readonly ImportedAgentToken[]): Promise<Array<Pick<ImportedAgentToken, 'account_id' | 'sort_key' | 'secret_hash' | 'accessor'>>> {
  if (tokens.length === 0) return []
  // Three index lookups, not one OR (which the planner answers with a scan of the whole table).
  const result = await sql<Pick<ImportedAgentToken, 'account_id' | 'sort_key' | 'secret_hash' | 'accessor'>>`
    select account_id, sort_key, secret_hash, accessor from agent_tokens where secret_hash = any(${tokens.map((token) => token.secret_hash)}::bytea[])
    union
    select account_id, sort_key, secret_hash, accessor from agent_tokens where accessor = any(${tokens.map((token) => token.accessor)}::text[])
    union
    select t.account_id, t.sort_key, t.secret_hash, t.accessor from agent_tokens t
      join unnest(${tokens.map((token) => token.account_id)}::text[], ${tokens.map((token) => token.sort_key)}::text[]) as k(account_id, sort_key)
      on t.account_id = k.account_id and t.sort_key = k.sort_key`.execute(db)
  return result.rows
}

const AGENT_TOKEN_COLUMNS: ReadonlyArray<ArrayColumn<ImportedAgentToken>> = [
  { name: 'account_id', type: 'text' },
  { name: 'sort_key', type: 'text' },
  { name: 'secret_hash', type: 'bytea' },
  { name: 'token_sealed', type: 'bytea' },
  { name: 'accessor', type: 'text' },
  { name: 'label', type: 'text' },
  { name: 'created_by', type: 'text' },
  { name: 'created_at', type: 'timestamptz' }
]

const INSERT_AGENT_TOKENS = insertFromArrays('agent_tokens', AGENT_TOKEN_COLUMNS, 1)

/** Many tokens in one statement (one array a column): an import's batch in one round trip. */
export async function insertImportedAgentTokens (db: Database, tokens: readonly ImportedAgentToken[]): Promise<void> {
  if (tokens.length === 0) return
  await runBuiltOnce(db, INSERT_AGENT_TOKENS, columnArrays(tokens, AGENT_TOKEN_COLUMNS))
}
