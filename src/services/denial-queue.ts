import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { insertAuditEvents, type NewAuditEvent } from '../db/repositories/audit-events.js'

export interface DenialQueueOptions {
  /** Most refusals held in memory; beyond it they are counted and dropped. */
  capacity: number
  /** Rows per INSERT. */
  batchSize: number
  /** How long a refusal may wait before it is written. */
  flushMs: number
}

export const DENIAL_QUEUE_DEFAULTS: DenialQueueOptions = { capacity: 10_000, batchSize: 500, flushMs: 1000 }

/**
 * Refusals are written off the request, in batches: an unauthenticated flood costs at most one
 * multi-row INSERT per batch, never a write per request, and never more memory than `capacity`
 * rows. Refusals beyond it are dropped and counted; the count is itself recorded
 * (`denials.dropped`) and logged once the queue drains, so a gap in the trail is visible.
 */
export class DenialQueue {
  readonly #db: Database
  readonly #log: FastifyBaseLogger
  readonly #options: DenialQueueOptions
  #pending: NewAuditEvent[] = []
  #dropped = 0
  #timer: NodeJS.Timeout | undefined
  #flushing: Promise<void> = Promise.resolve()

  constructor (db: Database, log: FastifyBaseLogger, options: DenialQueueOptions = DENIAL_QUEUE_DEFAULTS) {
    this.#db = db
    this.#log = log
    this.#options = options
  }

  /** Refusals dropped since the last flush because the queue was full. */
  get dropped (): number {
    return this.#dropped
  }

  push (row: NewAuditEvent): void {
    if (this.#pending.length >= this.#options.capacity) {
      this.#dropped++
    } else {
      this.#pending.push(row)
    }
    this.#timer ??= setTimeout(() => { this.flush().catch(() => {}) }, this.#options.flushMs).unref()
  }

  /** Writes every refusal queued so far; resolves once they are in the database. */
  flush (): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flushing = this.#flushing.then(() => this.#write())
    return this.#flushing
  }

  async #write (): Promise<void> {
    const rows = this.#pending
    this.#pending = []
    const dropped = this.#dropped
    this.#dropped = 0
    if (dropped > 0) {
      this.#log.warn({ dropped }, 'audit: refusals dropped, the denial queue was full')
      rows.push({ kind: 'denials.dropped', account_id: null, actor_kind: 'anonymous', details: JSON.stringify({ count: dropped }) })
    }
    try {
      for (let start = 0; start < rows.length; start += this.#options.batchSize) {
        await insertAuditEvents(this.#db, rows.slice(start, start + this.#options.batchSize))
      }
    } catch (error) {
      // The database is away: the refusals are lost, but say how many.
      this.#log.error({ err: error, lost: rows.length }, 'audit: refusals could not be written')
    }
  }
}
