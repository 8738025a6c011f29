import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'
import type { Database } from './database.js'

/** The table an UPDATE or DELETE names (`users`, or `users as u`). */
function tableName (node: OperationNode): string | undefined {
  const table = node.kind === 'AliasNode' ? (node as unknown as { node: OperationNode }).node : node
  if (table.kind !== 'TableNode') return undefined
  return (table as unknown as { table: { identifier: { name: string } } }).table.identifier.name
}

/** The tables an UPDATE or DELETE changes, and those an INSERT adds to. */
function tablesWritten (node: RootOperationNode): { changed: OperationNode[], inserted: OperationNode[] } {
  if (node.kind === 'UpdateQueryNode') return { changed: node.table ? [node.table] : [], inserted: [] }
  if (node.kind === 'DeleteQueryNode') return { changed: [...node.from.froms], inserted: [] }
  if (node.kind === 'InsertQueryNode') return { changed: [], inserted: node.into ? [node.into] : [] }
  return { changed: [], inserted: [] }
}

/** Tables whose updated or deleted rows (`tables`) or inserted rows (`insertTables`) a cache depends on. */
export interface WatchedTables {
  tables?: readonly string[]
  insertTables?: readonly string[]
}

/** What a cache's in-process invalidation does: empty it, or drop the entries one key names. */
export interface LocalInvalidation {
  flush (): void
  forget (key: string): void
}

/**
 * Empties a cache when this process updates or deletes rows of a watched table (or inserts
 * into one whose inserts matter), before and after the statement runs: the in-process half of
 * cache invalidation (the other half, for every replica, is the database's notifications).
 * Statements written as SQL text reach it through reportInserted.
 */
export class FlushOnWrite implements KyselyPlugin {
  readonly #changes: ReadonlySet<string>
  readonly #inserts: ReadonlySet<string>
  readonly #cache: LocalInvalidation
  readonly #writes = new WeakSet<object>()

  constructor (watched: readonly WatchedTables[], cache: LocalInvalidation) {
    this.#changes = new Set(watched.flatMap((each) => each.tables ?? []))
    this.#inserts = new Set(watched.flatMap((each) => each.insertTables ?? []))
    this.#cache = cache
  }

  /** Rows were inserted into `table` by SQL text; `keys` name the entries they change. */
  inserted (table: string, keys: readonly string[]): void {
    if (this.#inserts.has(table)) this.#cache.flush()
    else if (this.#changes.has(table)) for (const key of keys) this.#cache.forget(key)
  }

  transformQuery ({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const { changed, inserted } = tablesWritten(node)
    if (changed.some((table) => this.#changes.has(tableName(table) ?? '')) || inserted.some((table) => this.#inserts.has(tableName(table) ?? ''))) {
      this.#writes.add(queryId)
      this.#cache.flush()
    }
    return node
  }

  async transformResult ({ queryId, result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#writes.has(queryId)) this.#cache.flush()
    return result
  }
}

/**
 * Tells the invalidation layer of `db` (its FlushOnWrite plugins, which a transaction keeps)
 * that SQL text, which plugins never see, inserted rows into `table`: a raw write reports what
 * it wrote, as a Kysely query's plugins read it from the query.
 */
export function reportInserted (db: Database, table: string, keys: readonly string[]): void {
  for (const plugin of db.getExecutor().plugins) if (plugin instanceof FlushOnWrite) plugin.inserted(table, keys)
}
