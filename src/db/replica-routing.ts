import { PostgresDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type TransactionSettings } from 'kysely'
import type pg from 'pg'
import { isPlainRead, standbyMayAnswer, type ReadReplicas } from './read-replicas.js'

/** What Kysely's PostgresConnection returns for a pg result. */
function toQueryResult<Row> ({ command, rowCount, rows }: pg.QueryResult): QueryResult<Row> {
  const changes = command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE'
  return { numAffectedRows: changes ? BigInt(rowCount ?? 0) : undefined, rows: (rows ?? []) as Row[] }
}

/**
 * One query's connection, to the primary only when needed: a plain read outside a transaction
 * goes to ReadReplicas (which may still send it to the primary), everything else to a pooled
 * primary connection taken at its first use. A transaction stays on the primary throughout.
 */
class RoutedConnection implements DatabaseConnection {
  readonly #driver: Driver
  readonly #replicas: ReadReplicas
  #primary: DatabaseConnection | undefined
  /** Set by RoutingDriver between begin and commit or rollback. */
  inTransaction = false

  constructor (driver: Driver, replicas: ReadReplicas) {
    this.#driver = driver
    this.#replicas = replicas
  }

  async primary (): Promise<DatabaseConnection> {
    this.#primary ??= await this.#driver.acquireConnection()
    return this.#primary
  }

  get acquired (): DatabaseConnection | undefined {
    return this.#primary
  }

  async executeQuery<Row> (query: CompiledQuery): Promise<QueryResult<Row>> {
    if (!this.inTransaction && standbyMayAnswer(query.sql, this.#replicas.primaryOnly)) {
      let answer: QueryResult<Row> | undefined
      const result = await this.#replicas.read(query.sql, query.parameters, async () => {
        answer = await (await this.primary()).executeQuery<Row>(query)
        return { rows: answer.rows } as unknown as pg.QueryResult
      })
      return answer ?? toQueryResult<Row>(result)
    }
    const result = await (await this.primary()).executeQuery<Row>(query)
    // Outside a transaction a write is committed now; inside, at commit (RoutingDriver).
    if (!this.inTransaction && !isPlainRead(query.sql)) this.#replicas.changed()
    return result
  }

  async * streamQuery<Row> (query: CompiledQuery, chunkSize: number): AsyncIterableIterator<QueryResult<Row>> {
    yield * (await this.primary()).streamQuery<Row>(query, chunkSize)
  }
}

/** Kysely's PostgreSQL driver, with plain reads outside transactions offered to read replicas. */
class RoutingDriver implements Driver {
  readonly #inner: Driver
  readonly #replicas: ReadReplicas

  constructor (inner: Driver, replicas: ReadReplicas) {
    this.#inner = inner
    this.#replicas = replicas
  }

  init (): Promise<void> {
    return this.#inner.init()
  }

  async acquireConnection (): Promise<DatabaseConnection> {
    return new RoutedConnection(this.#inner, this.#replicas)
  }

  async beginTransaction (connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const routed = connection as RoutedConnection
    routed.inTransaction = true
    await this.#inner.beginTransaction(await routed.primary(), settings)
  }

  async commitTransaction (connection: DatabaseConnection): Promise<void> {
    const routed = connection as RoutedConnection
    try {
      await this.#inner.commitTransaction(await routed.primary())
    } finally {
      routed.inTransaction = false
      this.#replicas.changed()
    }
  }

  async rollbackTransaction (connection: DatabaseConnection): Promise<void> {
    const routed = connection as RoutedConnection
    try {
      await this.#inner.rollbackTransaction(await routed.primary())
    } finally {
      routed.inTransaction = false
    }
  }

  async savepoint (connection: DatabaseConnection, ...args: [string, never]): Promise<void> {
    await this.#inner.savepoint!(await (connection as RoutedConnection).primary(), ...args)
  }

  async rollbackToSavepoint (connection: DatabaseConnection, ...args: [string, never]): Promise<void> {
    await this.#inner.rollbackToSavepoint!(await (connection as RoutedConnection).primary(), ...args)
  }

  async releaseSavepoint (connection: DatabaseConnection, ...args: [string, never]): Promise<void> {
    await this.#inner.releaseSavepoint!(await (connection as RoutedConnection).primary(), ...args)
  }

  async releaseConnection (connection: DatabaseConnection): Promise<void> {
    const acquired = (connection as RoutedConnection).acquired
    if (acquired) await this.#inner.releaseConnection(acquired)
  }

  async destroy (): Promise<void> {
    await this.#inner.destroy()
    await this.#replicas.close()
  }
}

/** PostgresDialect whose driver offers plain reads to `replicas`. */
export class ReplicaRoutingDialect extends PostgresDialect {
  readonly #replicas: ReadReplicas

  constructor (config: ConstructorParameters<typeof PostgresDialect>[0], replicas: ReadReplicas) {
    super(config)
    this.#replicas = replicas
  }

  override createDriver (): Driver {
    return new RoutingDriver(super.createDriver(), this.#replicas)
  }
}
