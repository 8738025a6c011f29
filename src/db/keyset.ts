import type { SelectQueryBuilder } from 'kysely'
import { rowsToFetch, type KeysetRequest } from '../core/pagination.js'

/**
 * Narrows a select to one keyset page on a unique text column: ordered by it, bounded by the
 * request, and as many rows as toKeysetPage needs. One index range scan, whatever the table size.
 */
export function keysetPage<DB, TB extends keyof DB, O> (column: string, page: KeysetRequest) {
  return (query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> => {
    // The column is a name of the selected table; Kysely cannot check a name passed as a string.
    let paged = query.orderBy(column as never)
    if (page.after !== undefined) paged = paged.where(column as never, '>', page.after as never)
    if (page.from !== undefined) paged = paged.where(column as never, '>=', page.from as never)
    const rows = rowsToFetch(page)
    return rows === undefined ? paged : paged.limit(rows)
  }
}
