import type { FastifyBaseLogger } from 'fastify'
import type { Database } from '../db/database.js'
import { addCredentialUsage, type UsageBatch } from '../db/repositories/credentials.js'

/** Uses of one credential since the last flush. */
interface Tally {
  count: number
  lastUsedAtMs: number
}

export interface CredentialUsageOptions {
  /**
   * Distinct credentials counted between flushes at most: reaching it starts a flush at once.
   * 100 000 tallies take about 15 MB.
   */
  maxPending: number
  /**
   * Tallies written per statement. A flush of 100 000 in one statement held a backend and the
   * event loop (sorting, encoding the arrays) long enough to show in every request's latency;
   * in statements of a few thousand, one after the other, requests get their turns between them.
   */
  rowsPerStatement: number
}

const CREDENTIAL_USAGE_DEFAULTS: CredentialUsageOptions = { maxPending: 100_000, rowsPerStatement: 2000 }

/**
 * Last used and use count of every credential (issue 21, item 2), without a write on the request
 * path: each use adds to a tally in memory, and a flush adds every tally to credential_usage in
 * one statement, at most once per credential per flush. Replicas add to the same rows, so the
 * counts are the sum of theirs; a replica that dies loses its uses since its last flush.
 */
export class CredentialUsage {
  private pending = new Map<string, Tally>()
  /** Uses not counted since the last flush, for want of room. */
  private lost = 0
  private flushing: Promise<void> | undefined
  private readonly db: Database
  private readonly log: FastifyBaseLogger
  private readonly options: CredentialUsageOptions

  constructor (db: Database, log: FastifyBaseLogger, options: Partial<CredentialUsageOptions> = {}) {
    this.db = db
    this.log = log
    this.options = { ...CREDENTIAL_USAGE_DEFAULTS, ...options }
  }

  /** One use of the credential `accessor`, now: a map lookup, nothing more. */
  record (accessor: string, atMs: number): void {
    const tally = this.pending.get(accessor)
    if (tally !== undefined) {
      tally.count += 1
      if (atMs > tally.lastUsedAtMs) tally.lastUsedAtMs = atMs
      return
    }
    // Full while a flush is under way (or the database away): a new credential's use is lost, counted.
    if (this.pending.size >= this.options.maxPending) {
      this.lost += 1
      return
    }
    this.pending.set(accessor, { count: 1, lastUsedAtMs: atMs })
    if (this.pending.size >= this.options.maxPending) this.flush()
  }

  /** Credentials with uses not yet flushed. */
  get pendingCount (): number {
    return this.pending.size
  }

  /**
   * Adds the tallies so far to the database in one statement; resolves when they are written or
   * put back (the database is away: the next flush tries again). Never rejects. Uses counted
   * meanwhile wait for the next flush, so a replica writes once per interval however busy it is,
   * unless they fill the tallies again.
   */
  flush (): Promise<void> {
    this.flushing ??= this.write().finally(() => { this.flushing = undefined })
    return this.flushing
  }

  /** Writes every tally, those counted during a flush under way too: for a replica that stops. */
  async drain (): Promise<void> {
    await this.flush()
    if (this.pending.size > 0) await this.flush()
  }

  private async write (): Promise<void> {
    if (this.lost > 0) {
      this.log.warn({ uses: this.lost, maxPending: this.options.maxPending }, 'credential uses not counted: too many credentials used between flushes')
      this.lost = 0
    }
    // One batch, then another only while uses fill the tallies faster than a flush writes them.
    do {
      if (this.pending.size === 0) return
      const batch = this.pending
      this.pending = new Map()
      const tallies = batch.entries()
      for (let part = take(tallies, this.options.rowsPerStatement); part.size > 0; part = take(tallies, this.options.rowsPerStatement)) {
        try {
          await addCredentialUsage(this.db, batchOf(part))
        } catch (error) {
          const unwritten = new Map([...part, ...tallies])
          const kept = this.putBack(unwritten)
          this.log.warn({ err: error, credentials: unwritten.size, kept }, 'credential usage not written; will retry at the next flush')
          return
        }
      }
    } while (this.pending.size >= this.options.maxPending)
  }

  /** A failed batch goes back into the tallies, as far as the bound allows; how many were kept. */
  private putBack (batch: Map<string, Tally>): number {
    let kept = 0
    for (const [accessor, tally] of batch) {
      const current = this.pending.get(accessor)
      if (current !== undefined) {
        current.count += tally.count
        current.lastUsedAtMs = Math.max(current.lastUsedAtMs, tally.lastUsedAtMs)
      } else if (this.pending.size < this.options.maxPending) {
        this.pending.set(accessor, tally)
      } else {
        continue
      }
      kept += 1
    }
    return kept
  }
}

/** The next `count` tallies of `tallies`, as a map of their own. */
function take (tallies: IterableIterator<[string, Tally]>, count: number): Map<string, Tally> {
  const part = new Map<string, Tally>()
  while (part.size < count) {
    const next = tallies.next()
    if (next.done === true) break
    part.set(...next.value)
  }
  return part
}

/** The statement's arrays, sorted by accessor: concurrent flushes lock rows in one order. */
function batchOf (tallies: Map<string, Tally>): UsageBatch {
  const accessors = [...tallies.keys()].sort()
  return {
    accessors,
    counts: accessors.map((accessor) => tallies.get(accessor)!.count),
    lastUsedAt: accessors.map((accessor) => new Date(tallies.get(accessor)!.lastUsedAtMs))
  }
}
