export interface CoalescedWritesOptions<Row> {
  /** Statements running at once; rows that arrive meanwhile wait for the next. */
  maxInFlight: number
  /** Most rows in one statement, counted by `sizeOf` (1 a row unless given); a bigger row goes alone. */
  maxRows: number
  sizeOf?: (row: Row) => number
  /** Whether a failed statement's error may come from one row's values: then each row is tried alone. */
  isRowError: (error: unknown) => boolean
}

interface Waiting<Row, Result> {
  row: Row
  settle: (outcome: { result: Result } | { error: unknown }) => void
}

/**
 * Writes the rows of concurrent requests in one statement: the rows of one turn of the event
 * loop go together, and while `maxInFlight` statements run, rows that arrive wait and go
 * together in the next, so those requests share one commit (one WAL flush) and one round trip
 * instead of paying one each. Unloaded, a row goes alone on the next turn.
 * Each request's row is written whole or not at all, and its request gets the statement's result
 * (rows it picks its own from). When a statement of several rows fails because of a row (a
 * constraint), each row is tried alone, so one request's bad row fails only that request; when
 * it fails otherwise (the database is gone), every request in it gets the error at once.
 */
export class CoalescedWrites<Row, Result = unknown> {
  readonly #write: (rows: Row[]) => Promise<Result>
  readonly #options: CoalescedWritesOptions<Row>
  #waiting: Array<Waiting<Row, Result>> = []
  #inFlight = 0
  #scheduled = false

  constructor (write: (rows: Row[]) => Promise<Result>, options: CoalescedWritesOptions<Row>) {
    this.#write = write
    this.#options = options
  }

  /** The result of the statement that wrote `row`, once it has committed; its error if it failed. */
  write (row: Row): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ row, settle: (outcome) => 'result' in outcome ? resolve(outcome.result) : reject(outcome.error) })
      this.#startNextTurn()
    })
  }

  /**
   * Starts statements once this turn of the event loop has read every request it can: the rows
   * of all of them go together. Without the wait, a database that runs a statement within the
   * turn (PGlite, in this process) would get each row alone: nothing could arrive meanwhile.
   */
  #startNextTurn (): void {
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => {
      this.#scheduled = false
      this.#start()
    })
  }

  #start (): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#waiting.length > 0) {
      const batch = this.#nextBatch()
      this.#inFlight++
      this.#write(batch.map((each) => each.row)).then(
        (result) => { for (const each of batch) each.settle({ result }) },
        async (error: unknown) => {
          if (batch.length > 1 && this.#options.isRowError(error)) {
            await Promise.all(batch.map((each) => this.#write([each.row]).then((result) => each.settle({ result }), (alone: unknown) => each.settle({ error: alone }))))
          } else {
            for (const each of batch) each.settle({ error })
          }
        }
      ).finally(() => {
        this.#inFlight--
        this.#start()
      })
    }
  }

  /** The oldest waiting rows that fit in one statement (at least one). */
  #nextBatch (): Array<Waiting<Row, Result>> {
    const { maxRows, sizeOf = () => 1 } = this.#options
    let size = sizeOf(this.#waiting[0]!.row)
    let count = 1
    while (count < this.#waiting.length && size + sizeOf(this.#waiting[count]!.row) <= maxRows) size += sizeOf(this.#waiting[count++]!.row)
    return this.#waiting.splice(0, count)
  }
}
