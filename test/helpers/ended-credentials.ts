import { randomBytes, randomUUID } from 'node:crypto'
import type { Database } from '../../src/db/database.js'
import { unique } from './factories.js'

export const DAY = 86_400_000

/** `days` days before (negative: after) `now`. */
export function daysAgo (now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY)
}

/** A session of `user` that expires (and perhaps was revoked) when given; returns its accessor, the audit id. */
export async function insertSession (db: Database, user: { id: string, accountId: string }, times: { expiresAt: Date, revokedAt?: Date }): Promise<string> {
  const auditId = randomBytes(16).toString('base64url')
  await db.insertInto('auth_sessions').values({
    audit_id: auditId,
    secret_hash: randomBytes(32),
    user_id: user.id,
    account_id: user.accountId,
    roles: ['member'],
    method: 'password',
    audit_chain_id: auditId,
    issued_at: new Date(times.expiresAt.getTime() - DAY),
    expires_at: times.expiresAt,
    revoked_at: times.revokedAt ?? null
  }).execute()
  return auditId
}

/** An Astra token of `user`, revoked when given; returns its accessor, the token id. */
export async function insertAstraToken (db: Database, user: { id: string, accountId: string }, revokedAt?: Date): Promise<string> {
  const id = randomUUID()
  await db.insertInto('user_tokens').values({
    account_id: user.accountId, user_id: user.id, id, name: unique('token'), secret_hash: randomBytes(32), created_by: user.id, revoked_at: revokedAt ?? null
  }).execute()
  return id
}

/** A host factory token expiring at `expiration`, on a host factory of its own; returns its accessor. */
export async function insertHostFactoryToken (db: Database, accountId: string, expiration: Date): Promise<string> {
  const factory = unique('factory')
  await db.insertInto('host_factories').values({ account_id: accountId, id: factory }).execute()
  const row = await db.insertInto('host_factory_tokens').values({
    token_sha256: randomBytes(32), token_sealed: randomBytes(48), account_id: accountId, host_factory_id: factory, expiration
  }).returning('accessor').executeTakeFirstOrThrow()
  return row.accessor
}

/** An agent token of `accountId`; returns its accessor. */
export async function insertAgentToken (db: Database, accountId: string): Promise<string> {
  const row = await db.insertInto('agent_tokens').values({
    account_id: accountId, sort_key: randomBytes(8).toString('hex'), secret_hash: randomBytes(32), token_sealed: randomBytes(48)
  }).returning('accessor').executeTakeFirstOrThrow()
  return row.accessor
}

/** A Conjur host of `accountId`; returns its API key's accessor. */
export async function insertHost (db: Database, accountId: string): Promise<string> {
  const row = await db.insertInto('hosts').values({
    account_id: accountId, id: unique('host'), api_key_hash: randomBytes(32), api_key_sealed: randomBytes(48)
  }).returning('api_key_accessor').executeTakeFirstOrThrow()
  return row.api_key_accessor
}

/** An audit event of `accountId` that occurred at `occurredAt`; returns its id. */
export async function insertAuditEventAt (db: Database, accountId: string, occurredAt: Date): Promise<string> {
  const row = await db.insertInto('audit_events').values({ account_id: accountId, kind: 'test.event', occurred_at: occurredAt })
    .returning('id').executeTakeFirstOrThrow()
  return String(row.id)
}

/** A use count for each accessor (the usage flush's rows). */
export async function insertUsage (db: Database, accessors: string[]): Promise<void> {
  if (accessors.length === 0) return
  await db.insertInto('credential_usage').values(accessors.map((accessor) => ({ accessor, use_count: '3', last_used_at: new Date() }))).execute()
}

/** Which of `accessors` still have a use count. */
export async function usageOf (db: Database, accessors: string[]): Promise<string[]> {
  if (accessors.length === 0) return []
  const rows = await db.selectFrom('credential_usage').select('accessor').where('accessor', 'in', accessors).execute()
  return rows.map((row) => row.accessor).sort()
}

/** Which of `accessors` still name a stored credential (any kind). */
export async function credentialsOf (db: Database, accessors: string[]): Promise<string[]> {
  if (accessors.length === 0) return []
  const rows = await db.selectFrom('credentials').select('accessor').where('accessor', 'in', accessors).execute()
  return rows.map((row) => row.accessor!).sort()
}

/** Which of the event ids are still stored. */
export async function auditEventsOf (db: Database, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return []
  const rows = await db.selectFrom('audit_events').select('id').where('id', 'in', ids).execute()
  return rows.map((row) => String(row.id)).sort()
}
