import { sql } from 'kysely'
import type { Database } from '../database.js'

/**
 * A kind of credential that stays stored once ended, until retention purges it (the other kinds
 * are deleted when they end). Fixed identifiers only: nothing here comes from input.
 */
export interface EndedCredentials {
  /** Its field in a purge's counts. */
  count: string
  /** What operators call them, in the plural. */
  noun: string
  table: string
  /** The key a batch deletes by. */
  key: string
  /** Its accessor: the key of its use counts. */
  accessor: string
  /** The instants that end one: whichever comes first before the cutoff. */
  endedAt: readonly string[]
}

/** A table of stored credentials, by the column that holds their accessor (the key of their use counts). */
export interface CredentialAccessors {
  table: string
  accessor: string
}

function endedBefore ({ endedAt }: EndedCredentials, cutoff: Date) {
  return sql<boolean>`(${sql.join(endedAt.map((column) => sql`${sql.ref(column)} < ${cutoff}`), sql` or `)})`
}

/**
 * Deletes up to `batchSize` credentials of `kind` that ended before `cutoff`, and the use counts
 * of those it deleted, in one statement. Rows another replica's purge (or a usage flush) holds
 * are skipped, never waited for, so each batch is one short transaction that cannot deadlock; a
 * use count skipped so is left to sweepCredentialUsage.
 */
export async function purgeEndedCredentials (db: Database, kind: EndedCredentials, cutoff: Date, batchSize: number): Promise<{ credentials: number, usage: number }> {
  const { table, key, accessor } = kind
  const { rows } = await sql<{ credentials: number, usage: number }>`
    with doomed as (
      select ${sql.ref(key)} as doomed_key from ${sql.table(table)} where ${endedBefore(kind, cutoff)} limit ${batchSize} for update skip locked
    ), gone as (
      delete from ${sql.table(table)} where ${sql.ref(key)} in (select doomed_key from doomed) returning ${sql.ref(accessor)} as accessor
    ), gone_usage as (
      delete from credential_usage where accessor in (
        select accessor from credential_usage where accessor in (select accessor from gone) for update skip locked
      ) returning 1
    )
    select (select count(*) from gone)::int as credentials, (select count(*) from gone_usage)::int as usage`.execute(db)
  return rows[0]!
}

/** How many credentials of `kind` ended before `cutoff`, and how many use counts they have (the dry run). */
export async function countEndedCredentials (db: Database, kind: EndedCredentials, cutoff: Date): Promise<{ credentials: number, usage: number }> {
  const { table, accessor } = kind
  const { rows } = await sql<{ credentials: number, usage: number }>`
    with ended as (select ${sql.ref(accessor)} as accessor from ${sql.table(table)} where ${endedBefore(kind, cutoff)})
    select (select count(*) from ended)::int as credentials,
      (select count(*) from credential_usage where accessor in (select accessor from ended))::int as usage`.execute(db)
  return rows[0]!
}

/** Deletes up to `batchSize` audit events that occurred before `cutoff`, oldest first, skipping rows another purge holds. */
export async function purgeAuditEvents (db: Database, cutoff: Date, batchSize: number): Promise<number> {
  const result = await db.deleteFrom('audit_events')
    .where('id', 'in', (eb) => eb.selectFrom('audit_events')
      .select('id')
      .where('occurred_at', '<', cutoff)
      .orderBy('occurred_at')
      .limit(batchSize)
      .forUpdate()
      .skipLocked())
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

export async function countAuditEventsBefore (db: Database, cutoff: Date): Promise<number> {
  const row = await db.selectFrom('audit_events').select((eb) => eb.fn.countAll<string>().as('count'))
    .where('occurred_at', '<', cutoff).executeTakeFirstOrThrow()
  return Number(row.count)
}

/**
 * No stored credential has the accessor `u.accessor`: one probe of each table's index. Every kind
 * of the credentials view (migration 0014) must be among `tables`; the view itself, a union over
 * joins, cannot be probed by index row by row, so an anti-join with it reads every credential.
 * Every accessor sorts in "C" (sessions' audit ids since migration 0016), so each probe is an
 * index lookup.
 */
function noCredentialHasAccessor (tables: readonly CredentialAccessors[]) {
  return sql.join(tables.map(({ table, accessor }) =>
    sql<boolean>`not exists (select 1 from ${sql.table(table)} c where ${sql.ref(`c.${accessor}`)} = u.accessor)`), sql` and `)
}

export interface UsageSweep {
  /** Use counts looked at: fewer than the batch size when the walk reached the end. */
  scanned: number
  deleted: number
  /** The last accessor looked at, where the next batch starts (after it). */
  last: string | null
}

/**
 * One step of a walk through the use counts in accessor order: of the `batchSize` after
 * `after`, deletes those whose credential is gone (deleted directly: one deleted when it
 * ends, an API key replaced, an account removed). Whoever deletes a credential need not know its counts.
 */
export async function sweepCredentialUsage (db: Database, tables: readonly CredentialAccessors[], after: string, batchSize: number): Promise<UsageSweep> {
  const { rows } = await sql<UsageSweep>`
    with page as (
      select accessor from credential_usage where accessor > ${after} order by accessor limit ${batchSize}
    ), doomed as (
      select u.accessor from credential_usage u
      where u.accessor in (select accessor from page) and ${noCredentialHasAccessor(tables)}
      for update of u skip locked
    ), gone as (
      delete from credential_usage where accessor in (select accessor from doomed) returning 1
    )
    select (select count(*) from page)::int as scanned, (select count(*) from gone)::int as deleted, (select max(accessor) from page) as last`.execute(db)
  return rows[0]!
}

/** How many use counts name no credential (the dry run). */
export async function countOrphanCredentialUsage (db: Database, tables: readonly CredentialAccessors[]): Promise<number> {
  const { rows } = await sql<{ count: number }>`
    select count(*)::int as count from credential_usage u where ${noCredentialHasAccessor(tables)}`.execute(db)
  return rows[0]!.count
}
