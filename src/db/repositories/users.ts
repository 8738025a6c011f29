import { sql } from 'kysely'
import type { Insertable, Selectable, Updateable } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import type { Database } from '../database.js'
import { keysetPage } from '../keyset.js'
import { roleNamesOn, type AccountKey, type AccountWithRoles } from './role-assignments.js'
import type { Users } from '../schema.js'

type UserRow = Selectable<Users>
type NewUser = Insertable<Users>
type UserUpdate = Updateable<Users>

// password_hash is selected only by findLoginCandidate.
const USER_COLUMNS = ['users.id', 'users.account_id', 'users.name', 'users.email', 'users.enabled', 'users.created_at', 'users.updated_at'] as const

// access_tokens_not_before is read only where Conjur access tokens are checked (conjur/repository.ts).
export type UserRecord = Omit<UserRow, 'password_hash' | 'access_tokens_not_before'>

export function insertUser (db: Database, user: NewUser): Promise<UserRecord> {
  return db.insertInto('users').values(user).returning(USER_COLUMNS).executeTakeFirstOrThrow()
}

export function findUserById (db: Database, id: string): Promise<UserRecord | undefined> {
  return db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).executeTakeFirst()
}

export function findUserByName (db: Database, name: string): Promise<UserRecord | undefined> {
  return db.selectFrom('users').select(USER_COLUMNS).where('name', '=', name).executeTakeFirst()
}

export interface LoginCandidate extends UserRecord {
  password_hash: string | null
  key_hash: Uint8Array | null
  /** The API key's accessor, for its usage figures. */
  key_accessor: string | null
  /** The user and their home account are both enabled. */
  active: boolean
  /** The account the login asked for (enabled or not), with the user's roles on it; null when none or no such account. */
  tenant: AccountWithRoles | null
}

/**
 * The user a login names, by name or by id, with what is needed to check the credentials and,
 * in the same query, the account the login asks for (`tenant`: by id, by name, or the user's
 * home account) with the user's roles on it.
 */
export async function findLoginCandidate (db: Database, by: { name: string } | { id: string }, tenant: AccountKey | 'home' | null = null): Promise<LoginCandidate | undefined> {
  const query = db.selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('api_keys', 'api_keys.user_id', 'users.id')
    .leftJoin('accounts as tenant', (join) => tenant === null
      ? join.on(sql<boolean>`false`)
      : tenant === 'home' ? join.onRef('tenant.id', '=', 'users.account_id') : 'id' in tenant ? join.on('tenant.id', '=', tenant.id) : join.on('tenant.name', '=', tenant.name))
    .select(USER_COLUMNS)
    .select(['users.password_hash', 'api_keys.key_hash', 'api_keys.accessor as key_accessor', 'tenant.id as tenant_id', 'tenant.name as tenant_name', 'tenant.enabled as tenant_enabled'])
    .select((eb) => eb.and([eb.ref('users.enabled'), eb.ref('accounts.enabled')]).$castTo<boolean>().as('active'))
    .select(roleNamesOn(sql.ref('users.id'), sql.ref('tenant.id')).as('tenant_roles'))
  const row = await ('name' in by ? query.where('users.name', '=', by.name) : query.where('users.id', '=', by.id)).executeTakeFirst()
  if (!row) return undefined
  const { tenant_id: tenantId, tenant_name: tenantName, tenant_enabled: tenantEnabled, tenant_roles: roles, ...user } = row
  return { ...user, tenant: tenantId === null ? null : { id: tenantId, name: tenantName!, enabled: tenantEnabled!, roles } }
}

/** A keyset page of an account's users by id (see toKeysetPage). */
export function listUsersInAccount (db: Database, accountId: string, page: KeysetRequest): Promise<UserRecord[]> {
  return db.selectFrom('users').select(USER_COLUMNS).where('account_id', '=', accountId).$call(keysetPage('users.id', page)).execute()
}

/** A keyset page of every account's users by id. */
export function listUsers (db: Database, page: KeysetRequest): Promise<UserRecord[]> {
  return db.selectFrom('users').select(USER_COLUMNS).$call(keysetPage('users.id', page)).execute()
}

export function updateUser (db: Database, id: string, changes: Omit<UserUpdate, 'id' | 'account_id' | 'updated_at'>): Promise<UserRecord | undefined> {
  return db.updateTable('users').set({ ...changes, updated_at: sql<Date>`now()` }).where('id', '=', id).returning(USER_COLUMNS).executeTakeFirst()
}

export async function deleteUser (db: Database, id: string): Promise<boolean> {
  const result = await db.deleteFrom('users').where('id', '=', id).executeTakeFirst()
  return result.numDeletedRows > 0n
}

/** A user whose home account is `accountId`; undefined for users of other accounts too. */
export function findUserInAccount (db: Database, accountId: string, id: string): Promise<UserRecord | undefined> {
  return db.selectFrom('users').select(USER_COLUMNS).where('id', '=', id).where('account_id', '=', accountId).executeTakeFirst()
}

/**
 * Replaces a password hash by another of the same password (a rehash after login), unless the
 * password changed meanwhile. Not a change of the user: updated_at stays.
 */
export async function replacePasswordHash (db: Database, id: string, previous: string, next: string): Promise<boolean> {
  const result = await db.updateTable('users').set({ password_hash: next }).where('id', '=', id).where('password_hash', '=', previous).executeTakeFirst()
  return result.numUpdatedRows > 0n
}
