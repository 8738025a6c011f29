import { sql } from 'kysely'
import type { Insertable, Selectable } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { Database } from '../../db/database.js'
import type { ArrayColumn } from '../../db/array-insert.js'
import { batchedByHash } from '../../db/batched-lookups.js'
import { compiledOnce } from '../../db/compiled-once.js'
import { insertWithAudit } from '../../db/insert-with-audit.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { keysetPage } from '../../db/keyset.js'
import type { AgentTokens } from '../../db/schema.js'

type AgentTokenRow = Selectable<AgentTokens>
type NewAgentToken = Insertable<AgentTokens>

/** Never secret_hash: it is only ever a lookup key. */
const AGENT_TOKEN_COLUMNS = ['account_id', 'sort_key', 'accessor', 'token_sealed', 'label', 'created_at', 'updated_at'] as const

export type AgentTokenRecord = Pick<AgentTokenRow, typeof AGENT_TOKEN_COLUMNS[number]>

// Reading one token is what the API is called for most: compiled once, and the reads of
// concurrent requests share a statement (db/batched-lookups.ts); each keeps only a row of its tenant.
const rowsByHash = compiledOnce((db, hashes: Buffer[]) =>
  db.selectFrom('agent_tokens').select([...AGENT_TOKEN_COLUMNS, 'secret_hash']).where(sql<boolean>`secret_hash = any(${hashes}::bytea[])`))
const rowByHash = batchedByHash(rowsByHash, (row) => row.secret_hash)

/** What a new token is written with; the rest are the table's defaults. */
const NEW_TOKEN_COLUMNS: ReadonlyArray<ArrayColumn<NewAgentToken>> = [
  { name: 'account_id', type: 'text' },
  { name: 'sort_key', type: 'text' },
  { name: 'accessor', type: 'text' },
  { name: 'secret_hash', type: 'bytea' },
  { name: 'token_sealed', type: 'bytea' },
  { name: 'label', type: 'text' },
  { name: 'created_by', type: 'text' }
]

/**
 * Tokens and their audit rows in one statement. Concurrent creates share statements, and so
 * commits: issuance is bound by PostgreSQL's commit rate, not its insert rate. Two statements
 * at once: each waits for more rows while the other commits, so batches grow with the load (4
 * at once made 15% fewer tokens a second on 2 cores, S4 of npm run bench -- profile), and the
 * pool's other connections are left to reads.
 */
const insertWithItsAudit = insertWithAudit({
  table: 'agent_tokens',
  columns: NEW_TOKEN_COLUMNS,
  rowsOf: ([token, audit]: readonly [NewAgentToken, NewAuditEvent]) => ({ rows: [token], audit: [audit] }),
  resultOf: () => undefined,
  coalescing: { maxInFlight: 2, maxRows: 100 }
})

export async function insertAgentToken (db: Database, token: NewAgentToken, audit: NewAuditEvent): Promise<void> {
  await insertWithItsAudit(db, [token, audit])
}

export async function findAgentToken (db: Database, accountId: string, secretHash: Buffer): Promise<AgentTokenRecord | undefined> {
  const row = await rowByHash(db, secretHash)
  if (row === undefined || row.account_id !== accountId) return undefined
  const { secret_hash: _lookupKey, ...record } = row
  return record
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

/** Sets the label (null clears it); the row's accessor, or undefined when there is no such token. */
export async function updateAgentTokenLabel (db: Database, accountId: string, secretHash: Uint8Array, label: string | null): Promise<string | undefined> {
  const row = await db.updateTable('agent_tokens')
    .set({ label, updated_at: sql<Date>`now()` })
    .where('secret_hash', '=', secretHash)
    .where('account_id', '=', accountId)
    .returning('accessor')
    .executeTakeFirst()
  return row?.accessor
}

/** Deletes the tenant's token with this accessor; whether there was one. */
export async function deleteAgentTokenByAccessor (db: Database, accountId: string, accessor: string): Promise<boolean> {
  const result = await db.deleteFrom('agent_tokens').where('account_id', '=', accountId).where('accessor', '=', accessor).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** Deletes (or, with `dryRun`, counts) every agent token `userId` made, in every tenant; how many. */
export async function deleteAgentTokensMadeBy (db: Database, userId: string, dryRun: boolean): Promise<number> {
  if (dryRun) {
    const row = await db.selectFrom('agent_tokens').select((eb) => eb.fn.countAll<string>().as('count')).where('created_by', '=', userId).executeTakeFirstOrThrow()
    return Number(row.count)
  }
  const result = await db.deleteFrom('agent_tokens').where('created_by', '=', userId).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes a token; its accessor, or undefined when there was no such token. */
export async function deleteAgentToken (db: Database, accountId: string, secretHash: Uint8Array): Promise<string | undefined> {
  const row = await db.deleteFrom('agent_tokens')
    .where('secret_hash', '=', secretHash)
    .where('account_id', '=', accountId)
    .returning('accessor')
    .executeTakeFirst()
  return row?.accessor
}
