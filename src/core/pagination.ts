import { InvalidInput } from './errors.js'

export interface LimitRule {
  defaultLimit: number
  min: number
  max: number
}

/**
 * Parses a `limit` query value. Kept as text in the route schema so each family can
 * answer a bad value in its own words (Rackspace Monitoring: 400 `invalidLimit`).
 */
export function parseLimit (raw: string | undefined, rule: LimitRule): number {
  if (raw === undefined || raw === '') return rule.defaultLimit
  const limit = /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(limit) || limit < rule.min || limit > rule.max) {
    throw new InvalidInput(`limit must be an integer between ${rule.min} and ${rule.max}`, {
      reason: 'invalidLimit',
      fields: [{ path: ['limit'], problem: `must be an integer between ${rule.min} and ${rule.max}` }]
    })
  }
  return limit
}

/**
 * A keyset page request on a unique key: the rows after `after` (exclusive), or from `from`
 * (inclusive), in key order. Without a limit, every row.
 */
export interface KeysetRequest {
  after?: string | undefined
  from?: string | undefined
  limit?: number | undefined
}

/**
 * How many rows a repository fetches for a page: one beyond it tells whether more follow. An
 * inclusive bound is a prefix of the caller's marker, so the row at the bound may still sort
 * before the marker and be dropped (toKeysetPage's `precedes`): one more covers it.
 */
export function rowsToFetch (page: KeysetRequest): number | undefined {
  return page.limit === undefined ? undefined : page.limit + 1 + (page.from === undefined ? 0 : 1)
}

/** One keyset page. */
export interface KeysetPage<T> {
  items: T[]
  /** The first row of the next page, or undefined on the last page. */
  next: T | undefined
}

/** The page in rows fetched for `page` (rowsToFetch); `precedes` tells a leading row that sorts before the marker. */
export function toKeysetPage<T> (rows: T[], page: KeysetRequest, precedes?: (row: T) => boolean): KeysetPage<T> {
  const start = page.from !== undefined && rows[0] !== undefined && precedes?.(rows[0]) ? 1 : 0
  if (page.limit === undefined) return { items: rows.slice(start), next: undefined }
  return { items: rows.slice(start, start + page.limit), next: rows[start + page.limit] }
}
