import type { SecretBox } from '../../core/secrets.js'
import { InvalidInput } from '../../core/errors.js'
import type { Database } from '../../db/database.js'
import type { AuditContext } from '../audit.js'
import { exportHeader, exportLines } from './export.js'
import { MAX_LINE_BYTES } from './format.js'
import { importLines, NotAnExport, type ImportSummary, type LineFailure } from './import.js'
import { readLines } from './line-reader.js'
import type { TransferSection } from './section.js'

/** An export and an import as the CLI runs them on the database, and the admin API for a remote CLI. */

/** Lines of each type. */
export type ExportCounts = Record<string, number>

/**
 * The export, a page of lines a write; returns how many lines of each type. One read-only
 * snapshot (repeatable read): every line sees the same database, as pg_dump's do, however long
 * the export takes and whatever the server writes meanwhile. `write` waits while its sink is full.
 */
export async function writeExport (db: Database, sections: readonly TransferSection[], now: Date, write: (text: string) => Promise<void>): Promise<ExportCounts> {
  const counts: ExportCounts = {}
  await write(`${JSON.stringify(exportHeader(now))}\n`)
  await db.transaction().setIsolationLevel('repeatable read').setAccessMode('read only').execute(async (snapshot) => {
    for await (const page of exportLines(snapshot, sections)) {
      for (const line of page) counts[line.type] = (counts[line.type] ?? 0) + 1
      await write(page.map((line) => `${JSON.stringify(line)}\n`).join(''))
    }
  })
  return counts
}

export interface ImportRun {
  box: SecretBox
  now: Date
  adminAccount: { id: string, allowed: boolean }
  audit: AuditContext
  dryRun: boolean
  onFailure: (failure: LineFailure) => void
  onProgress?: (lines: number, bytes: number) => void
}

/** Imports the JSON lines of `source`; a first line that is no export's header is invalid input. */
export async function runImport (db: Database, sections: readonly TransferSection[], source: AsyncIterable<Buffer | string>, run: ImportRun): Promise<ImportSummary> {
  let bytes = 0
  try {
    return await importLines(db, sections, readLines(source, MAX_LINE_BYTES, (read) => { bytes = read }), {
      tools: { box: run.box, now: run.now, adminAccount: run.adminAccount, failedUsers: new Set() },
      audit: run.audit,
      dryRun: run.dryRun,
      onFailure: run.onFailure,
      onLine: (lines) => run.onProgress?.(lines, bytes)
    })
  } catch (error) {
    if (error instanceof NotAnExport) throw new InvalidInput(error.message)
    throw error
  }
}
