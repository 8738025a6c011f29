export interface CoalescedWritesOptions {
  /** Statements running at once; rows that arrive meanwhile wait for the next. */
  maxInFlight: number
  /** Most rows in one statement. */
  maxRows: number
  /** Whether a failed statement's error may come from one row's values: then each row is tried alone. */
  isRowError: (error: unknown) => boolean
}

interface Waiting<Row> {
  row: Row
  settle: (error?: unknown) => void
}

/**
 * Writes the rows of concurrent requests in one statement: while `maxInFlight` statements run,
 * rows that arrive wait and go together in the next, so those requests share one commit (one
 * WAL flush) instead of paying one each. Unloaded, a row goes at once, alone. Each request's
 * row is written whole or not at all. When a statement of several rows fails because of a row
 * (a constraint), each row is tried alone, so one request's bad row fails only that request;
 * when it fails otherwise (the database is gone), every request in it gets the error at once.
 */
export class CoalescedWrites<Row> {
  readonly #write: (rows: Row[]) => Promise<unknown>
  readonly #options: CoalescedWritesOptions
  #waiting: Array<Waiting<Row>> = []
  #inFlight = 0

  constructor (write: (rows: Row[]) => Promise<unknown>, options: CoalescedWritesOptions) {
    this.#write = write
    this.#options = options
  }

  /** Settles once the statement holding `row` has committed, or failed. */
  write (row: Row): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ row, settle: (error) => error === undefined ? resolve() : reject(error) })
      this.#start()
    })
  }

  #start (): void {
    while (this.#inFlight < this.#options.maxInFlight && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#options.maxRows)
      this.#inFlight++
      this.#write(batch.map((each) => each.row)).then(
        () => { for (const each of batch) each.settle() },
        async (error: unknown) => {
          if (batch.length > 1 && this.#options.isRowError(error)) {
            await Promise.all(batch.map((each) => this.#write([each.row]).then(() => each.settle(), each.settle)))
          } else {
            for (const each of batch) each.settle(error ?? new Error('the write failed'))
          }
        }
      ).finally(() => {
        this.#inFlight--
        this.#start()
      })
    }
  }
}
