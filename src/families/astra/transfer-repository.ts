import { sql } from 'kysely'
import type { Database } from '../../db/database.js'
import { EXPORT_PAGE } from '../../db/repositories/transfer-export.js'

/** What an export reads and an import writes of Astra tokens (transfer.ts). */

export interface ExportedAstraToken {
  account_id: string
  user_id: string
  user_name: string
  id: string
  name: string
  labels: Array<{ name: string, value: string }>
  created_by: string
  modified_by: string | null
  created_at: Date
  modified_at: Date
  secret_hash: Uint8Array
}

/** Live tokens only: a revoked one never works again, and is nothing to bring over. */
export async function astraTokenPage (db: Database, after: { accountId: string, userId: string, id: string } | undefined): Promise<ExportedAstraToken[]> {
  return await db.selectFrom('user_tokens as t').innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.account_id', 't.user_id', 'u.name as user_name', 't.id', 't.name', 't.labels', 't.created_by', 't.modified_by', 't.created_at', 't.modified_at', 't.secret_hash'])
    .where('t.revoked_at', 'is', null)
    .$if(after !== undefined, (query) => query.where(sql<boolean>`(t.account_id, t.user_id, t.id) > (${after!.accountId}, ${after!.userId}, ${after!.id})`))
    .orderBy('t.account_id').orderBy('t.user_id').orderBy('t.id').limit(EXPORT_PAGE).execute() as ExportedAstraToken[]
}

export async function userTokenExists (db: Database, hash: Uint8Array): Promise<boolean> {
  return (await db.selectFrom('user_tokens').select('id').where('secret_hash', '=', hash).executeTakeFirst()) !== undefined
}

export async function userTokenIdTaken (db: Database, id: string): Promise<boolean> {
  return (await db.selectFrom('user_tokens').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

export interface ImportedUserToken {
  account_id: string
  user_id: string
  id: string
  name: string
  secret_hash: Uint8Array
  labels: Array<{ name: string, value: string }>
  created_by: string
  modified_by: string | null
  created_at: Date
  modified_at: Date
}

export async function insertImportedUserToken (db: Database, token: ImportedUserToken): Promise<void> {
  await db.insertInto('user_tokens').values({ ...token, labels: JSON.stringify(token.labels) }).execute()
}
