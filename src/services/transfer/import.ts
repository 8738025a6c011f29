import { sql } from 'kysely'
import type { Database } from '../../db/database.js'
import { isDatabaseUnavailable } from '../../db/errors.js'
import { insertAuditEvents } from '../../db/repositories/audit-events.js'
import { auditRow, type AuditContext } from '../audit.js'
import { LineProblem, parseHeader, parseLine } from './format.js'
import type { ImportTools, Outcome } from './importers.js'
import type { TransferSection } from './section.js'

/** A line as the reader gives it: its number in the file, and its text or why it has none. */
export type SourceLine = { number: number, text: string } | { number: number, problem: string }

/** Where a line that could not be read or has no known type is counted. */
export const UNREADABLE = 'unreadable'
/** A line's type (its section's), or UNREADABLE. */
export type CountedType = string

export interface Counts {
  imported: number
  skipped: number
  failed: number
}

export interface LineFailure {
  line: number
  type: CountedType
  reason: string
}

export interface ImportSummary {
  counts: Record<CountedType, Counts>
  failed: number
  lines: number
}

export interface ImportOptions {
  tools: ImportTools
  audit: AuditContext
  /** Roll everything back at the end (each line still checked and written, in savepoints). */
  dryRun: boolean
  /** Each failed line, as soon as its batch is done, in line order. */
  onFailure: (failure: LineFailure) => void
  /** After each line read. */
  onLine?: (lines: number) => void
}

/** The first line is not a header this version reads: nothing is imported. */
export class NotAnExport extends Error {
  constructor (message: string) {
    super(`line 1: ${message}`)
    this.name = 'NotAnExport'
  }
}

type RunUnit = <T> (work: (trx: Database) => Promise<T>) => Promise<T>

class DryRunDone extends Error {}

/**
 * Runs `body` with a way to run units of work: each its own transaction, or, for a dry run, a
 * savepoint of one transaction rolled back at the end, so that later lines still see what
 * earlier ones would have written.
 */
async function withUnits<T> (db: Database, dryRun: boolean, body: (run: RunUnit) => Promise<T>): Promise<T> {
  if (!dryRun) return body((work) => db.transaction().execute(work))
  let result: T | undefined
  try {
    await db.transaction().execute(async (outer) => {
      result = await body(async (work) => {
        await sql`savepoint import_unit`.execute(outer)
        try {
          const value = await work(outer)
          await sql`release savepoint import_unit`.execute(outer)
          return value
        } catch (error) {
          await sql`rollback to savepoint import_unit`.execute(outer)
          throw error
        }
      })
      throw new DryRunDone()
    })
  } catch (error) {
    if (!(error instanceof DryRunDone)) throw error
  }
  return result!
}

interface Entry {
  line: number
  type: CountedType
  item?: unknown
  problem?: string
}

function reasonOf (error: unknown): string {
  if (error instanceof LineProblem) return error.message
  return `the database refused it: ${error instanceof Error ? error.message : String(error)}`
}

function emptyCounts (sections: readonly TransferSection[]): Record<CountedType, Counts> {
  return Object.fromEntries([...sections.map((section) => section.type), UNREADABLE].map((type) => [type, { imported: 0, skipped: 0, failed: 0 }])) as Record<CountedType, Counts>
}

/**
 * Imports the lines of an export (format.ts): the header first, then each line in turn. Lines
 * of one type that follow each other are written in batches, one transaction each, with the
 * audit events of what they imported (one per account a batch touched); a batch the database
 * refuses is written again a line at a time, so only the failing line is lost. A line that
 * exists already is skipped; a line that fails is reported (onFailure) and the rest go on.
 */
export async function importLines (db: Database, sections: readonly TransferSection[], source: AsyncIterable<SourceLine>, options: ImportOptions): Promise<ImportSummary> {
  const byType = new Map(sections.map((section) => [section.type, section]))
  const counts = emptyCounts(sections)
  let failed = 0
  let lines = 0
  let header = false
  let batch: { section: TransferSection, entries: Entry[] } | undefined
  const orphans: Entry[] = []

  const report = (entry: Entry, outcome: Outcome | undefined) => {
    const status = outcome?.status ?? 'failed'
    counts[entry.type]![status]++
    if (status !== 'failed') return
    failed++
    if (entry.type === 'user' && entry.item !== undefined) options.tools.failedUsers.add((entry.item as { name: string }).name)
    options.onFailure({ line: entry.line, type: entry.type, reason: entry.problem ?? (outcome as { reason: string }).reason })
  }

  /** Writes items in one unit with the audit events of what they imported. */
  const writeUnit = (run: RunUnit, section: TransferSection, entries: readonly Entry[]) => run(async (trx) => {
    const outcomes = await section.importer.write(trx, entries.map((entry) => entry.item), options.tools)
    const byAccount = new Map<string, number>()
    for (const outcome of outcomes) if (outcome.status === 'imported') byAccount.set(outcome.accountId, (byAccount.get(outcome.accountId) ?? 0) + 1)
    await insertAuditEvents(trx, [...byAccount].map(([accountId, count]) => auditRow(options.audit, {
      kind: 'import.applied',
      accountId,
      details: { type: section.type, imported: count, lines: { first: entries[0]!.line, last: entries.at(-1)!.line } }
    })))
    return outcomes
  })

  const flush = async (run: RunUnit) => {
    const current = batch
    batch = undefined
    const entries = [...(current?.entries ?? []), ...orphans.splice(0)].sort((a, b) => a.line - b.line)
    if (entries.length === 0) return
    const writable = entries.filter((entry) => entry.problem === undefined)
    const outcomes = new Map<Entry, Outcome>()
    if (current && writable.length > 0) {
      try {
        const written = await writeUnit(run, current.section, writable)
        writable.forEach((entry, index) => outcomes.set(entry, written[index]!))
      } catch (error) {
        if (isDatabaseUnavailable(error)) throw error
        for (const entry of writable) {
          try {
            outcomes.set(entry, writable.length === 1 ? { status: 'failed', reason: reasonOf(error) } : (await writeUnit(run, current.section, [entry]))[0]!)
          } catch (single) {
            if (isDatabaseUnavailable(single)) throw single
            outcomes.set(entry, { status: 'failed', reason: reasonOf(single) })
          }
        }
      }
    }
    for (const entry of entries) report(entry, outcomes.get(entry))
  }

  return withUnits(db, options.dryRun, async (run) => {
    for await (const read of source) {
      lines++
      options.onLine?.(lines)
      if (!header) {
        if ('problem' in read) throw new NotAnExport(read.problem)
        try {
          parseHeader(read.text)
        } catch (error) {
          throw new NotAnExport(reasonOf(error))
        }
        header = true
        continue
      }
      let parsed
      try {
        if ('problem' in read) throw new LineProblem(read.problem)
        parsed = parseLine(read.text, byType)
      } catch (error) {
        // Reported with the batch being read, in line order; counted under its type when it says one.
        orphans.push({ line: read.number, type: (error as LineProblem).type ?? UNREADABLE, problem: reasonOf(error) })
        continue
      }
      const section = byType.get(parsed.type)!
      if (batch && (batch.section !== section || batch.entries.length >= section.importer.batchSize)) await flush(run)
      batch ??= { section, entries: [] }
      try {
        batch.entries.push({ line: read.number, type: parsed.type, item: section.importer.prepare(parsed, options.tools) })
      } catch (error) {
        batch.entries.push({ line: read.number, type: parsed.type, problem: reasonOf(error) })
      }
    }
    if (!header) throw new NotAnExport('the file is empty: an export starts with its header line')
    await flush(run)
    return { counts, failed, lines }
  })
}
