import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FlushOnWrite, reportInserted, type LocalInvalidation } from '../../src/db/flush-on-write.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

let database: TestDatabase
beforeAll(async () => { database = await createTestDatabase() })
afterAll(() => database.drop())

/** What the cache was told, in order. */
function recording (): LocalInvalidation & { told: string[] } {
  const told: string[] = []
  return { told, flush: () => told.push('flush'), forget: (key) => told.push(`forget ${key}`) }
}

describe('reportInserted: an insert written as SQL text reaches FlushOnWrite', () => {
  it('empties the cache for a table whose inserts matter, forgets the reported keys for one whose changes do, and ignores others', () => {
    const cache = recording()
    const db = database.db.withPlugin(new FlushOnWrite([{ tables: ['changed'], insertTables: ['grown'] }], cache))
    reportInserted(db, 'grown', ['a'])
    reportInserted(db, 'changed', ['b', 'c'])
    reportInserted(db, 'unwatched', ['d'])
    expect(cache.told).toEqual(['flush', 'forget b', 'forget c'])
  })

  it('inside a transaction too (it keeps its handle\'s plugins), and on every plugin of the handle', async () => {
    const first = recording()
    const second = recording()
    const db = database.db.withPlugin(new FlushOnWrite([{ tables: ['changed'] }], first)).withPlugin(new FlushOnWrite([{ insertTables: ['changed'] }], second))
    await db.transaction().execute(async (trx) => { reportInserted(trx, 'changed', ['key']) })
    expect(first.told).toEqual(['forget key'])
    expect(second.told).toEqual(['flush'])
  })
})
