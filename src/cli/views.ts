import type { UserRecord } from '../db/repositories/users.js'
import type { AccountRow } from '../db/repositories/accounts.js'

/** The --json shapes: camelCase, like the admin API; never a password or a hash. */
export function accountView (account: AccountRow) {
  return { id: account.id, name: account.name, enabled: account.enabled, createdAt: account.created_at, updatedAt: account.updated_at }
}

export function userView (user: UserRecord) {
  return { id: user.id, name: user.name, accountId: user.account_id, email: user.email, enabled: user.enabled, createdAt: user.created_at, updatedAt: user.updated_at }
}

export function describeAccount (account: Pick<AccountRow, 'id' | 'name'>): string {
  return `account ${account.id} (${account.name})`
}

export function describeUser (user: Pick<UserRecord, 'id' | 'name'>): string {
  return `user ${user.id} (${user.name})`
}
