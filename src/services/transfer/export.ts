import type { Database } from '../../db/database.js'
import { EXPORT_PAGE } from '../../db/repositories/transfer-export.js'
import { FORMAT_NAME, FORMAT_VERSION, type Header, type Line } from './format.js'
import type { TransferSection } from './section.js'

/**
 * Every row of every table an export covers, as lines, in an order where each line refers only
 * to lines before it (format.ts). Reads a page at a time: memory stays flat however large the
 * database. Run it in one snapshot (the CLI does) for lines that agree with each other.
 */

export const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
export const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')
export const iso = (date: Date) => date.toISOString()

/** Pages of `read`, each after the last row of the one before, until a short page. */
export async function * walk<Row, Key> (db: Database, read: (db: Database, after: Key | undefined) => Promise<Row[]>, keyOf: (row: Row) => Key): AsyncGenerator<Row[]> {
  let after: Key | undefined
  for (;;) {
    const rows = await read(db, after)
    if (rows.length > 0) yield rows
    if (rows.length < EXPORT_PAGE) return
    after = keyOf(rows.at(-1)!)
  }
}

export function exportHeader (now: Date): Header {
  return { type: FORMAT_NAME, version: FORMAT_VERSION, exportedAt: iso(now), source: 'tessera' }
}

/** The lines of an export, a page at a time, after its header: each section's in turn. */
export async function * exportLines (db: Database, sections: readonly TransferSection[]): AsyncGenerator<Line[]> {
  for (const section of sections) yield * section.pages(db)
}
