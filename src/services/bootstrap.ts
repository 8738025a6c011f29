import { sql } from 'kysely'
import type { PasswordHasher } from '../core/credentials.js'
import { Conflict } from '../core/errors.js'
import { newUuid } from '../core/identifiers.js'
import { ADMIN_ROLE } from '../core/principal.js'
import { randomUrlSafe } from '../core/secrets.js'
import type { Database } from '../db/database.js'
import { findAccountById, insertAccount } from '../db/repositories/accounts.js'
import { insertAuditEvents } from '../db/repositories/audit-events.js'
import { grantRole } from '../db/repositories/role-assignments.js'
import { findLoginCandidate, insertUser, updateUser } from '../db/repositories/users.js'
import { auditRow, BOOTSTRAP_CONTEXT, type AuditEvent } from './audit.js'

export interface AdminSettings {
  account: string
  user: string
  password: string | undefined
}

export type BootstrapOutcome =
  | { action: 'unchanged' }
  | { action: 'created' | 'password-updated' | 'role-granted' }
  /** No password was configured: one was generated and must be shown to the operator once. */
  | { action: 'generated', password: string }
  /** No admin exists and none may be generated (a shared database with no password set). */
  | { action: 'missing' }

async function adminExists (db: Database, accountId: string): Promise<boolean> {
  const row = await db.selectFrom('role_assignments')
    .innerJoin('users', 'users.id', 'role_assignments.user_id')
    .select('users.id')
    .where('role_assignments.account_id', '=', accountId)
    .where('role_assignments.role', '=', ADMIN_ROLE)
    .limit(1)
    .executeTakeFirst()
  return row !== undefined
}

/**
 * Makes sure the admin account and user exist with the admin role. Idempotent, and
 * serialised by an advisory lock so replicas starting together create them once.
 */
export async function bootstrapAdmin (db: Database, passwords: PasswordHasher, admin: AdminSettings, options: { generateIfMissing: boolean }): Promise<BootstrapOutcome> {
  if (admin.password === undefined) {
    if (await adminExists(db, admin.account)) return { action: 'unchanged' }
    if (!options.generateIfMissing) return { action: 'missing' }
  }
  const generated = admin.password === undefined ? randomUrlSafe(18) : undefined
  const password = admin.password ?? generated!
  const passwordHash = await passwords.hash(password)

  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('tessera.bootstrap-admin'))`.execute(trx)
    if (generated !== undefined && await adminExists(trx, admin.account)) return { action: 'unchanged' } as const
    // Recorded as the admin API records the same changes, in the same transaction.
    const events: AuditEvent[] = []
    if (!await findAccountById(trx, admin.account)) {
      await insertAccount(trx, { id: admin.account, name: admin.account })
      events.push({ kind: 'account.created', accountId: admin.account, object: { type: 'account', id: admin.account }, details: { name: admin.account } })
    }
    const existing = await findLoginCandidate(trx, { name: admin.user })
    if (existing && existing.account_id !== admin.account) {
      // Granting admin to (and resetting the password of) another account's user would be a takeover.
      throw new Conflict(`TESSERA_ADMIN_USER names ${admin.user}, a user of account ${existing.account_id}, not of TESSERA_ADMIN_ACCOUNT ${admin.account}`)
    }
    let action: 'unchanged' | 'created' | 'password-updated' | 'role-granted' = 'unchanged'
    let userId = existing?.id
    if (!existing) {
      userId = newUuid()
      await insertUser(trx, { id: userId, account_id: admin.account, name: admin.user, email: null, password_hash: passwordHash, enabled: true })
      action = 'created'
      events.push({ kind: 'user.created', accountId: admin.account, object: { type: 'user', id: userId }, details: { name: admin.user, roles: [ADMIN_ROLE], password: 'set' } })
    } else if (!await passwords.verify(existing.password_hash, password)) {
      await updateUser(trx, existing.id, { password_hash: passwordHash, enabled: true })
      action = 'password-updated'
      events.push({ kind: 'user.changed', accountId: admin.account, object: { type: 'user', id: existing.id }, details: { changes: { password: 'changed', enabled: true } } })
    }
    // An existing user may have lost the role (withdrawn through the admin API): getting it back is recorded.
    if (await grantRole(trx, { userId: userId!, accountId: admin.account, role: ADMIN_ROLE }) && existing) {
      events.push({ kind: 'role.granted', accountId: admin.account, object: { type: 'user', id: existing.id }, details: { role: ADMIN_ROLE } })
      if (action === 'unchanged') action = 'role-granted'
    }
    await insertAuditEvents(trx, events.map((event) => auditRow(BOOTSTRAP_CONTEXT, event)))
    if (generated !== undefined) return { action: 'generated', password: generated } as const
    return { action }
  })
}
