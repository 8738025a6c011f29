import { sql } from 'kysely'
import type { Database } from '../database.js'
import { columnArrays, insertFromArrays, type ArrayColumn } from '../array-insert.js'
import { runBuiltOnce } from '../compiled-once.js'

/**
 * What `tessera import` reads and writes beyond the families' own repositories: lookups by the
 * keys an import checks before it writes (so that a line that conflicts writes nothing), and
 * inserts that keep what a line carries (accessor, creation time) where the families' inserts
 * take the table's defaults.
 */

export async function existingAccountIds (db: Database, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('accounts').select('id').where('id', 'in', [...new Set(ids)]).execute()
  return new Set(rows.map((row) => row.id))
}

type AccessorTable = 'agent_tokens' | 'host_factory_tokens' | 'api_keys'

export async function accessorTaken (db: Database, table: AccessorTable, accessor: string): Promise<boolean> {
  return (await db.selectFrom(table).select('accessor').where('accessor', '=', accessor).executeTakeFirst()) !== undefined
}

export async function hostKeyTaken (db: Database, accessor: string, hash: Uint8Array): Promise<boolean> {
  const row = await db.selectFrom('hosts').select('id').where((eb) => eb.or([eb('api_key_accessor', '=', accessor), eb('api_key_hash', '=', hash)])).executeTakeFirst()
  return row !== undefined
}

export interface ImportedHost {
  account_id: string
  id: string
  annotations: Record<string, string>
  owner_host_factory_id: string | null
  api_key_hash: Uint8Array
  api_key_sealed: Uint8Array
  api_key_accessor: string
  api_key_created_at: Date
  created_at: Date
}

export async function insertImportedHost (db: Database, host: ImportedHost): Promise<void> {
  await db.insertInto('hosts').values({ ...host, annotations: sql`${JSON.stringify(host.annotations)}::jsonb`, updated_at: host.created_at }).execute()
}

export async function insertImportedHostFactory (db: Database, factory: { account_id: string, id: string, owner_user_id: string | null, created_at: Date }): Promise<void> {
  await db.insertInto('host_factories').values(factory).execute()
}

export async function addHostFactoryLayers (db: Database, accountId: string, factoryId: string, layerIds: readonly string[]): Promise<void> {
  if (layerIds.length === 0) return
  await db.insertInto('host_factory_layers').values(layerIds.map((layerId) => ({ account_id: accountId, host_factory_id: factoryId, layer_id: layerId }))).execute()
}

/** The host factories of an account among `ids` that have no owner. */
export async function ownerlessHostFactories (db: Database, accountId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('host_factories').select('id').where('account_id', '=', accountId).where('id', 'in', ids)
    .where('owner_user_id', 'is', null).where('owner_host_id', 'is', null).execute()
  return new Set(rows.map((row) => row.id))
}

export async function existingHostFactories (db: Database, accountId: string, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set()
  const rows = await db.selectFrom('host_factories').select('id').where('account_id', '=', accountId).where('id', 'in', [...new Set(ids)]).execute()
  return new Set(rows.map((row) => row.id))
}

export async function setHostFactoryOwner (db: Database, accountId: string, ids: readonly string[], hostId: string): Promise<void> {
  if (ids.length === 0) return
  await db.updateTable('host_factories').set({ owner_host_id: hostId }).where('account_id', '=', accountId).where('id', 'in', ids).execute()
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

export async function userTokenExists (db: Database, hash: Uint8Array): Promise<boolean> {
  return (await db.selectFrom('user_tokens').select('id').where('secret_hash', '=', hash).executeTakeFirst()) !== undefined
}

export async function userTokenIdTaken (db: Database, id: string): Promise<boolean> {
  return (await db.selectFrom('user_tokens').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

export interface ImportedUserToken {
  account_id: string
  user_id: string
  id: string
  name: string
  secret_hash: Uint8Array
  labels: Array<{ name: string, value: string }>
  created_by: string
  modified_by: string | null
  created_at: Date
  modified_at: Date
}

export async function insertImportedUserToken (db: Database, token: ImportedUserToken): Promise<void> {
  await db.insertInto('user_tokens').values({ ...token, labels: JSON.stringify(token.labels) }).execute()
}

export async function hostFactoryTokenExists (db: Database, hash: Uint8Array): Promise<boolean> {
  return (await db.selectFrom('host_factory_tokens').select('accessor').where('token_sha256', '=', hash).executeTakeFirst()) !== undefined
}

export interface ImportedHostFactoryToken {
  token_sha256: Uint8Array
  token_sealed: Uint8Array
  account_id: string
  host_factory_id: string
  accessor: string
  cidr: readonly string[]
  expiration: Date
  created_by: string | null
  created_by_host: string | null
  created_at: Date
}

export async function insertImportedHostFactoryToken (db: Database, token: ImportedHostFactoryToken): Promise<void> {
  // Entries were normalised (cidr.ts): no quotes, commas or braces can occur in them.
  await db.insertInto('host_factory_tokens').values({ ...token, cidr: sql`${`{${token.cidr.join(',')}}`}::cidr[]` }).execute()
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
