import type { ListPage, PageRequest } from './operations.js'

/** A page from the database layer: `next` is the key to continue after, if more follow. */
export const fromKeysetPage = <Row, T>(page: { items: Row[], next: unknown }, view: (row: Row) => T): ListPage<T> => ({ items: page.items.map(view), next: page.next !== undefined })

/** A page as the admin API answers it. */
export interface ApiPage<T> { items: T[], nextCursor: string | null }

export const fromApiPage = <T>(page: ApiPage<T>): ListPage<T> => ({ items: page.items, next: page.nextCursor !== null })

/** The admin API's query for a page. */
export const pageQuery = (page: PageRequest) => ({ limit: page.limit, after: page.after })
