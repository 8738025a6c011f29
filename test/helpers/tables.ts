import { sql } from 'kysely'
import type { Database } from '../../src/db/database.js'

/** Every table of the public schema (the migrations' own bookkeeping included). */
export async function listTables (db: Database): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`
    select table_name as name from information_schema.tables
    where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`.execute(db)
  return rows.map((row) => row.name)
}

/**
 * A cheap digest of the whole database: per table, its row count and the md5 of its rows as
 * text in a fixed order. Two equal fingerprints mean no row was added, removed or changed.
 */
export async function fingerprint (db: Database, tables?: string[]): Promise<Record<string, string>> {
  const names = tables ?? await listTables(db)
  const parts = names.map((name) => sql`select ${name} as name, count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' order by t::text)), '') as digest from ${sql.table(name)} t`)
  const { rows } = await sql<{ name: string, digest: string }>`${sql.join(parts, sql` union all `)}`.execute(db)
  return Object.fromEntries(rows.map((row) => [row.name, row.digest]))
}

/** Every row of every table, each column cast to text, as one string per row (for secret scans). */
export async function dumpTables (db: Database): Promise<Record<string, string[]>> {
  const dump: Record<string, string[]> = {}
  for (const name of await listTables(db)) {
    const { rows } = await sql<{ row: string }>`select t::text as row from ${sql.table(name)} t`.execute(db)
    dump[name] = rows.map((row) => row.row)
  }
  return dump
}
