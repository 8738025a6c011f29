import pg from 'pg'

/** A WAL position (`16/B374D848`) as a number that compares. */
export function parseLsn (text: string): bigint {
  const [high = '0', low = '0'] = text.split('/')
  return (BigInt(`0x${high}`) << 32n) | BigInt(`0x${low}`)
}

/**
 * SQL a standby may answer: one SELECT (or WITH … SELECT) that writes nothing, locks nothing,
 * and reads no table whose changes no notification announces (API keys, the failure counters,
 * the migrations' own, and those the families name): a horizon cannot cover those, so the
 * primary answers. Anything else is taken for a write.
 */
const READ = /^\s*(select|with)\b/i
const WRITES = /\b(insert|update|delete|merge|for\s+(no\s+key\s+)?update|for\s+(key\s+)?share|nextval|setval|pg_advisory\w*|set_config|pg_notify)\b/i
const CORE_PRIMARY_ONLY_TABLES = ['api_keys', 'auth_failures', 'kysely_migration\\w*']

/** What names the identity core's primary-only tables and `tables` (TokenFamily.primaryOnlyTables) in SQL. */
export function primaryOnlyPattern (tables: readonly string[] = []): RegExp {
  return new RegExp(`\\b(${[...CORE_PRIMARY_ONLY_TABLES, ...tables].join('|')})\\b`, 'i')
}

/** A statement that changes nothing: it moves no horizon (see ReadReplicas.changed). */
export function isPlainRead (sql: string): boolean {
  return READ.test(sql) && !WRITES.test(sql)
}

export function standbyMayAnswer (sql: string, primaryOnly: RegExp = primaryOnlyPattern()): boolean {
  return isPlainRead(sql) && !primaryOnly.test(sql)
}

/** How long a standby that failed is left alone before a probe asks it again; doubled while probes fail, up to the most. */
const UNHEALTHY_MS = 5000
const MOST_UNHEALTHY_MS = 60_000
/** Hot standby conflicts (a query cancelled by replay) and the like: the primary answers, the standby stays in use. */
const RETRY_ON_PRIMARY = new Set(['40001', '40P01', '57014'])

interface Standby {
  pool: pg.Pool
  location: string
  /** The highest replay position it reported: replay only moves forward. */
  replayed: bigint
  asking: Promise<void> | undefined
  healthy: boolean
  /** When a failed standby may be probed again, and how many times in a row it failed. */
  probeAt: number
  failures: number
}

export interface ReadRoutingLog {
  warn (object: object, message: string): void
  info (object: object, message: string): void
}

/** Reads answered by a standby, and those a standby could not answer (behind, missing, failed) sent to the primary. */
export interface ReadRoutingStats {
  standby: number
  primary: number
}

/**
 * Sends reads to streaming standbys when doing so cannot show a credential as valid after it
 * ended. A standby answers only when it has replayed the WAL up to the "horizon": the primary's
 * WAL position after the last change this process heard of (a notification on the LISTEN
 * connection) or made itself. While the horizon is being learnt, while the LISTEN connection is
 * down, or when a standby is behind, failing or finds nothing (a credential just issued), the
 * primary answers. The window left is the notification's delivery, as for the in-memory caches.
 */
export class ReadReplicas {
  readonly stats: ReadRoutingStats = { standby: 0, primary: 0 }
  readonly #standbys: Standby[]
  readonly #primary: pg.Pool
  #log: ReadRoutingLog | undefined
  #next = 0
  #horizon = 0n
  /** Changes announced or made (wanted) and those whose position is known (learnt): equal when the horizon is current. */
  #wanted = 0
  #learnt = 0
  #learning: Promise<void> | undefined
  #listeners = 0

  /** The tables only the primary reads (see standbyMayAnswer). */
  readonly primaryOnly: RegExp

  constructor (primary: pg.Pool, standbys: { pool: pg.Pool, location: string }[], primaryOnlyTables: readonly string[] = []) {
    this.#primary = primary
    this.primaryOnly = primaryOnlyPattern(primaryOnlyTables)
    this.#standbys = standbys.map(({ pool, location }) => ({ pool, location, replayed: 0n, asking: undefined, healthy: true, probeAt: 0, failures: 0 }))
  }

  /** The WAL position every standby answer must have replayed (for tests and metrics). */
  get horizon (): bigint {
    return this.#horizon
  }

  /** Whether a standby may answer now: notifications heard and the horizon current. */
  get trusted (): boolean {
    return this.#listeners > 0 && this.#learnt === this.#wanted
  }

  /** A LISTEN connection came up (true) or went down (false): standbys are trusted only while one is up. */
  listening (up: boolean, log?: ReadRoutingLog): void {
    this.#log = log ?? this.#log
    this.#listeners = Math.max(0, this.#listeners + (up ? 1 : -1))
    // Changes made while none listened were not heard: the horizon is learnt afresh.
    if (up) this.changed()
  }

  /** A change was committed (heard, or made by this process): the horizon moves past it before a standby answers again. */
  changed (): void {
    this.#wanted++
    this.#learn()
  }

  #learn (): void {
    if (this.#learning) return
    const wanted = this.#wanted
    this.#learning = this.#primary.query<{ lsn: string }>('select pg_current_wal_insert_lsn()::text as lsn').then(({ rows }) => {
      const lsn = parseLsn(rows[0]!.lsn)
      if (lsn > this.#horizon) this.#horizon = lsn
      this.#learnt = wanted
    }, () => {}).finally(() => {
      this.#learning = undefined
      // Asked again only for changes after this question: a failure waits for the next change or read.
      if (this.#learnt !== this.#wanted && this.#learnt === wanted) this.#learn()
    })
  }

  /**
   * Runs a plain read on a standby that may answer it, else through `primary`. A standby's empty
   * answer is asked of the primary too: a row it lacks may have just been written.
   */
  async read (sql: string, parameters: readonly unknown[], primary: () => Promise<pg.QueryResult>): Promise<pg.QueryResult> {
    if (!this.trusted) {
      if (this.#listeners > 0) this.#learn()
      return this.#onPrimary(primary)
    }
    const standby = await this.#caughtUp(this.#horizon)
    if (!standby) return this.#onPrimary(primary)
    let result: pg.QueryResult
    try {
      result = await standby.pool.query(sql, parameters as unknown[])
    } catch (error) {
      if (!RETRY_ON_PRIMARY.has((error as { code?: string }).code ?? '')) this.#unhealthy(standby, error)
      return this.#onPrimary(primary)
    }
    if (result.rows.length === 0) return this.#onPrimary(primary)
    this.stats.standby++
    return result
  }

  #onPrimary (primary: () => Promise<pg.QueryResult>): Promise<pg.QueryResult> {
    this.stats.primary++
    return primary()
  }

  /**
   * A healthy standby that has replayed up to `horizon`, asking its position when the last one
   * known is behind. A failed one is probed in the background: no request waits on it.
   */
  async #caughtUp (horizon: bigint): Promise<Standby | undefined> {
    for (let tried = 0; tried < this.#standbys.length; tried++) {
      const standby = this.#standbys[this.#next++ % this.#standbys.length]!
      if (!standby.healthy) {
        if (Date.now() >= standby.probeAt) this.#ask(standby).catch(() => {})
        continue
      }
      if (standby.replayed < horizon) await this.#ask(standby)
      if (standby.healthy && standby.replayed >= horizon) return standby
    }
    return undefined
  }

  #ask (standby: Standby): Promise<void> {
    standby.asking ??= this.#askReplayed(standby).finally(() => { standby.asking = undefined })
    return standby.asking
  }

  async #askReplayed (standby: Standby): Promise<void> {
    try {
      const { rows } = await standby.pool.query<{ lsn: string | null }>('select pg_last_wal_replay_lsn()::text as lsn')
      const lsn = rows[0]?.lsn
      // Null: not a standby (promoted, or misconfigured): its position says nothing, so it is not used.
      if (lsn === null || lsn === undefined) throw new Error('is not a standby (pg_last_wal_replay_lsn() is null)')
      const replayed = parseLsn(lsn)
      if (replayed > standby.replayed) standby.replayed = replayed
      if (!standby.healthy) this.#log?.info({ standby: standby.location }, 'read replica answers again')
      standby.healthy = true
      standby.failures = 0
    } catch (error) {
      this.#unhealthy(standby, error)
    }
  }

  #unhealthy (standby: Standby, error: unknown): void {
    if (standby.healthy) this.#log?.warn({ standby: standby.location, err: error }, 'read replica failed: reads go to the primary until it answers again')
    standby.healthy = false
    standby.probeAt = Date.now() + Math.min(UNHEALTHY_MS * 2 ** standby.failures, MOST_UNHEALTHY_MS)
    standby.failures++
  }

  async close (): Promise<void> {
    await Promise.all(this.#standbys.map((standby) => standby.pool.end().catch(() => {})))
  }
}
