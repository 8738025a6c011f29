import { sql, type ExpressionOrFactory, type Insertable, type SqlBool } from 'kysely'
import { batchedByHash } from '../batched-lookups.js'
import { compiledOnce } from '../compiled-once.js'
import type { Database } from '../database.js'
import type { AuthSessions, DB } from '../schema.js'
import type { NewAuditEvent } from './audit-events.js'

export type NewAuthSession = Insertable<AuthSessions>

export interface ActiveSession {
  audit_id: string
  audit_chain_id: string
  method: 'password' | 'apikey' | 'token'
  user_id: string
  user_name: string
  /** The user's own account. */
  home_account_id: string
  account_id: string | null
  account_name: string | null
  roles: string[]
  issued_at: Date
  expires_at: Date
}

/**
 * A new session, and with `audit` the audit row of its issue in the same statement (a
 * data-modifying WITH): both are written or neither, in one round trip and no transaction.
 */
export async function insertAuthSession (db: Database, session: NewAuthSession, audit?: NewAuditEvent): Promise<void> {
  if (!audit) {
    await db.insertInto('auth_sessions').values(session).execute()
    return
  }
  await db.with('session', (cte) => cte.insertInto('auth_sessions').values(session)).insertInto('audit_events').values(audit).execute()
}

/** The sessions behind `hashes` that may be live: not revoked, their user and their accounts enabled (expiry is each caller's to check). */
const liveSessionsByHash = compiledOnce((db: Database, hashes: Buffer[]) => db.selectFrom('auth_sessions as s')
  .innerJoin('users as u', 'u.id', 's.user_id')
  .innerJoin('accounts as home', 'home.id', 'u.account_id')
  .leftJoin('accounts as tenant', 'tenant.id', 's.account_id')
  .select([
    's.secret_hash', 's.audit_id', 's.audit_chain_id', 's.method', 's.user_id', 'u.name as user_name', 'u.account_id as home_account_id',
    's.account_id', 'tenant.name as account_name', 's.roles', 's.issued_at', 's.expires_at'
  ])
  .where(sql<boolean>`s.secret_hash = any(${hashes}::bytea[])`)
  .where('s.revoked_at', 'is', null)
  .where('u.enabled', '=', true)
  .where('home.enabled', '=', true)
  .where((eb) => eb.or([eb('s.account_id', 'is', null), eb('tenant.enabled', '=', true)])))

/** Concurrent validations share a statement (db/batched-lookups.ts). */
const liveSessionByHash = batchedByHash(liveSessionsByHash, (row) => row.secret_hash)

/**
 * The live session behind a secret hash: not revoked, not expired at `now`, its user and their
 * account enabled, and its tenant (if any) enabled. One indexed lookup, no write, shared with
 * the concurrent lookups of other requests.
 */
export async function findActiveSession (db: Database, secretHash: Buffer, now: Date): Promise<ActiveSession | undefined> {
  const row = await liveSessionByHash(db, secretHash)
  return row !== undefined && row.expires_at.getTime() > now.getTime() ? row : undefined
}

/** Marks the live sessions `filter` selects revoked; returns how many it revoked. */
async function revokeSessionsWhere (db: Database, filter: ExpressionOrFactory<DB, 'auth_sessions', SqlBool>): Promise<number> {
  const result = await db.updateTable('auth_sessions')
    .set({ revoked_at: sql<Date>`now()` })
    .where(filter)
    .where('revoked_at', 'is', null)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}

/** Whether the session with this audit id is scoped to no account (it may be re-scoped to any of its user's). */
export async function isUnscopedSession (db: Database, auditId: string): Promise<boolean> {
  const row = await db.selectFrom('auth_sessions').select('account_id').where('audit_id', '=', auditId).executeTakeFirst()
  return row !== undefined && row.account_id === null
}

/** Revokes one live session; false when there was none to revoke. */
export async function revokeAuthSession (db: Database, auditId: string): Promise<boolean> {
  return await revokeSessionsWhere(db, (eb) => eb('audit_id', '=', auditId)) > 0
}

/** Revokes a user's live sessions scoped to `accountId` that carry `role` (their roles are fixed at issue). */
export function revokeSessionsWithRole (db: Database, userId: string, accountId: string, role: string): Promise<number> {
  return revokeSessionsWhere(db, (eb) => eb.and([eb('user_id', '=', userId), eb('account_id', '=', accountId), sql<boolean>`${role} = any(roles)`]))
}

/** Revokes every live session of a user (disabled, or given a new password). */
export function revokeSessionsOfUser (db: Database, userId: string): Promise<number> {
  return revokeSessionsWhere(db, (eb) => eb('user_id', '=', userId))
}

/** Revokes every live session scoped to an account or held by one of its users (it was disabled). */
export function revokeSessionsOfAccount (db: Database, accountId: string): Promise<number> {
  return revokeSessionsWhere(db, (eb) => eb.or([
    eb('account_id', '=', accountId),
    eb('user_id', 'in', eb.selectFrom('users').select('id').where('users.account_id', '=', accountId))
  ]))
}

export interface SessionRefusal {
  reason: 'unknown' | 'revoked' | 'expired' | 'disabled'
  userId?: string
  userName?: string
  /** The user's home account: whose trail the refusal goes to. */
  accountId?: string
  auditId?: string
}

/**
 * Why no live session matches a secret hash (findActiveSession found none): read only when a
 * session is refused, never on the validation path of one that is accepted.
 */
export async function explainSessionRefusal (db: Database, secretHash: Uint8Array, now: Date): Promise<SessionRefusal> {
  const row = await db.selectFrom('auth_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('accounts as home', 'home.id', 'u.account_id')
    .leftJoin('accounts as tenant', 'tenant.id', 's.account_id')
    .select(['s.audit_id', 's.revoked_at', 's.expires_at', 'u.id as user_id', 'u.name as user_name', 'u.account_id', 'u.enabled as user_enabled', 'home.enabled as home_enabled', 'tenant.enabled as tenant_enabled'])
    .where('s.secret_hash', '=', secretHash)
    .executeTakeFirst()
  if (!row) return { reason: 'unknown' }
  const who = { userId: row.user_id, userName: row.user_name, accountId: row.account_id, auditId: row.audit_id }
  if (row.revoked_at !== null) return { reason: 'revoked', ...who }
  if (row.expires_at.getTime() <= now.getTime()) return { reason: 'expired', ...who }
  return { reason: 'disabled', ...who }
}

/** How many live sessions a user holds (the kill switch's dry run). */
export async function countLiveSessionsOfUser (db: Database, userId: string, now: Date): Promise<number> {
  const row = await db.selectFrom('auth_sessions').select((eb) => eb.fn.countAll<string>().as('count'))
    .where('user_id', '=', userId).where('revoked_at', 'is', null).where('expires_at', '>', now).executeTakeFirstOrThrow()
  return Number(row.count)
}
