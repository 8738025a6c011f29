import { sql, type Expression, type ExpressionBuilder, type Selectable, type SqlBool } from 'kysely'
import type { KeysetRequest } from '../../core/pagination.js'
import { batchedByHash } from '../../db/batched-lookups.js'
import { compiledOnce } from '../../db/compiled-once.js'
import type { Database } from '../../db/database.js'
import { keysetPage } from '../../db/keyset.js'
import type { DB, UserTokens } from '../../db/schema.js'

/** NetApp Astra user tokens (migrations/0006). */

type UserTokenRow = Selectable<UserTokens>

/** Never secret_hash: it is only ever a lookup key. */
const USER_TOKEN_COLUMNS = [
  'user_tokens.account_id', 'user_tokens.user_id', 'user_tokens.id', 'user_tokens.name', 'user_tokens.labels',
  'user_tokens.created_at', 'user_tokens.modified_at', 'user_tokens.created_by', 'user_tokens.modified_by'
] as const

export type UserTokenRecord = Pick<UserTokenRow, 'account_id' | 'user_id' | 'id' | 'name' | 'labels' | 'created_at' | 'modified_at' | 'created_by' | 'modified_by'>

export interface Label {
  name: string
  value: string
}

export interface NewUserToken {
  accountId: string
  userId: string
  id: string
  name: string
  secretHash: Uint8Array
  labels: Label[]
  createdBy: string
}

/** Columns a list can be ordered and filtered by; the only names that reach SQL from a query. */
export const TOKEN_COLUMNS = {
  id: 'user_tokens.id',
  name: 'user_tokens.name',
  userID: 'user_tokens.user_id',
  createdBy: 'user_tokens.created_by',
  modifiedBy: 'user_tokens.modified_by',
  creationTimestamp: 'user_tokens.created_at',
  modificationTimestamp: 'user_tokens.modified_at'
} as const
export type TokenColumn = keyof typeof TOKEN_COLUMNS

export const COMPARISONS = { eq: '=', lt: '<', gt: '>', lte: '<=', gte: '>=' } as const
export type Comparison = keyof typeof COMPARISONS

/** One condition of a list filter: a column, or any label's name or value, against a value. */
export type TokenCondition =
  | { on: 'column', column: TokenColumn, op: Comparison, value: string | Date }
  | { on: 'label', part: 'name' | 'value', op: Comparison, value: string }
  /** A condition on a value every token shares (type, version): known true or false before SQL. */
  | { on: 'constant', holds: boolean }
  /** Any of these holds: the filter operator `in`, one `eq` for each value of its list. */
  | { on: 'any', conditions: readonly TokenCondition[] }

export interface TokenListQuery {
  conditions: readonly TokenCondition[]
  order: { column: 'id' | 'name' | 'createdBy' | 'creationTimestamp' | 'modificationTimestamp', descending: boolean }
  /** The keyset position: the order column's value and the id of the last token already seen. */
  after?: { value: string | Date, id: string } | undefined
  skip: number
  /** Rows to fetch; undefined for all. */
  rows: number | undefined
}

export async function insertUserToken (db: Database, token: NewUserToken): Promise<UserTokenRecord> {
  return db.insertInto('user_tokens').values({
    account_id: token.accountId,
    user_id: token.userId,
    id: token.id,
    name: token.name,
    secret_hash: token.secretHash,
    labels: JSON.stringify(token.labels),
    created_by: token.createdBy
  }).returning(USER_TOKEN_COLUMNS).executeTakeFirstOrThrow()
}

/** A live token of the user's, or undefined; `forUpdate` locks the row in the caller's transaction. */
export function findUserToken (db: Database, accountId: string, userId: string, id: string, forUpdate = false): Promise<UserTokenRecord | undefined> {
  const query = db.selectFrom('user_tokens').select(USER_TOKEN_COLUMNS)
    .where('account_id', '=', accountId).where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null)
  return (forUpdate ? query.forUpdate() : query).executeTakeFirst()
}

/** Replaces name and labels; modified_at moves forward by at least a millisecond, so each change shows. */
export function updateUserToken (db: Database, accountId: string, userId: string, id: string, change: { name: string, labels: Label[], modifiedBy: string }): Promise<UserTokenRecord | undefined> {
  return db.updateTable('user_tokens')
    .set({
      name: change.name,
      labels: JSON.stringify(change.labels),
      modified_by: change.modifiedBy,
      modified_at: sql<Date>`greatest(date_trunc('milliseconds', now()), modified_at + interval '1 millisecond')`
    })
    .where('account_id', '=', accountId).where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null)
    .returning(USER_TOKEN_COLUMNS)
    .executeTakeFirst()
}

/** Revokes a live token: from now on its secret matches nothing. False when there was none. */
export async function revokeUserToken (db: Database, accountId: string, userId: string, id: string): Promise<boolean> {
  const result = await db.updateTable('user_tokens').set({ revoked_at: sql<Date>`now()` })
    .where('account_id', '=', accountId).where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null)
    .executeTakeFirst()
  return result.numUpdatedRows > 0n
}

export interface UserTokenHolder {
  token_id: string
  account_id: string
  user_id: string
  user_name: string
  /** The user's current roles on the token's account. */
  roles: string[]
  revoked: boolean
  /** Not revoked, its user and account enabled: the token may act. */
  active: boolean
}

/** The holders of the tokens `hashes` name: the lookups of concurrent requests share it (db/batched-lookups.ts). */
const holdersByHash = compiledOnce((db: Database, hashes: Buffer[]) => db.selectFrom('user_tokens')
  .innerJoin('users', 'users.id', 'user_tokens.user_id')
  .innerJoin('accounts', 'accounts.id', 'user_tokens.account_id')
  .select(['user_tokens.secret_hash', 'user_tokens.id as token_id', 'user_tokens.account_id', 'user_tokens.user_id', 'users.name as user_name'])
  .select((eb) => sql<string[]>`array(${eb.selectFrom('role_assignments').select('role')
    .whereRef('role_assignments.user_id', '=', 'user_tokens.user_id')
    .whereRef('role_assignments.account_id', '=', 'user_tokens.account_id')
    .orderBy('role')})`.as('roles'))
  .select([
    sql<boolean>`user_tokens.revoked_at is not null`.as('revoked'),
    sql<boolean>`user_tokens.revoked_at is null and users.enabled and accounts.enabled`.as('active')
  ])
  .where(sql<boolean>`user_tokens.secret_hash = any(${hashes}::bytea[])`))
const holderByHash = batchedByHash(holdersByHash, (row) => row.secret_hash)

/**
 * Who a bearer secret stands for, whatever the token's state (so a refusal can say why): its
 * token's user, with that user's roles on the token's account now. One indexed lookup
 * (secret_hash is unique), in a statement shared with concurrent requests.
 */
export function findUserTokenHolder (db: Database, secretHash: Buffer): Promise<UserTokenHolder | undefined> {
  return holderByHash(db, secretHash)
}

export { isUserOfAccount } from '../../db/repositories/memberships.js'

function conditionSql (eb: ExpressionBuilder<DB, 'user_tokens'>, condition: TokenCondition): Expression<SqlBool> {
  switch (condition.on) {
    case 'constant':
      return sql<SqlBool>`${sql.lit(condition.holds)}`
    case 'column':
      return eb(TOKEN_COLUMNS[condition.column], COMPARISONS[condition.op], condition.value)
    case 'label':
      // Any label whose name (or value) compares so; compared byte-wise, as the text columns are.
      return sql<SqlBool>`exists (select 1 from jsonb_array_elements(user_tokens.labels) as label (item)
        where (label.item ->> ${condition.part}) collate "C" ${sql.raw(COMPARISONS[condition.op])} ${condition.value})`
    case 'any':
      return eb.or(condition.conditions.map((each) => conditionSql(eb, each)))
  }
}

function live (db: Database, accountId: string, userId: string, conditions: readonly TokenCondition[]) {
  return db.selectFrom('user_tokens')
    .where('user_tokens.account_id', '=', accountId)
    .where('user_tokens.user_id', '=', userId)
    .where('user_tokens.revoked_at', 'is', null)
    .where((eb) => eb.and(conditions.map((condition) => conditionSql(eb, condition))))
}

/**
 * One keyset page of a user's live tokens: ordered by the column then id (both in the same
 * direction, so one index serves it), after the position when given. `skip` passes over that
 * many more rows; without it a page is one index range scan, whatever the number of tokens.
 */
export function listUserTokens (db: Database, accountId: string, userId: string, query: TokenListQuery): Promise<UserTokenRecord[]> {
  const column = TOKEN_COLUMNS[query.order.column]
  const direction = query.order.descending ? 'desc' : 'asc'
  let select = live(db, accountId, userId, query.conditions).select(USER_TOKEN_COLUMNS)
  const after = query.after
  if (after !== undefined) {
    select = column === 'user_tokens.id'
      ? select.where('user_tokens.id', query.order.descending ? '<' : '>', after.id)
      : select.where((eb) => eb(eb.refTuple(column, 'user_tokens.id'), query.order.descending ? '<' : '>', eb.tuple(after.value, after.id)))
  }
  select = select.orderBy(column, direction)
  if (column !== 'user_tokens.id') select = select.orderBy('user_tokens.id', direction)
  if (query.skip > 0) select = select.offset(query.skip)
  return (query.rows === undefined ? select : select.limit(query.rows)).execute()
}

/** How many live tokens of the user's match the conditions. */
export async function countUserTokens (db: Database, accountId: string, userId: string, conditions: readonly TokenCondition[]): Promise<number> {
  const row = await live(db, accountId, userId, conditions).select((eb) => eb.fn.countAll<string>().as('count')).executeTakeFirstOrThrow()
  return Number(row.count)
}

/**
 * A keyset page of a user's live tokens by id, on one account or on all (the admin API and
 * the CLI): the primary key's order within an account, the user index across accounts.
 */
export function listTokensOfUser (db: Database, userId: string, page: KeysetRequest, accountId?: string): Promise<UserTokenRecord[]> {
  let query = db.selectFrom('user_tokens').select(USER_TOKEN_COLUMNS)
    .where('user_tokens.user_id', '=', userId).where('user_tokens.revoked_at', 'is', null)
  if (accountId !== undefined) query = query.where('user_tokens.account_id', '=', accountId)
  return query.$call(keysetPage('user_tokens.id', page)).execute()
}

/** Revokes one live token of a user, on whichever account it is: that account's id, or undefined when there was none. */
export async function revokeTokenOfUser (db: Database, userId: string, id: string): Promise<string | undefined> {
  const row = await db.updateTable('user_tokens').set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId).where('id', '=', id).where('revoked_at', 'is', null)
    .returning('account_id')
    .executeTakeFirst()
  return row?.account_id
}

/** Revokes every live Astra token of a user, on any account; with `dryRun`, only counts them. */
export async function revokeAllTokensOfUser (db: Database, userId: string, dryRun = false): Promise<number> {
  if (dryRun) {
    const row = await db.selectFrom('user_tokens').select((eb) => eb.fn.countAll<string>().as('count'))
      .where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirstOrThrow()
    return Number(row.count)
  }
  const result = await db.updateTable('user_tokens').set({ revoked_at: sql<Date>`now()` })
    .where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()
  return Number(result.numUpdatedRows)
}
