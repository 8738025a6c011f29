import { readFile } from 'node:fs/promises'
import { inject } from 'vitest'
import { createPGliteDatabase, createServerDatabase, type TestDatabase } from '../helpers/test-database.js'

/** An empty database, never migrated: on the test PostgreSQL server, or an in-memory PGlite. */
export type FreshDatabase = TestDatabase

export async function createFreshDatabase (): Promise<FreshDatabase> {
  const source = inject('testDatabase')
  if (source.kind === 'postgres') return createServerDatabase(source.adminUrl)
  return createPGliteDatabase(new Blob([await readFile(source.emptyDumpPath)]))
}
