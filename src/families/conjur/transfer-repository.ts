import { sql } from 'kysely'
import type { Database } from '../../db/database.js'
import { EXPORT_PAGE } from '../../db/repositories/transfer-export.js'
import type { HostRecord } from './repository.js'

/**
 * What an export reads and an import writes of hosts, host factories and their tokens
 * (transfer.ts): pages in key order, lookups by the keys an import checks before it writes, and
 * inserts that keep what a line carries (accessor, creation time).
 */

export interface ExportedHostFactory {
  account_id: string
  id: string
  owner_user: string | null
  created_at: Date
  layers: string[]
  /** Privileges held by users; a host's are on its own line. */
  permissions: Array<{ user: string, privilege: 'read' | 'execute' | 'update' }>
}

export function hostFactoryPage (db: Database, after: { accountId: string, id: string } | undefined): Promise<ExportedHostFactory[]> {
  return db.selectFrom('host_factories as f')
    .leftJoin('users as u', 'u.id', 'f.owner_user_id')
    .select(['f.account_id', 'f.id', 'u.name as owner_user', 'f.created_at'])
    .select(sql<string[]>`array(select l.layer_id from host_factory_layers l where l.account_id = f.account_id and l.host_factory_id = f.id order by l.layer_id)`.as('layers'))
    .select(sql<ExportedHostFactory['permissions']>`coalesce((select jsonb_agg(jsonb_build_object('user', pu.name, 'privilege', p.privilege) order by pu.name, p.privilege)
      from host_factory_permissions p join users pu on pu.id = p.user_id where p.account_id = f.account_id and p.host_factory_id = f.id), '[]'::jsonb)`.as('permissions'))
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(f.account_id, f.id) > (${after!.accountId}, ${after!.id})`))
    .orderBy('f.account_id').orderBy('f.id').limit(EXPORT_PAGE).execute()
}

export interface ExportedHost {
  account_id: string
  id: string
  annotations: Record<string, string>
  owner_host_factory_id: string | null
  api_key_accessor: string
  api_key_created_at: Date
  api_key_hash: Uint8Array
  api_key_sealed: Uint8Array
  created_at: Date
  layers: string[]
  owns: string[]
  permissions: Array<{ hostFactory: string, privilege: 'read' | 'execute' | 'update' }>
}

export async function hostPage (db: Database, after: { accountId: string, id: string } | undefined): Promise<ExportedHost[]> {
  return await db.selectFrom('hosts as h')
    .select(['h.account_id', 'h.id', 'h.annotations', 'h.owner_host_factory_id', 'h.api_key_accessor', 'h.api_key_created_at', 'h.api_key_hash', 'h.api_key_sealed', 'h.created_at'])
    .select(sql<string[]>`array(select lh.layer_id from layer_hosts lh where lh.account_id = h.account_id and lh.host_id = h.id order by lh.layer_id)`.as('layers'))
    .select(sql<string[]>`array(select f.id from host_factories f where f.account_id = h.account_id and f.owner_host_id = h.id order by f.id)`.as('owns'))
    .select(sql<ExportedHost['permissions']>`coalesce((select jsonb_agg(jsonb_build_object('hostFactory', p.host_factory_id, 'privilege', p.privilege) order by p.host_factory_id, p.privilege)
      from host_factory_permissions p where p.account_id = h.account_id and p.host_id = h.id), '[]'::jsonb)`.as('permissions'))
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(h.account_id, h.id) > (${after!.accountId}, ${after!.id})`))
    .orderBy('h.account_id').orderBy('h.id').limit(EXPORT_PAGE).execute() as ExportedHost[]
}

export interface ExportedHostFactoryToken {
  token_sha256: Uint8Array
  token_sealed: Uint8Array
  account_id: string
  host_factory_id: string
  accessor: string
  cidr: string[]
  expiration: Date
  created_by: string | null
  created_by_host: string | null
  created_at: Date
}

export function hostFactoryTokenPage (db: Database, after: Uint8Array | undefined): Promise<ExportedHostFactoryToken[]> {
  return db.selectFrom('host_factory_tokens')
    .select(['token_sha256', 'token_sealed', 'account_id', 'host_factory_id', 'accessor', sql<string[]>`cidr::text[]`.as('cidr'), 'expiration', 'created_by', 'created_by_host', 'created_at'])
    .$if(after !== undefined, (query) => query.where('token_sha256', '>', after!))
    .orderBy('token_sha256').limit(EXPORT_PAGE).execute()
}

export async function hostKeyTaken (db: Database, accessor: string, hash: Uint8Array): Promise<boolean> {
  const row = await db.selectFrom('hosts').select('id').where((eb) => eb.or([eb('api_key_accessor', '=', accessor), eb('api_key_hash', '=', hash)])).executeTakeFirst()
  return row !== undefined
}

/** A host as a line gives it: its key's creation time too; its access tokens were never revoked. */
export type ImportedHost = Omit<HostRecord, 'access_tokens_not_before'> & { api_key_created_at: Date }

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

export async function hostFactoryTokenAccessorTaken (db: Database, accessor: string): Promise<boolean> {
  return (await db.selectFrom('host_factory_tokens').select('accessor').where('accessor', '=', accessor).executeTakeFirst()) !== undefined
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
