import type { UserRecord } from '../../db/repositories/users.js'
import type { AccountRow } from '../../db/repositories/accounts.js'
import type { Account, User } from './schemas.js'

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
