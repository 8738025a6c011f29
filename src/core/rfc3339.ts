import { isStorableInstant } from './storable-instant.js'
import { daysInMonth, utcTime } from './utc-time.js'

/**
 * RFC 3339 date-times from clients (§5.6): `2026-11-22T10:00:00.5+01:00`, `T` and `Z` in either
 * case, or a space for `T` (§5.6's note, and what ajv-formats' `date-time` accepts). `new Date()`
 * is no parser for them: it reads a leap second as Invalid Date and other text as it likes.
 */
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

const MS_PER_MINUTE = 60_000

/**
 * The instant an RFC 3339 date-time names, to the millisecond (finer fractions are cut), or null
 * for anything else: Feb 30, 24:00, an offset of ±24:00, an instant outside the years 1 to 9999
 * UTC (core/storable-instant.ts). A leap second (`23:59:60` in UTC, as §5.7 places them) is the
 * instant after the minute's second 59: Date has no room for it.
 */
export function parseRfc3339 (text: string): Date | null {
  const match = DATE_TIME.exec(text)
  if (!match) return null
  const [year, month, day, hours, minutes, seconds] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const [, , , , , , , fraction, zulu, sign, offsetHours, offsetMinutes] = match
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  if (hours > 23 || minutes > 59 || seconds > 60) return null
  if (Number(offsetHours ?? 0) > 23 || Number(offsetMinutes ?? 0) > 59) return null
  const offset = zulu === undefined ? (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes)) : 0
  const ms = fraction === undefined ? 0 : Number(fraction.slice(0, 3).padEnd(3, '0'))
  const local = utcTime(year, month - 1, day, hours, minutes, Math.min(seconds, 59), ms)
  if (seconds === 60) {
    // Only the last second of a UTC day can be a leap second.
    const inUtc = new Date(local - offset * MS_PER_MINUTE)
    if (inUtc.getUTCHours() !== 23 || inUtc.getUTCMinutes() !== 59) return null
  }
  const instant = new Date(local - offset * MS_PER_MINUTE + (seconds === 60 ? 1000 : 0))
  return isStorableInstant(instant) ? instant : null
}

/** Whether `text` is an RFC 3339 date-time parseRfc3339 reads: the `date-time` format of every schema. */
export function isRfc3339 (text: string): boolean {
  return parseRfc3339(text) !== null
}
