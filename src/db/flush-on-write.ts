import type { KyselyPlugin, OperationNode, PluginTransformQueryArgs, PluginTransformResultArgs, QueryResult, RootOperationNode, UnknownRow } from 'kysely'

/** The table an UPDATE or DELETE names (`users`, or `users as u`). */
function tableName (node: OperationNode): string | undefined {
  const table = node.kind === 'AliasNode' ? (node as unknown as { node: OperationNode }).node : node
  if (table.kind !== 'TableNode') return undefined
  return (table as unknown as { table: { identifier: { name: string } } }).table.identifier.name
}

function tablesChanged (node: RootOperationNode): OperationNode[] {
  if (node.kind === 'UpdateQueryNode') return node.table ? [node.table] : []
  if (node.kind === 'DeleteQueryNode') return [...node.from.froms]
  return []
}

/**
 * Calls `onWrite` when this process updates or deletes rows of a watched table, before and
 * after the statement runs: the in-process half of credential-cache invalidation (the other
 * half, for every replica, is the database's notifications).
 */
export class FlushOnWrite implements KyselyPlugin {
  readonly #tables: ReadonlySet<string>
  readonly #onWrite: () => void
  readonly #writes = new WeakSet<object>()

  constructor (tables: Iterable<string>, onWrite: () => void) {
    this.#tables = new Set(tables)
    this.#onWrite = onWrite
  }

  transformQuery ({ node, queryId }: PluginTransformQueryArgs): RootOperationNode {
    if (tablesChanged(node).some((table) => this.#tables.has(tableName(table) ?? ''))) {
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
