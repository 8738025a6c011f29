import { inject } from 'vitest'
import { createPGliteDatabase, createServerDatabase, type TestDatabase } from '../helpers/test-database.js'

/** An empty database, never migrated: on the test PostgreSQL server, or an in-memory PGlite. */
export type FreshDatabase = TestDatabase

export async function createFreshDatabase (): Promise<FreshDatabase> {
  const source = inject('testDatabase')
  return source.kind === 'pglite' ? createPGliteDatabase() : createServerDatabase(source.adminUrl)
}
