import type { Label, UserTokenRecord } from './repository.js'

/** A user's token as the admin API and the CLI show it: never its secret. */
export interface AstraTokenView {
  id: string
  name: string
  accountId: string
  userId: string
  labels: Label[]
  createdAt: string
  createdBy: string
  modifiedAt: string
  modifiedBy: string | null
}

export function toAstraToken (row: UserTokenRecord): AstraTokenView {
  return {
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    userId: row.user_id,
    labels: row.labels as unknown as Label[],
    createdAt: row.created_at.toISOString(),
    createdBy: row.created_by,
    modifiedAt: row.modified_at.toISOString(),
    modifiedBy: row.modified_by
  }
}
