import DataLoader from 'dataloader'
import { originOf, type Database } from './database.js'

export interface BatchedLookupOptions {
  /** Statements running at once; keys that arrive meanwhile wait and go together in the next. */
  maxInFlight: number
  /** Most keys in one statement. */
  maxKeys: number
}

const DEFAULTS: BatchedLookupOptions = { maxInFlight: 2, maxKeys: 500 }

/**
 * Dispatches batches once this turn of the event loop has read every request it can, and only
 * while fewer than `maxInFlight` statements run: under load the keys pile up meanwhile, so one
 * statement (one round trip, one wakeup of PostgreSQL) answers many requests.
 */
class Turns {
  readonly #maxInFlight: number
  readonly #ready: Array<() => void> = []
  #inFlight = 0

  constructor (maxInFlight: number) {
    this.#maxInFlight = maxInFlight
  }

  readonly schedule = (dispatch: () => void): void => {
    setImmediate(() => this.#inFlight < this.#maxInFlight ? dispatch() : this.#ready.push(dispatch))
  }

  async run<T> (statement: () => Promise<T>): Promise<T> {
    this.#inFlight++
    try {
      return await statement()
    } finally {
      this.#inFlight--
      this.#ready.shift()?.()
    }
  }
}

/**
 * A lookup by secret hash (a unique column) that concurrent requests share: the hashes they ask
 * for in one turn go in one statement (`query` gets them all, `where secret_hash = any($1)`), and
 * each request gets only the row whose hash (`hashOf`) is its own, or undefined. Nothing is
 * remembered between statements (no cache: expiry and revocation are each caller's to check).
 * A failed statement fails every request in it, with its error (a lost database: a 503).
 * In a transaction, the lookup runs alone there.
 */
export function batchedByHash<Row> (query: (db: Database, hashes: Buffer[]) => Promise<Row[]>, hashOf: (row: Row) => Uint8Array, options: BatchedLookupOptions = DEFAULTS): (db: Database, hash: Buffer) => Promise<Row | undefined> {
  /**
   * A standby's answer lacks the rows written since its replay (a token another replica of
   * Tessera just issued, which nothing notifies). The router asks the primary when a standby finds
   * nothing at all, but a shared statement may find some keys and not others: the missing ones
   * are asked of the primary, in a transaction, which never goes to a standby.
   */
  async function askPrimaryForMissing (db: Database, hashes: Buffer[], found: Map<string, Row>): Promise<void> {
    const missing = hashes.filter((hash) => !found.has(hexOf(hash)))
    for (const row of await db.transaction().execute((trx) => query(trx, missing))) found.set(hexOf(hashOf(row)), row)
  }
  const loaders = new WeakMap<Database, DataLoader<Buffer, Row | undefined>>()
  const loaderOf = (db: Database) => {
    let loader = loaders.get(db)
    if (!loader) {
      const turns = new Turns(options.maxInFlight)
      const origin = originOf(db)
      const standbysMayAnswer = origin?.kind === 'postgres' && origin.replicas !== undefined
      loader = new DataLoader((hashes) => turns.run(async () => {
        const found = new Map((await query(db, hashes as Buffer[])).map((row) => [hexOf(hashOf(row)), row]))
        if (standbysMayAnswer && found.size > 0 && found.size < hashes.length) await askPrimaryForMissing(db, hashes as Buffer[], found)
        return hashes.map((hash) => found.get(hexOf(hash)))
      }), { cache: false, maxBatchSize: options.maxKeys, batchScheduleFn: turns.schedule })
      loaders.set(db, loader)
    }
    return loader
  }
  return async (db, hash) => db.isTransaction
    ? (await query(db, [hash])).find((row) => hexOf(hashOf(row)) === hexOf(hash))
    : await loaderOf(db).load(hash)
}

function hexOf (bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')
}
