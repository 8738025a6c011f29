import { readFile } from 'node:fs/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js'
import { generateSchema, SCHEMA_FILE } from './schema-codegen.js'

describe('src/db/schema.ts', () => {
  let database: TestDatabase
  beforeAll(async () => { database = await createTestDatabase() })
  afterAll(() => database.drop())

  it('is what kysely-codegen generates from the migrated database (run `npm run db:codegen` after a migration)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(await generateSchema(database.db))
  })
})
