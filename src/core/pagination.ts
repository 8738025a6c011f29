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

/** One keyset page: repositories fetch `limit + 1` rows so the extra row tells whether more follow. */
export interface KeysetPage<T> {
  items: T[]
  /** The first row of the next page, or undefined on the last page. */
  next: T | undefined
}

export function toKeysetPage<T> (rows: T[], limit: number): KeysetPage<T> {
  return { items: rows.slice(0, limit), next: rows[limit] }
}
