import { columnArrays, insertFromArrays, type ArrayColumn } from './array-insert.js'
import { CoalescedWrites, type CoalescedWritesOptions } from './coalesced-writes.js'
import { runBuiltOnce } from './compiled-once.js'
import type { Database } from './database.js'
import { isRowError } from './errors.js'
import { reportInserted } from './flush-on-write.js'
import { AUDIT_EVENT_COLUMNS, type NewAuditEvent } from './repositories/audit-events.js'

/** One request's rows of `table`, and the audit rows that record them. */
export interface RowsWithAudit<Row> {
  rows: readonly Row[]
  audit: readonly NewAuditEvent[]
}

export interface InsertWithAuditOptions<Request, Row, Returned, Result> {
  table: string
  columns: ReadonlyArray<ArrayColumn<Row>>
  /** What one request writes. */
  rowsOf: (request: Request) => RowsWithAudit<Row>
  /** The SQL list of what the statement returns of each row written; nothing when absent. */
  returning?: string
  /** What the requests of one statement get of the rows it returned (computed once a statement). */
  resultOf: (returned: Returned[]) => Result
  /** How concurrent requests share statements; a row that fails alone fails only its request. */
  coalescing: Omit<CoalescedWritesOptions<Request>, 'isRowError'>
  /**
   * The read-cache entries the request's rows change, to forget at once in this process (the
   * triggers notify no insert: see migration 0012).
   */
  changedKeys?: (request: Request) => readonly string[]
}

/**
 * Rows and their audit rows in one statement (a data-modifying WITH: all or none, one round
 * trip, no transaction), written from arrays (db/array-insert.ts). Concurrent requests share
 * statements, and so commits (db/coalesced-writes.ts); inside a transaction a request goes alone.
 * The statement is raw SQL, which Kysely's plugins never see: it reports its table and
 * `changedKeys` to the invalidation layer itself (FlushOnWrite).
 */
export function insertWithAudit<Request, Row, Returned = never, Result = void> (options: InsertWithAuditOptions<Request, Row, Returned, Result>): (db: Database, request: Request) => Promise<Result> {
  const { table, columns, rowsOf, returning, resultOf, coalescing, changedKeys } = options
  const inserted = insertFromArrays(table, columns, 1)
  const audited = insertFromArrays('audit_events', AUDIT_EVENT_COLUMNS, columns.length + 1)
  const text = returning === undefined
    ? `with written as (${inserted}) ${audited}`
    : `with written as (${inserted} returning ${returning}), audit as (${audited}) select * from written`

  async function write (db: Database, requests: readonly Request[]): Promise<Result> {
    const written = requests.map(rowsOf)
    const returned = await runBuiltOnce<Returned>(db, text, [
      ...columnArrays(written.flatMap(({ rows }) => rows), columns),
      ...columnArrays(written.flatMap(({ audit }) => audit), AUDIT_EVENT_COLUMNS)
    ])
    reportInserted(db, table, changedKeys ? requests.flatMap(changedKeys) : [])
    return resultOf(returned)
  }

  const coalescers = new WeakMap<Database, CoalescedWrites<Request, Result>>()
  return async (db, request) => {
    if (db.isTransaction) return write(db, [request])
    let coalescer = coalescers.get(db)
    if (!coalescer) coalescers.set(db, coalescer = new CoalescedWrites((requests) => write(db, requests), { ...coalescing, isRowError }))
    return coalescer.write(request)
  }
}
