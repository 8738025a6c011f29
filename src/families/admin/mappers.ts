import type { UserRecord } from '../../db/repositories/users.js'
import type { AccountRow } from '../../db/repositories/accounts.js'
import type { AuditEventRow } from '../../db/repositories/audit-events.js'
import type { Account, AuditEvent, User } from './schemas.js'

/** Rows to API shapes: camelCase, ISO timestamps, and only the fields the API promises. */

export function toAccount (row: AccountRow): Account {
  return { id: row.id, name: row.name, enabled: row.enabled, createdAt: row.created_at.toISOString() }
}

/** `roles` are the user's roles on their home account. */
export function toUser (row: UserRecord, roles: readonly string[]): User {
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

export function toAuditEvent (row: AuditEventRow): AuditEvent {
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
