import { sql } from 'kysely'
import type { Insertable, Selectable } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { Database } from '../../db/database.js'
import { compiledOnce } from '../../db/compiled-once.js'
import { AUDIT_COLUMNS, type NewAuditEvent } from '../../db/repositories/audit-events.js'
import { keysetPage } from '../../db/keyset.js'
import type { AgentTokens } from '../../db/schema.js'

type AgentTokenRow = Selectable<AgentTokens>
type NewAgentToken = Insertable<AgentTokens>

/** Never secret_hash: it is only ever a lookup key. */
const AGENT_TOKEN_COLUMNS = ['account_id', 'sort_key', 'token_sealed', 'label', 'created_at', 'updated_at'] as const

export type AgentTokenRecord = Pick<AgentTokenRow, typeof AGENT_TOKEN_COLUMNS[number]>

// Issuing and reading one token are what the API is called for most: compiled once.
// The token and its audit row are one statement (a data-modifying WITH): atomic, one round trip.
const insertRow = compiledOnce((db, accountId: string, sortKey: string, secretHash: Uint8Array, tokenSealed: Uint8Array, label: string | null, ...audit: unknown[]) =>
  db.with('token', (cte) => cte.insertInto('agent_tokens').values({ account_id: accountId, sort_key: sortKey, secret_hash: secretHash, token_sealed: tokenSealed, label }))
    .insertInto('audit_events').values(Object.fromEntries(AUDIT_COLUMNS.map((column, index) => [column, audit[index]])) as NewAuditEvent))

const findRow = compiledOnce((db, accountId: string, secretHash: Uint8Array) =>
  db.selectFrom('agent_tokens').select(AGENT_TOKEN_COLUMNS).where('secret_hash', '=', secretHash).where('account_id', '=', accountId))

export async function insertAgentToken (db: Database, token: NewAgentToken, audit: NewAuditEvent): Promise<void> {
  await insertRow(db, token.account_id, token.sort_key, token.secret_hash, token.token_sealed, token.label ?? null, ...AUDIT_COLUMNS.map((column) => audit[column] ?? null))
}

export async function findAgentToken (db: Database, accountId: string, secretHash: Uint8Array): Promise<AgentTokenRecord | undefined> {
  return (await findRow(db, accountId, secretHash))[0]
}

/**
 * A keyset page in id order by sort key (see toKeysetPage): the primary key's order, so one
 * range scan whatever the table size.
 */
export function listAgentTokens (db: Database, accountId: string, page: KeysetRequest): Promise<AgentTokenRecord[]> {
  return db.selectFrom('agent_tokens').select(AGENT_TOKEN_COLUMNS)
    .where('account_id', '=', accountId)
    .$call(keysetPage('sort_key', page))
    .execute()
}

/** Sets the label (null clears it); the row's sort key, or undefined when there is no such token. */
export async function updateAgentTokenLabel (db: Database, accountId: string, secretHash: Uint8Array, label: string | null): Promise<string | undefined> {
  const row = await db.updateTable('agent_tokens')
    .set({ label, updated_at: sql<Date>`now()` })
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
