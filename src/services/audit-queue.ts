import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { isDatabaseUnavailable } from '../db/errors.js'
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

/** The event that says how many others were lost: a gap in the trail is itself on the trail. */
export const DROPPED_KIND = 'denials.dropped'

/**
 * The events recorded off the request path (refusals, and logins that change nothing stored),
 * written in batches: an unauthenticated flood costs at most one multi-row INSERT per batch, never
 * a write per request, and never more memory than `capacity` rows.
 *
 * No event is lost silently. One the database refuses fails alone: its batch is written again row
 * by row. Events beyond `capacity`, refused rows and batches the database was away for are counted,
 * logged, and recorded (`denials.dropped`) with the next write that succeeds.
 */
export class AuditQueue {
  readonly #db: Database
  readonly #log: FastifyBaseLogger
  readonly #options: AuditQueueOptions
  #pending: NewAuditEvent[] = []
  #dropped = 0
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor (db: Database, log: FastifyBaseLogger, options: AuditQueueOptions = AUDIT_QUEUE_DEFAULTS) {
    this.#db = db
    this.#log = log
    this.#options = options
  }

  /** Events lost since the last `denials.dropped` row was written. */
  get dropped (): number {
    return this.#dropped
  }

  push (row: NewAuditEvent): void {
    if (this.#pending.length >= this.#options.capacity) {
      this.#drop(1, 'the audit queue was full')
    } else {
      this.#pending.push(row)
    }
    this.#timer ??= setTimeout(() => { this.flush().catch(() => {}) }, this.#options.flushMs).unref()
  }

  /** Writes every event queued so far; resolves once they are in the database (or counted as lost). */
  flush (): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  #drop (count: number, why: string, error?: unknown): void {
    this.#dropped += count
    this.#log.warn({ err: error, dropped: count, why }, 'audit: events dropped')
  }

  async #write (): Promise<void> {
    const rows = this.#pending
    this.#pending = []
    for (let start = 0; start < rows.length; start += this.#options.batchSize) {
      const batch = rows.slice(start, start + this.#options.batchSize)
      try {
        await insertAuditEvents(this.#db, batch)
      } catch (error) {
        if (isDatabaseUnavailable(error)) {
          this.#drop(rows.length - start, 'the database is unavailable', error)
          return
        }
        await this.#writeOneByOne(batch)
      }
    }
    await this.#recordDropped()
  }

  /** A batch the database refused: each row alone, so one bad row costs only itself. */
  async #writeOneByOne (batch: readonly NewAuditEvent[]): Promise<void> {
    for (const row of batch) {
      try {
        await insertAuditEvents(this.#db, [row])
      } catch (error) {
        this.#drop(1, `the database refused a ${row.kind} row of request ${row.request_id ?? 'none'}`, error)
      }
    }
  }

  async #recordDropped (): Promise<void> {
    const count = this.#dropped
    if (count === 0) return
    try {
      await insertAuditEvents(this.#db, [{ kind: DROPPED_KIND, account_id: null, actor_kind: 'server', details: JSON.stringify({ count }) }])
      this.#dropped -= count
      this.#log.warn({ dropped: count }, 'audit: recorded the number of events dropped')
    } catch (error) {
      // Kept: recorded with the next write that succeeds.
      this.#log.error({ err: error, dropped: count }, 'audit: the number of events dropped could not be recorded')
    }
  }
}
