import { CompiledQuery, type Compilable } from 'kysely'
import type { Database } from './database.js'

/** Stands where a value goes while a query is compiled; each run puts its own value there. */
class Slot {
  readonly index: number
  constructor (index: number) { this.index = index }
}

/**
 * A query built and compiled to SQL once, then run with each call's values: the queries of the
 * hot paths are not rebuilt per request. `build` gets stand-ins for its arguments and must pass
 * them to Kysely as plain values (where, values, set), never read them. The SQL is the same on
 * PostgreSQL and PGlite (both Postgres dialects). Plugins see nothing at run time, so no table
 * FlushOnWrite watches may be updated or deleted through one; an insert reports itself
 * (reportInserted, as db/insert-with-audit.ts does).
 */
export function compiledOnce<Args extends unknown[], Row> (build: (db: Database, ...args: Args) => Compilable<Row>): (db: Database, ...args: Args) => Promise<Row[]> {
  let compiled: CompiledQuery<Row> | undefined
  return async (db, ...args) => {
    compiled ??= build(db, ...(args.map((_, index) => new Slot(index)) as Args)).compile()
    return await runBuiltOnce<Row>(db, compiled.sql, compiled.parameters.map((value) => value instanceof Slot ? args[value.index] : value))
  }
}

/** Runs SQL built once (by compiledOnce, or written as text), with this call's parameters; its rows as the driver gives them. */
export async function runBuiltOnce<Row> (db: Database, text: string, parameters: unknown[]): Promise<Row[]> {
  return (await db.executeQuery(CompiledQuery.raw(text, parameters) as CompiledQuery<Row>)).rows
}
