import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compiledOnce } from '../../src/db/compiled-once.js'
import { insertAccount, unique } from '../helpers/factories.js'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'

describe('compiledOnce', () => {
  let database: TestDatabase
  beforeAll(async () => { database = await createTestDatabase() })
  afterAll(() => database?.drop())

  it('builds the query once, and runs it with each call\'s values', async () => {
    let builds = 0
    const byName = compiledOnce((db, name: string, enabled: boolean) => {
      builds++
      return db.selectFrom('accounts').select(['id', 'name']).where('name', '=', name).where('enabled', '=', enabled)
    })
    const first = await insertAccount(database.db, { name: unique('first') })
    const second = await insertAccount(database.db, { name: unique('second'), enabled: false })

    expect(await byName(database.db, first.name, true)).toEqual([{ id: first.id, name: first.name }])
    expect(await byName(database.db, second.name, false)).toEqual([{ id: second.id, name: second.name }])
    expect(await byName(database.db, second.name, true)).toEqual([])
    await database.db.transaction().execute(async (trx) => {
      expect(await byName(trx, first.name, true)).toEqual([{ id: first.id, name: first.name }])
    })
    expect(builds).toBe(1)
  })
})
