import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'

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

/**
 * Calls `onWrite` when this process updates or deletes rows of a watched table (or inserts
 * into one whose inserts matter), before and after the statement runs: the in-process half of
 * cache invalidation (the other half, for every replica, is the database's notifications).
 */
export class FlushOnWrite implements KyselyPlugin {
  readonly #changes: ReadonlySet<string>
  readonly #inserts: ReadonlySet<string>
  readonly #onWrite: () => void
  readonly #writes = new WeakSet<object>()

  constructor (watched: readonly WatchedTables[], onWrite: () => void) {
    this.#changes = new Set(watched.flatMap((each) => each.tables ?? []))
    this.#inserts = new Set(watched.flatMap((each) => each.insertTables ?? []))
    this.#onWrite = onWrite
  }

  transformQuery ({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    const { changed, inserted } = tablesWritten(node)
    if (changed.some((table) => this.#changes.has(tableName(table) ?? '')) || inserted.some((table) => this.#inserts.has(tableName(table) ?? ''))) {
      this.#writes.add(queryId)
      this.#onWrite()
    }
    return node
  }

  async transformResult ({ queryId, result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    if (this.#writes.has(queryId)) this.#onWrite()
    return result
  }
}
