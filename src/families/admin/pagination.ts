import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseLimit, toKeysetPage } from '../../core/pagination.js'
import { baseUrlOf } from '../../plugins/base-url.js'

const LIMIT_RULE = { defaultLimit: 100, min: 1, max: 1000 }

export interface PageRequest {
  after: string | undefined
  limit: number
}

export function pageRequest (query: { limit?: string | undefined, after?: string | undefined }): PageRequest {
  return { after: query.after, limit: parseLimit(query.limit, LIMIT_RULE) }
}

export interface Page<Item> {
  items: Item[]
  nextCursor: string | null
}

/**
 * A page from `limit + 1` rows by id: nextCursor is the last id shown (the next page's
 * exclusive `after`), and a Link header points at that page.
 */
export function keysetPage<Row extends { id: string }, Item> (request: FastifyRequest, reply: FastifyReply, rows: Row[], page: PageRequest, toItem: (row: Row) => Item): Page<Item> {
  const { items, next } = toKeysetPage(rows, page.limit)
  const nextCursor = next === undefined ? null : items.at(-1)!.id
  if (nextCursor !== null) reply.header('link', `<${nextPageUrl(request, page.limit, nextCursor)}>; rel="next"`)
  return { items: items.map(toItem), nextCursor }
}

function nextPageUrl (request: FastifyRequest, limit: number, after: string): string {
  const path = request.url.split('?')[0]
  return `${baseUrlOf(request)}${path}?${new URLSearchParams({ limit: String(limit), after })}`
}
