import type { FastifyReply, FastifyRequest } from 'fastify'
import { parseLimit, type KeysetPage } from '../../core/pagination.js'
import { baseUrlOf } from '../../plugins/http/base-url.js'

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
 * The admin API's page: nextCursor is the key of the last item shown (the next page's
 * exclusive `after`), and a Link header points at that page, with the same filters.
 */
export function pageReply<Row, Item> (request: FastifyRequest, reply: FastifyReply, page: KeysetPage<Row>, limit: number, keyOf: (row: Row) => string, toItem: (row: Row) => Item): Page<Item> {
  const last = page.items.at(-1)
  const nextCursor = page.next === undefined || last === undefined ? null : keyOf(last)
  if (nextCursor !== null) reply.header('link', `<${nextPageUrl(request, limit, nextCursor)}>; rel="next"`)
  return { items: page.items.map(toItem), nextCursor }
}

function nextPageUrl (request: FastifyRequest, limit: number, after: string): string {
  const mark = request.url.indexOf('?')
  const path = mark === -1 ? request.url : request.url.slice(0, mark)
  const query = new URLSearchParams(mark === -1 ? '' : request.url.slice(mark + 1))
  query.delete('limit')
  query.delete('after')
  query.append('limit', String(limit))
  query.append('after', after)
  return `${baseUrlOf(request)}${path}?${query}`
}
