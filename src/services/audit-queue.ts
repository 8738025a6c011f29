import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { isRowError } from '../db/errors.js'
import { insertAuditEvents, type NewAuditEvent } from '../db/repositories/audit-events.js'

export interface AuditQueueOptions {
  /** Most events held in memory; beyond it they are counted and dropped. */
  capacity: number
  /** Rows per INSERT. */
  batchSize: number
  /** How long an event may wait before it is written. */
  flushMs: number
}

export const AUDIT_QUEUE_DEFAULTS: AuditQueueOptions = { capacity: 10_000, batchSize: 500, flushMs: 1000 }

/** The longest wait between two tries at recording a loss while the database is away. */
const MAX_RETRY_MS = 60_000

/** The event that says how many others were lost: a gap in the trail is itself on the trail. */
export const DROPPED_KIND = 'denials.dropped'

/** Events lost and not yet recorded: how many, why, and between which instants. */
interface Losses {
  count: number
  reasons: Record<string, number>
  from: Date
  until: Date
}

function mergedLosses (earlier: Losses, later: Losses | undefined): Losses {
  if (!later) return earlier
  const reasons = { ...earlier.reasons }
  for (const [reason, count] of Object.entries(later.reasons)) reasons[reason] = (reasons[reason] ?? 0) + count
  return { count: earlier.count + later.count, reasons, from: earlier.from, until: later.until }
}

/**
 * The events recorded off the request path (refusals, and logins that change nothing stored),
 * written in batches: an unauthenticated flood costs at most one multi-row INSERT per batch, never
 * a write per request, and never more memory than `capacity` rows.
 *
 * No event is lost silently. Rows the database refuses (a value it cannot take) fail alone: their
 * batch is split in halves until the bad rows stand alone. Events beyond `capacity`, refused
 * rows, and batches that could not be written at all (the database away) are counted, logged once
 * per flush, and recorded as one `denials.dropped` event, with when they were lost; while that
 * record cannot be written, flushes keep trying, less and less often (up to once a minute).
 */
export class AuditQueue {
  readonly #db: Database
  readonly #log: FastifyBaseLogger
  readonly #options: AuditQueueOptions
  #pending: NewAuditEvent[] = []
  #lost: Losses | undefined
  /** Losses since the last log line, which says them once per flush. */
  #unlogged: Record<string, number> = {}
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()
  /** Flushes in a row that could not record a loss: each waits twice as long as the last, up to a minute. */
  #failedRecords = 0
  #droppedTotal = 0

  constructor (db: Database, log: FastifyBaseLogger, options: AuditQueueOptions = AUDIT_QUEUE_DEFAULTS) {
    this.#db = db
    this.#log = log
    this.#options = options
  }

  /** Events lost since the queue began (the metrics' counter). */
  get droppedTotal (): number {
    return this.#droppedTotal
  }

  /** Events waiting to be written. */
  get depth (): number {
    return this.#pending.length
  }

  /** Events lost and not yet recorded as such. */
  get dropped (): number {
    return this.#lost?.count ?? 0
  }

  push (row: NewAuditEvent): void {
    if (this.#pending.length >= this.#options.capacity) {
      this.#drop(1, 'queue-full')
    } else {
      this.#pending.push(row)
    }
    this.#schedule()
  }

  /** Writes every event queued so far; resolves once they are in the database (or counted as lost). */
  flush (): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  #schedule (delayMs = this.#options.flushMs): void {
    this.#timer ??= setTimeout(() => { this.flush().catch(() => {}) }, delayMs).unref()
  }

  #drop (count: number, reason: string): void {
    const now = new Date()
    this.#lost ??= { count: 0, reasons: {}, from: now, until: now }
    this.#lost.count += count
    this.#droppedTotal += count
    this.#lost.reasons[reason] = (this.#lost.reasons[reason] ?? 0) + count
    this.#lost.until = now
    this.#unlogged[reason] = (this.#unlogged[reason] ?? 0) + count
  }

  async #write (): Promise<void> {
    const rows = this.#pending
    this.#pending = []
    for (let start = 0; start < rows.length; start += this.#options.batchSize) {
      const batch = rows.slice(start, start + this.#options.batchSize)
      try {
        await this.#insertIsolatingBadRows(batch)
      } catch (error) {
        // Not the rows: the database (away, timed out). What is left of this flush is lost.
        this.#drop(rows.length - start, 'database-error')
        this.#log.error({ err: error }, 'audit: events could not be written')
        break
      }
    }
    await this.#recordLosses()
    const reasons = this.#unlogged
    this.#unlogged = {}
    if (Object.keys(reasons).length > 0) this.#log.warn({ dropped: reasons, unrecorded: this.dropped }, 'audit: events dropped')
    // A loss not yet on the trail is retried by a flush of its own, which nothing else may bring.
    if (this.#lost) this.#schedule(Math.min(MAX_RETRY_MS, this.#options.flushMs * 2 ** this.#failedRecords))
  }

  /** Inserts `batch`; rows the database refuses are dropped one by one, the rest written. Throws for anything but a row's value. */
  async #insertIsolatingBadRows (batch: readonly NewAuditEvent[]): Promise<void> {
    try {
      await insertAuditEvents(this.#db, batch)
    } catch (error) {
      if (!isRowError(error)) throw error
      if (batch.length === 1) {
        this.#drop(1, 'row-refused')
        return
      }
      const half = Math.ceil(batch.length / 2)
      await this.#insertIsolatingBadRows(batch.slice(0, half))
      await this.#insertIsolatingBadRows(batch.slice(half))
    }
  }

  async #recordLosses (): Promise<void> {
    const lost = this.#lost
    if (!lost) return
    // Losses counted while this is written start a record of their own.
    this.#lost = undefined
    try {
      await insertAuditEvents(this.#db, [{
        kind: DROPPED_KIND,
        account_id: null,
        actor_kind: 'server',
        details: JSON.stringify({ count: lost.count, reasons: lost.reasons, from: lost.from.toISOString(), until: lost.until.toISOString() })
      }])
      this.#failedRecords = 0
    } catch (error) {
      this.#failedRecords = Math.min(this.#failedRecords + 1, 16)
      this.#lost = mergedLosses(lost, this.#lost)
      this.#log.error({ err: error, dropped: lost.count }, 'audit: the number of events dropped could not be recorded; retrying')
    }
  }
}
