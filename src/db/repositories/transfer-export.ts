import { sql } from 'kysely'
import type { Database } from '../database.js'

/**
 * What `tessera export` reads: every table it writes lines of, a page at a time in its key's
 * order (one index range scan a page). `after` is the last row's key of the previous page.
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

export interface ExportedApiKey { user_id: string, user_name: string, accessor: string, created_at: Date, key_hash: Uint8Array, key_sealed: Uint8Array | null }

export function apiKeyPage (db: Database, after: string | undefined): Promise<ExportedApiKey[]> {
  return db.selectFrom('api_keys as k').innerJoin('users as u', 'u.id', 'k.user_id')
    .select(['k.user_id', 'u.name as user_name', 'k.accessor', 'k.created_at', 'k.key_hash', 'k.key_sealed'])
    .$if(after !== undefined, (query) => query.where('k.user_id', '>', after!))
    .orderBy('k.user_id').limit(EXPORT_PAGE).execute()
}

export interface ExportedAgentToken { account_id: string, sort_key: string, accessor: string, label: string | null, created_by: string | null, created_at: Date, secret_hash: Uint8Array, token_sealed: Uint8Array }

export function agentTokenPage (db: Database, after: { accountId: string, sortKey: string } | undefined): Promise<ExportedAgentToken[]> {
  return db.selectFrom('agent_tokens')
    .select(['account_id', 'sort_key', 'accessor', 'label', 'created_by', 'created_at', 'secret_hash', 'token_sealed'])
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(account_id, sort_key) > (${after!.accountId}, ${after!.sortKey})`))
    .orderBy('account_id').orderBy('sort_key').limit(EXPORT_PAGE).execute()
}

export interface ExportedAstraToken {
  account_id: string
  user_id: string
  user_name: string
  id: string
  name: string
  labels: Array<{ name: string, value: string }>
  created_by: string
  modified_by: string | null
  created_at: Date
  modified_at: Date
  secret_hash: Uint8Array
}

/** Live tokens only: a revoked one never works again, and is nothing to bring over. */
export async function astraTokenPage (db: Database, after: { accountId: string, userId: string, id: string } | undefined): Promise<ExportedAstraToken[]> {
  return await db.selectFrom('user_tokens as t').innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.account_id', 't.user_id', 'u.name as user_name', 't.id', 't.name', 't.labels', 't.created_by', 't.modified_by', 't.created_at', 't.modified_at', 't.secret_hash'])
    .where('t.revoked_at', 'is', null)
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(t.account_id, t.user_id, t.id) > (${after!.accountId}, ${after!.userId}, ${after!.id})`))
    .orderBy('t.account_id').orderBy('t.user_id').orderBy('t.id').limit(EXPORT_PAGE).execute() as ExportedAstraToken[]
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
