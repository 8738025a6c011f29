import type { AccountRow } from '../db/repositories/accounts.js'
import type { AuditEventRow } from '../db/repositories/audit-events.js'
import type { UserRecord } from '../db/repositories/users.js'

/**
 * Rows to the shapes the admin API answers with and the CLI prints (its --json is the admin
 * API's): camelCase, ISO timestamps, and only the fields the API promises. The admin API's
 * response schemas check them where its routes return them.
 */

export interface AccountView { id: string, name: string, enabled: boolean, createdAt: string }

/** A user, with their roles on their home account. */
export interface UserWithRolesView { id: string, name: string, accountId: string, email: string | null, roles: string[], enabled: boolean, createdAt: string }

export interface AuditEventView {
  id: string
  occurredAt: string
  accountId: string | null
  kind: string
  actor: { kind: string, id: string | null, name: string | null, credential: string | null }
  object: { type: string, id: string } | null
  reason: string | null
  requestId: string | null
  clientIp: string | null
  details: Record<string, unknown>
}

export function toAccount (row: AccountRow): AccountView {
  return { id: row.id, name: row.name, enabled: row.enabled, createdAt: row.created_at.toISOString() }
}

/** `roles` are the user's roles on their home account. */
export function toUser (row: UserRecord, roles: readonly string[]): UserWithRolesView {
  return {
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    email: row.email,
    roles: [...roles],
    enabled: row.enabled,
    createdAt: row.created_at.toISOString()
  }
}

export function toAuditEvent (row: AuditEventRow): AuditEventView {
  return {
    id: String(row.id),
    occurredAt: row.occurred_at.toISOString(),
    accountId: row.account_id,
    kind: row.kind,
    actor: { kind: row.actor_kind ?? 'anonymous', id: row.actor_id, name: row.actor_name, credential: row.actor_credential },
    object: row.object_type === null || row.object_id === null ? null : { type: row.object_type, id: row.object_id },
    reason: row.reason,
    requestId: row.request_id,
    clientIp: row.client_ip,
    details: row.details as Record<string, unknown>
  }
}
