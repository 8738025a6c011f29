import { sql } from 'kysely'
import type { FailureCount, FailureStore } from '../../core/failure-limits.js'
import type { Database } from '../database.js'

/**
 * Counts one failure for each key in one statement (atomic across replicas): a key whose window
 * has ended starts a new one of `windowSeconds` at 1. Returns each key's count and window end.
 */
async function countAuthFailures (db: Database, keys: readonly string[], windowSeconds: number, now: Date): Promise<Map<string, FailureCount>> {
  const windowEndsAt = new Date(now.getTime() + windowSeconds * 1000)
  const rows = await db.insertInto('auth_failures')
    .values(keys.map((key) => ({ key, failures: 1, window_ends_at: windowEndsAt })))
    .onConflict((oc) => oc.column('key').doUpdateSet({
      failures: sql<number>`case when auth_failures.window_ends_at <= ${now} then 1 else auth_failures.failures + 1 end`,
      window_ends_at: sql<Date>`case when auth_failures.window_ends_at <= ${now} then excluded.window_ends_at else auth_failures.window_ends_at end`
    }))
    .returning(['key', 'failures', 'window_ends_at'])
    .execute()
  return new Map(rows.map((row) => [row.key, { failures: row.failures, resetAt: row.window_ends_at }]))
}

/** Takes one count back from each key whose window is still open. */
async function refundAuthFailures (db: Database, keys: readonly string[], now: Date): Promise<void> {
  await db.updateTable('auth_failures')
    .set({ failures: sql<number>`failures - 1` })
    .where('key', 'in', keys)
    .where('window_ends_at', '>', now)
    .where('failures', '>', 0)
    .execute()
}

/** Deletes up to `batchSize` ended windows; SKIP LOCKED keeps replicas purging together apart. */
export async function purgeEndedAuthFailures (db: Database, now: Date, batchSize: number): Promise<number> {
  const result = await db.deleteFrom('auth_failures')
    .where('key', 'in', (eb) => eb.selectFrom('auth_failures')
      .select('key')
      .where('window_ends_at', '<=', now)
      .orderBy('window_ends_at')
      .limit(batchSize)
      .forUpdate()
      .skipLocked())
    .executeTakeFirst()
  return Number(result.numDeletedRows)
}

/** The PostgreSQL (or embedded) store of failure counts, the default. */
export function databaseFailureStore (db: Database): FailureStore {
  return {
    count: (keys, windowSeconds, now) => countAuthFailures(db, keys, windowSeconds, now),
    refund: (keys, now) => refundAuthFailures(db, keys, now),
    purge: (now, batchSize) => purgeEndedAuthFailures(db, now, batchSize)
  }
}
