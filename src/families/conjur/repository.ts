import { sql, type ExpressionBuilder } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { ArrayColumn } from '../../db/array-insert.js'
import { batchedByHash } from '../../db/batched-lookups.js'
import { compiledOnce } from '../../db/compiled-once.js'
import type { Database } from '../../db/database.js'
import type { DB } from '../../db/schema.js'
import { insertWithAudit } from '../../db/insert-with-audit.js'
import { keysetPage } from '../../db/keyset.js'
import type { NewAuditEvent } from '../../db/repositories/audit-events.js'
import { memberOfAccount } from '../../db/repositories/memberships.js'
import { factoryViewKey } from './cache-keys.js'

/** SQL of the Conjur family: hosts, layers, host factories, their permissions and tokens. */

export type Privilege = 'read' | 'execute' | 'update'
export const PRIVILEGES: readonly Privilege[] = ['read', 'execute', 'update']

/** A role of an account, as stored: a user (by id) or a host (by id). */
export type RoleRef = { kind: 'user', userId: string } | { kind: 'host', hostId: string }

export interface HostFactoryRecord {
  account_id: string
  id: string
  owner_user_name: string | null
  owner_host_id: string | null
  created_at: Date
}

const ADMIN_ROLE = 'admin'

/** A user of the account (at home there, or holding a role on it), with what login and authorisation need. */
export interface UserRole {
  id: string
  name: string
  password_hash: string | null
  key_hash: Uint8Array | null
  key_sealed: Uint8Array | null
  key_accessor: string | null
  active: boolean
  is_admin: boolean
  /** Access tokens issued before this instant are revoked (the kill switch). */
  access_tokens_not_before: Date | null
}

export function findUserRole (db: Database, accountId: string, name: string): Promise<UserRole | undefined> {
  return db.selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('api_keys', 'api_keys.user_id', 'users.id')
    .select(['users.id', 'users.name', 'users.password_hash', 'api_keys.key_hash', 'api_keys.key_sealed', 'api_keys.accessor as key_accessor', 'users.access_tokens_not_before'])
    .select((eb) => eb.and([eb.ref('users.enabled'), eb.ref('accounts.enabled')]).$castTo<boolean>().as('active'))
    .select((eb) => eb.exists(eb.selectFrom('role_assignments').select('role')
      .whereRef('role_assignments.user_id', '=', 'users.id').where('role_assignments.account_id', '=', accountId)
      .where('role_assignments.role', '=', ADMIN_ROLE)).$castTo<boolean>().as('is_admin'))
    .where('users.name', '=', name)
    .where(memberOfAccount(accountId))
    .executeTakeFirst()
}

export interface HostRecord {
  account_id: string
  id: string
  annotations: Record<string, string>
  owner_host_factory_id: string | null
  api_key_hash: Uint8Array
  api_key_sealed: Uint8Array
  /** The API key's non-secret handle: a new key gets a new one. */
  api_key_accessor: string
  created_at: Date
  /** Access tokens issued before this instant are revoked (the kill switch). */
  access_tokens_not_before: Date | null
}

const HOST_COLUMNS = ['account_id', 'id', 'annotations', 'owner_host_factory_id', 'api_key_hash', 'api_key_sealed', 'api_key_accessor', 'created_at', 'access_tokens_not_before'] as const

export async function findHost (db: Database, accountId: string, id: string, options: { lock?: boolean } = {}): Promise<HostRecord | undefined> {
  let query = db.selectFrom('hosts').select(HOST_COLUMNS).where('account_id', '=', accountId).where('id', '=', id)
  if (options.lock) query = query.forUpdate()
  return await query.executeTakeFirst() as HostRecord | undefined
}

/** Inserts a host unless one of that id exists (then undefined: another request made it first). */
export async function insertHost (db: Database, host: Omit<HostRecord, 'created_at' | 'access_tokens_not_before'>): Promise<HostRecord | undefined> {
  return await db.insertInto('hosts')
    .values({ ...host, annotations: sql`${JSON.stringify(host.annotations)}::jsonb` })
    .onConflict((conflict) => conflict.columns(['account_id', 'id']).doNothing())
    .returning(HOST_COLUMNS)
    .executeTakeFirst() as HostRecord | undefined
}

/** A host's new API key: its lookup hash, sealed copy and accessor. */
export interface NewHostKey {
  hash: Uint8Array
  sealed: Uint8Array
  accessor: string
}

export async function replaceHostApiKey (db: Database, accountId: string, id: string, key: NewHostKey): Promise<void> {
  await db.updateTable('hosts').set({ api_key_hash: key.hash, api_key_sealed: key.sealed, api_key_accessor: key.accessor, api_key_created_at: sql<Date>`now()`, updated_at: sql<Date>`now()` })
    .where('account_id', '=', accountId).where('id', '=', id).execute()
}

export async function addHostToLayers (db: Database, accountId: string, hostId: string, layerIds: readonly string[]): Promise<void> {
  if (layerIds.length === 0) return
  await db.insertInto('layer_hosts').values(layerIds.map((layerId) => ({ account_id: accountId, layer_id: layerId, host_id: hostId })))
    .onConflict((conflict) => conflict.doNothing()).execute()
}

export async function ensureLayers (db: Database, accountId: string, layerIds: readonly string[]): Promise<void> {
  if (layerIds.length === 0) return
  await db.insertInto('layers').values(layerIds.map((id) => ({ account_id: accountId, id })))
    .onConflict((conflict) => conflict.doNothing()).execute()
}

export async function insertHostFactory (db: Database, factory: { accountId: string, id: string, owner: RoleRef | null, layers: readonly string[] }): Promise<void> {
  await db.insertInto('host_factories').values({
    account_id: factory.accountId,
    id: factory.id,
    owner_user_id: factory.owner?.kind === 'user' ? factory.owner.userId : null,
    owner_host_id: factory.owner?.kind === 'host' ? factory.owner.hostId : null
  }).execute()
  if (factory.layers.length === 0) return
  await db.insertInto('host_factory_layers')
    .values(factory.layers.map((layerId) => ({ account_id: factory.accountId, host_factory_id: factory.id, layer_id: layerId })))
    .execute()
}

function hostFactoryQuery (db: Database, accountId: string) {
  return db.selectFrom('host_factories')
    .leftJoin('users', 'users.id', 'host_factories.owner_user_id')
    .select(['host_factories.account_id', 'host_factories.id', 'users.name as owner_user_name', 'host_factories.owner_host_id', 'host_factories.created_at'])
    .where('host_factories.account_id', '=', accountId)
}

export function findHostFactory (db: Database, accountId: string, id: string): Promise<HostFactoryRecord | undefined> {
  return hostFactoryQuery(db, accountId).where('host_factories.id', '=', id).executeTakeFirst()
}

/** A keyset page of an account's host factories by id. */
export function listHostFactories (db: Database, accountId: string, page: KeysetRequest): Promise<HostFactoryRecord[]> {
  return hostFactoryQuery(db, accountId).$call(keysetPage('host_factories.id', page)).execute()
}

export async function deleteHostFactory (db: Database, accountId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('host_factories').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** The layers of some host factories of an account, by factory id, each list sorted. */
export async function layersOf (db: Database, accountId: string, factoryIds: readonly string[]): Promise<Map<string, string[]>> {
  const byFactory = new Map<string, string[]>()
  if (factoryIds.length === 0) return byFactory
  const rows = await db.selectFrom('host_factory_layers').select(['host_factory_id', 'layer_id'])
    .where('account_id', '=', accountId).where('host_factory_id', 'in', factoryIds)
    .orderBy('host_factory_id').orderBy('layer_id').execute()
  for (const row of rows) byFactory.set(row.host_factory_id, [...(byFactory.get(row.host_factory_id) ?? []), row.layer_id])
  return byFactory
}

export interface PermissionRecord {
  host_factory_id: string
  privilege: string
  user_name: string | null
  host_id: string | null
}

/** The permissions on some host factories of an account, by privilege then role. */
export function permissionsOf (db: Database, accountId: string, factoryIds: readonly string[]): Promise<PermissionRecord[]> {
  if (factoryIds.length === 0) return Promise.resolve([])
  return db.selectFrom('host_factory_permissions')
    .leftJoin('users', 'users.id', 'host_factory_permissions.user_id')
    .select(['host_factory_permissions.host_factory_id', 'host_factory_permissions.privilege', 'users.name as user_name', 'host_factory_permissions.host_id'])
    .where('host_factory_permissions.account_id', '=', accountId)
    .where('host_factory_permissions.host_factory_id', 'in', factoryIds)
    .orderBy('host_factory_permissions.privilege').orderBy('users.name').orderBy('host_factory_permissions.host_id')
    .execute()
}

function roleColumns (role: RoleRef) {
  return { user_id: role.kind === 'user' ? role.userId : null, host_id: role.kind === 'host' ? role.hostId : null }
}

/** Idempotent. */
export async function grantPermission (db: Database, accountId: string, factoryId: string, role: RoleRef, privilege: Privilege): Promise<void> {
  await db.insertInto('host_factory_permissions')
    .values({ account_id: accountId, host_factory_id: factoryId, ...roleColumns(role), privilege })
    .onConflict((conflict) => conflict.doNothing())
    .execute()
}

/** Idempotent. */
export async function revokePermission (db: Database, accountId: string, factoryId: string, role: RoleRef, privilege: Privilege): Promise<void> {
  const { user_id: userId, host_id: hostId } = roleColumns(role)
  await db.deleteFrom('host_factory_permissions')
    .where('account_id', '=', accountId).where('host_factory_id', '=', factoryId).where('privilege', '=', privilege)
    .where((eb) => userId === null ? eb('user_id', 'is', null) : eb('user_id', '=', userId))
    .where((eb) => hostId === null ? eb('host_id', 'is', null) : eb('host_id', '=', hostId))
    .execute()
}

/** What a role may do with a host factory: whether it owns it, and the privileges it holds. */
export interface Relation {
  owns: boolean
  privileges: readonly string[]
}

/**
 * The caller's relation to a host factory of the same account, or undefined when there is no
 * such factory. An admin of the account owns everything in it (spec §A0.5, Tessera mapping).
 */
export async function relationTo (db: Database, accountId: string, factoryId: string, role: RoleRef & { isAdmin: boolean }): Promise<Relation | undefined> {
  const { user_id: userId, host_id: hostId } = roleColumns(role)
  const row = await db.selectFrom('host_factories')
    .select([
      userId === null ? sql<boolean>`owner_host_id is not distinct from ${hostId}`.as('owns') : sql<boolean>`owner_user_id is not distinct from ${userId}`.as('owns'),
      (eb) => eb.selectFrom('host_factory_permissions')
        .select(sql<string[]>`coalesce(array_agg(privilege order by privilege), '{}')`.as('privileges'))
        .whereRef('host_factory_permissions.account_id', '=', 'host_factories.account_id')
        .whereRef('host_factory_permissions.host_factory_id', '=', 'host_factories.id')
        .where(userId === null ? sql<boolean>`host_id = ${hostId}` : sql<boolean>`user_id = ${userId}`)
        .as('privileges')
    ])
    .where('account_id', '=', accountId).where('id', '=', factoryId)
    .executeTakeFirst()
  if (!row) return undefined
  return { owns: role.isAdmin || Boolean(row.owns), privileges: row.privileges ?? [] }
}

export interface TokenRecord {
  /** The token's non-secret handle (migration 0014). */
  accessor: string
  token_sha256: Uint8Array
  token_sealed: Uint8Array
  account_id: string
  host_factory_id: string
  cidr: string[]
  expiration: Date
}

const TOKEN_COLUMNS = [
  'accessor', 'token_sha256', 'token_sealed', 'account_id', 'host_factory_id', sql<string[]>`cidr::text[]`.as('cidr'), 'expiration'
] as const

/** One request's tokens (sharing its cidr and its maker) and their audit rows. */
export interface NewTokens {
  tokens: ReadonlyArray<Omit<TokenRecord, 'cidr'>>
  cidr: readonly string[]
  /** Who made them (their kill switch ends them): a user, or a host of the tokens' account. */
  createdBy: { userId: string } | { hostId: string }
  audit: readonly NewAuditEvent[]
}

/** One stored token as a row to write: its request's cidr as a cidr[] literal, and its maker. */
type NewTokenRow = Omit<TokenRecord, 'cidr'> & { cidr: string, created_by: string | null, created_by_host: string | null }

const NEW_TOKEN_COLUMNS: ReadonlyArray<ArrayColumn<NewTokenRow>> = [
  { name: 'accessor', type: 'text' },
  { name: 'token_sha256', type: 'bytea' },
  { name: 'token_sealed', type: 'bytea' },
  { name: 'account_id', type: 'text' },
  { name: 'host_factory_id', type: 'text' },
  // An array a row: sent as its text, as unnest would flatten a two-dimensional array.
  { name: 'cidr', type: 'cidr[]', sentAs: 'text' },
  { name: 'expiration', type: 'timestamptz' },
  { name: 'created_by', type: 'text' },
  { name: 'created_by_host', type: 'text' }
]

/** One stored token as the statement returns it, from its request's rows. */
function tokenRows ({ tokens, cidr, createdBy }: NewTokens): NewTokenRow[] {
  // Entries were validated: no quotes, commas or braces can occur in them.
  return tokens.map((token) => ({
    ...token,
    cidr: `{${cidr.join(',')}}`,
    created_by: 'userId' in createdBy ? createdBy.userId : null,
    created_by_host: 'hostId' in createdBy ? createdBy.hostId : null
  }))
}

/**
 * Requests' tokens and their audit rows in one statement. Concurrent requests share statements,
 * and so commits, up to MAX_TOKENS_PER_REQUEST tokens a statement (a bigger request would go
 * alone), two statements at once as agent tokens (4 at once made 17% fewer a second on 2 cores,
 * S5 of npm run bench -- profile). Each request picks its own tokens from the statement's, by
 * the hex of their hash. The factory shows its new tokens: only its view is forgotten, so the
 * caller's relation stays and issuing again reads nothing.
 */
const insertWithItsAudit = insertWithAudit({
  table: 'host_factory_tokens',
  columns: NEW_TOKEN_COLUMNS,
  rowsOf: (request: NewTokens) => ({ rows: tokenRows(request), audit: request.audit }),
  returning: 'accessor, token_sha256, token_sealed, account_id, host_factory_id, cidr::text[] as cidr, expiration',
  resultOf: (rows: TokenRecord[]) => new Map(rows.map((row) => [Buffer.from(row.token_sha256).toString('hex'), row])),
  coalescing: { maxInFlight: 2, maxRows: 1000, sizeOf: (request) => request.tokens.length },
  changedKeys: (request) => [...new Set(request.tokens.map((token) => factoryViewKey(token.account_id, token.host_factory_id)))]
})

/** Stores one request's tokens with their audit rows, all or none; returns them as stored, in the request's order. */
export async function insertTokens (db: Database, request: NewTokens): Promise<TokenRecord[]> {
  const stored = await insertWithItsAudit(db, request)
  return request.tokens.map((token) => stored.get(Buffer.from(token.token_sha256).toString('hex'))!)
}

/** Host factory tokens by hash: checking one is what hosts call for most, so concurrent checks share a statement (db/batched-lookups.ts). */
const tokensByHash = compiledOnce((db: Database, hashes: Buffer[]) =>
  db.selectFrom('host_factory_tokens').select(TOKEN_COLUMNS).where(sql<boolean>`token_sha256 = any(${hashes}::bytea[])`))
const tokenByHash = batchedByHash(tokensByHash, (row) => row.token_sha256)

export function findToken (db: Database, tokenSha256: Buffer): Promise<TokenRecord | undefined> {
  return tokenByHash(db, tokenSha256)
}

/** Deletes (or, with `dryRun`, counts) every host factory token `userId` made, on every account; how many. */
export async function deleteTokensMadeBy (db: Database, userId: string, dryRun: boolean): Promise<number> {
  if (dryRun) {
    const row = await db.selectFrom('host_factory_tokens').select((eb) => eb.fn.countAll<string>().as('count')).where('created_by', '=', userId).executeTakeFirstOrThrow()
    return Number(row.count)
  }
  const result = await db.deleteFrom('host_factory_tokens').where('created_by', '=', userId).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes (or, with `dryRun`, counts) the host factory tokens a host of the account made; how many. */
export async function deleteTokensMadeByHost (db: Database, accountId: string, hostId: string, dryRun: boolean): Promise<number> {
  const made = (eb: ExpressionBuilder<DB, 'host_factory_tokens'>) => eb.and([eb('account_id', '=', accountId), eb('created_by_host', '=', hostId)])
  if (dryRun) {
    const row = await db.selectFrom('host_factory_tokens').select((eb) => eb.fn.countAll<string>().as('count')).where(made).executeTakeFirstOrThrow()
    return Number(row.count)
  }
  const result = await db.deleteFrom('host_factory_tokens').where(made).executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** Deletes the account's host factory token with this accessor; whether there was one. */
export async function deleteTokenByAccessor (db: Database, accountId: string, accessor: string): Promise<boolean> {
  const result = await db.deleteFrom('host_factory_tokens').where('account_id', '=', accountId).where('accessor', '=', accessor).executeTakeFirst()
  return result.numDeletedRows > 0n
}

export async function deleteToken (db: Database, tokenSha256: Uint8Array): Promise<boolean> {
  const result = await db.deleteFrom('host_factory_tokens').where('token_sha256', '=', tokenSha256).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** A host factory's tokens, oldest first. */
export function tokensOf (db: Database, accountId: string, factoryId: string): Promise<TokenRecord[]> {
  return db.selectFrom('host_factory_tokens').select(TOKEN_COLUMNS)
    .where('account_id', '=', accountId).where('host_factory_id', '=', factoryId)
    .orderBy('created_at').orderBy('expiration').orderBy('token_sha256').execute()
}

/** The tokens of some host factories of an account, each factory's oldest first (as tokensOf). */
export function tokensOfFactories (db: Database, accountId: string, factoryIds: readonly string[]): Promise<TokenRecord[]> {
  if (factoryIds.length === 0) return Promise.resolve([])
  return db.selectFrom('host_factory_tokens').select(TOKEN_COLUMNS)
    .where('account_id', '=', accountId).where('host_factory_id', 'in', factoryIds)
    .orderBy('host_factory_id').orderBy('created_at').orderBy('expiration').orderBy('token_sha256').execute()
}

/** Whether a layer of the account exists. */
export async function layerExists (db: Database, accountId: string, id: string): Promise<boolean> {
  return (await db.selectFrom('layers').select('id').where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst()) !== undefined
}

/** Whether a host of the account is in a layer (holds the layer's role). */
export async function hostInLayer (db: Database, accountId: string, hostId: string, layerId: string): Promise<boolean> {
  const row = await db.selectFrom('layer_hosts').select('host_id')
    .where('account_id', '=', accountId).where('layer_id', '=', layerId).where('host_id', '=', hostId).executeTakeFirst()
  return row !== undefined
}

/**
 * Ends a host's credentials: its API key is replaced by one nobody holds, and its access tokens
 * issued until now are refused (callerOf reads access_tokens_not_before). False without the host.
 */
export async function revokeHostCredentials (db: Database, accountId: string, id: string, unknownKey: NewHostKey): Promise<boolean> {
  const result = await db.updateTable('hosts')
    .set({
      api_key_hash: unknownKey.hash,
      api_key_sealed: unknownKey.sealed,
      api_key_accessor: unknownKey.accessor,
      api_key_created_at: sql<Date>`now()`,
      access_tokens_not_before: sql<Date>`now()`,
      updated_at: sql<Date>`now()`
    })
    .where('account_id', '=', accountId).where('id', '=', id).executeTakeFirst()
  return result.numUpdatedRows > 0n
}

/** Refuses, from now on, the access tokens issued to a user until now (the kill switch). */
export async function endAccessTokensOfUser (db: Database, id: string): Promise<void> {
  await db.updateTable('users').set({ access_tokens_not_before: sql<Date>`now()` }).where('id', '=', id).execute()
}
