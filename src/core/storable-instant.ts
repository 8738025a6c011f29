import { utcTime } from './utc-time.js'

/**
 * The instants Tessera stores and compares in the database: from 0001-01-01 to 9999-12-31, UTC.
 * PostgreSQL has no year 0, and the embedded database's driver (PGlite) writes and reads
 * timestamps only as four-digit ISO text, so an instant outside these years is refused as input.
 */
const FIRST = utcTime(1, 0, 1)
const AFTER_LAST = utcTime(10000, 0, 1)

export function isStorableInstant (instant: Date): boolean {
  const time = instant.getTime()
  return time >= FIRST && time < AFTER_LAST
}
